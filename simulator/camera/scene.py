"""What the simulated cameras look at: the ground (water, shore, land) and the scene objects.

The ground is one top-down texture in a local north/east frame around `origin` (0.25 m a texel
by default): land with a noisy green texture, water from the site's water polygons (or, without
a site, a synthetic lake north of a wavy shoreline), a sand band along every shore. Scene objects
an eco-police drone looks for are painted on top, seen from above:

- ``boat``: a white hull 6 x 2.4 m; ``net_boat``: the same with an orange net trailing it;
- ``person``: a red-capped figure 0.8 m across, with a shadow;
- ``dredger``: a yellow 24 x 9 m pontoon with a grey crane house and a pipe toward the shore;
- ``plume``: a brown discharge plume, 40 m long, fading into the water.

>>> scene = Scene.synthetic((29.05, 119.18, 40.0), half_size_m=50.0)
>>> scene.add(SceneObject("boat", 29.0504, 119.18))
>>> scene.texture().shape
(400, 400, 3)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from simulator.geo import ne_offset_m

KINDS = ("boat", "net_boat", "person", "dredger", "plume")
LAND = (78, 112, 58)
WATER = (38, 86, 118)
SAND = (196, 178, 128)
Texture = npt.NDArray[np.uint8]


class SceneError(ValueError):
    """A scene object or scene file that cannot be placed."""


@dataclass(frozen=True, slots=True)
class SceneObject:
    """One thing on the ground or the water: its kind, where it is, which way it points."""

    kind: str
    lat_deg: float
    lon_deg: float
    heading_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SceneError(f"scene object kind {self.kind!r}: one of {', '.join(KINDS)}")
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise SceneError(f"scene object at {self.lat_deg}, {self.lon_deg}: not a position")

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SceneObject:
        try:
            return cls(str(d["kind"]), float(d["lat"]), float(d["lon"]), float(d.get("heading", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SceneError):
                raise
            raise SceneError(f"scene object {d!r}: needs kind, lat, lon (heading)") from exc


class Scene:
    """The ground texture around `origin` and the objects on it (shared by every camera)."""

    def __init__(
        self,
        origin: tuple[float, float, float],
        water_rings: Sequence[Sequence[tuple[float, float]]],
        half_size_m: float = 400.0,
        m_per_texel: float = 0.25,
        seed: int = 0,
    ) -> None:
        self.origin = origin
        self.half_size_m = half_size_m
        self.m_per_texel = m_per_texel
        self.objects: list[SceneObject] = []
        self.version = 0
        """Bumped on every change, so renderers know to fetch the texture again."""
        self._base = self._ground(water_rings, seed)
        self._texture: Texture | None = None

    @classmethod
    def synthetic(
        cls,
        origin: tuple[float, float, float],
        half_size_m: float = 400.0,
        seed: int = 0,
        m_per_texel: float = 0.25,
    ) -> Scene:
        """A lake north of a wavy shoreline 15 m north of `origin` (no site layers at hand)."""
        lat0, lon0 = origin[0], origin[1]
        east = np.linspace(-half_size_m, half_size_m, 161)
        shore_n = 15.0 + 6.0 * np.sin(east / 37.0) + 3.0 * np.sin(east / 11.0)
        ring = [(float(n), float(e)) for n, e in zip(shore_n, east, strict=True)]
        ring += [(half_size_m * 2, half_size_m), (half_size_m * 2, -half_size_m)]
        m_per_deg = 111_319.49
        coslat = math.cos(math.radians(lat0))
        lonlat = [(lon0 + e / (m_per_deg * coslat), lat0 + n / m_per_deg) for n, e in ring]
        return cls(origin, [lonlat], half_size_m, m_per_texel, seed)

    @classmethod
    def from_geojson(
        cls,
        origin: tuple[float, float, float],
        path: Path,
        half_size_m: float = 400.0,
        m_per_texel: float = 0.25,
    ) -> Scene:
        """Water from a GeoJSON file of (Multi)Polygons in lon/lat, e.g. a site's water layer;
        a ``"scene_objects"`` list beside ``"features"`` places objects too."""
        data = json.loads(path.read_text())
        feats = data.get("features", [data])
        rings: list[list[tuple[float, float]]] = []
        for f in feats:
            geom = f.get("geometry", f)
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            rings += [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polys]
        scene = cls(origin, rings, half_size_m, m_per_texel)
        for d in data.get("scene_objects", []):
            scene.add(SceneObject.from_json(d))
        return scene

    # ------------------------------------------------------------------ objects
    def add(self, obj: SceneObject) -> None:
        self.objects.append(obj)
        self._changed()

    def clear(self) -> None:
        self.objects.clear()
        self._changed()

    def _changed(self) -> None:
        self._texture = None
        self.version += 1

    # ------------------------------------------------------------------ texture
    @property
    def size_texels(self) -> int:
        return round(2 * self.half_size_m / self.m_per_texel)

    def texel(self, north_m: float, east_m: float) -> tuple[float, float]:
        """(column, row) of a local point in the texture (row 0 is the northern edge)."""
        return (
            (east_m + self.half_size_m) / self.m_per_texel,
            (self.half_size_m - north_m) / self.m_per_texel,
        )

    def local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        return ne_offset_m(self.origin[0], self.origin[1], lat_deg, lon_deg)

    def texture(self) -> Texture:
        """The ground with the objects on it, (rows, columns, RGB), north up."""
        if self._texture is None:
            img = Image.fromarray(self._base)
            draw = ImageDraw.Draw(img, "RGBA")
            for obj in sorted(self.objects, key=lambda o: o.kind != "plume"):  # plumes first
                self._paint(draw, obj)
            self._texture = np.asarray(img, dtype=np.uint8)
        return self._texture

    def _ground(self, water_rings: Sequence[Sequence[tuple[float, float]]], seed: int) -> Texture:
        size = self.size_texels
        rng = np.random.default_rng(seed)
        coarse = rng.integers(0, 255, (max(2, size // 48), max(2, size // 48)), dtype=np.uint8)
        blotch = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BILINEAR))
        fine = rng.integers(-14, 15, (size, size), dtype=np.int16)
        shade = (blotch.astype(np.int16) - 128) // 5 + fine
        mask_img = Image.new("L", (size, size), 0)
        mask = ImageDraw.Draw(mask_img)
        sand = Image.new("L", (size, size), 0)
        band = ImageDraw.Draw(sand)
        for ring in water_rings:
            pts = [self.texel(*self.local(lat, lon)) for lon, lat in ring]
            band.line([*pts, pts[0]], fill=255, width=max(1, round(6.0 / self.m_per_texel)))
            mask.polygon(pts, fill=255)
        water = np.asarray(mask_img) > 0
        shore = (np.asarray(sand) > 0) & ~water
        out = np.empty((size, size, 3), dtype=np.int16)
        out[:] = LAND
        out[water] = WATER
        out[shore] = SAND
        ripple = (np.sin(np.arange(size) * (self.m_per_texel * 2.1)) * 6).astype(np.int16)
        out += shade[..., None]
        out += np.where(water, ripple[:, None], 0).astype(np.int16)[..., None]
        return np.clip(out, 0, 255).astype(np.uint8)

    def _poly(
        self, n0: float, e0: float, heading_deg: float, pts: Sequence[tuple[float, float]]
    ) -> list[tuple[float, float]]:
        """Object-frame points (forward, right) in metres -> texture (column, row)."""
        h = math.radians(heading_deg)
        ch, sh = math.cos(h), math.sin(h)
        return [self.texel(n0 + f * ch - r * sh, e0 + f * sh + r * ch) for f, r in pts]

    def _box(
        self, length_m: float, width_m: float, fwd_m: float = 0.0
    ) -> list[tuple[float, float]]:
        hl, hw = length_m / 2, width_m / 2
        bow = fwd_m + hl * 0.6
        return [(fwd_m + hl, 0.0), (bow, hw), (fwd_m - hl, hw), (fwd_m - hl, -hw), (bow, -hw)]

    def _paint(self, draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
        n, e = self.local(obj.lat_deg, obj.lon_deg)
        h = obj.heading_deg
        k = 1.0 / self.m_per_texel
        if obj.kind in ("boat", "net_boat"):
            draw.polygon(
                self._poly(n, e, h, self._box(6.0, 2.4)), fill=(238, 238, 232), outline=(20, 20, 20)
            )
            draw.polygon(self._poly(n, e, h, self._box(1.6, 1.4, -1.2)), fill=(40, 60, 150))
            if obj.kind == "net_boat":
                arc = [
                    (-3.0 - 14 * math.sin(a), 9 * math.cos(a) - 0)
                    for a in np.linspace(0, math.pi, 24)
                ]
                draw.line(
                    self._poly(n, e, h, arc), fill=(255, 120, 0), width=max(1, round(0.4 * k))
                )
                for f, r in arc[::3]:
                    ((c, rw),) = self._poly(n, e, h, [(f, r)])
                    draw.ellipse(
                        (c - 0.5 * k, rw - 0.5 * k, c + 0.5 * k, rw + 0.5 * k), fill=(255, 200, 0)
                    )
        elif obj.kind == "person":
            c, r = self.texel(n, e)
            draw.ellipse(
                (c - 0.2 * k, r - 0.1 * k, c + 0.9 * k, r + 0.5 * k), fill=(30, 30, 20, 140)
            )
            draw.ellipse((c - 0.4 * k, r - 0.4 * k, c + 0.4 * k, r + 0.4 * k), fill=(40, 40, 160))
            draw.ellipse((c - 0.2 * k, r - 0.2 * k, c + 0.2 * k, r + 0.2 * k), fill=(220, 30, 30))
        elif obj.kind == "dredger":
            pipe = [(-12.0, 0.0), (-40.0, 4.0), (-70.0, 0.0)]
            draw.line(self._poly(n, e, h, pipe), fill=(60, 60, 60), width=max(1, round(0.8 * k)))
            body = [(12.0, 4.5), (-12.0, 4.5), (-12.0, -4.5), (12.0, -4.5)]
            draw.polygon(self._poly(n, e, h, body), fill=(222, 182, 30), outline=(30, 30, 30))
            house = [(2.0, 3.0), (-6.0, 3.0), (-6.0, -3.0), (2.0, -3.0)]
            draw.polygon(self._poly(n, e, h, house), fill=(120, 120, 120))
            draw.line(
                self._poly(n, e, h, [(2.0, 0.0), (16.0, 0.0)]),
                fill=(40, 40, 40),
                width=max(1, round(0.6 * k)),
            )
        else:  # plume: nested ellipses of brown, thinner away from the outfall
            for i in range(8, 0, -1):
                length, width = 5.0 * i, 1.6 * i
                ring = [
                    (length / 2 + length / 2 * math.cos(a), width / 2 * math.sin(a))
                    for a in np.linspace(0, 2 * math.pi, 32)
                ]
                draw.polygon(self._poly(n, e, h, ring), fill=(128, 96, 52, 60))
