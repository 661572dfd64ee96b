"""What the safety watch needs from the site, in its metric frame: landable points, water,
the hard no-fly zones.

Landable points are the launch station and the rally points (from the settings, or a patrol's
rally items) that lie on land: a point inside the site's water surface is refused, with the
reason kept in ``refused``. Built once per site (shapely geometries, prepared for fast point
tests), then only read.

>>> from geodata.site import load_site
>>> facts = SiteFacts.from_site(load_site(), rally_lonlat=[(119.23, 29.070), (119.23, 29.064)])
>>> [p.name for p in facts.landable], facts.refused
(['station', 'rally 1'], ('rally 2 (119.23000, 29.06400) is on water',))
>>> x, y = facts.to_local(119.23, 29.064)
>>> facts.on_water(x, y)
True
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geodata.crs import LocalFrame
from geodata.site import Site
from groundstation.safety.margin import Landable

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SiteFacts:
    """Landable points, water and hard no-fly zones of one site, in local metres."""

    frame: LocalFrame
    landable: tuple[Landable, ...]
    water: BaseGeometry | None = None
    no_fly: BaseGeometry | None = None
    refused: tuple[str, ...] = ()
    _no_fly_edges: BaseGeometry | None = field(default=None, repr=False)

    @classmethod
    def from_site(cls, site: Site, rally_lonlat: Sequence[tuple[float, float]] = ()) -> SiteFacts:
        frame = site.frame
        areas = site.layer("patrol_areas", local=True)
        water_rows = areas[areas["kind"] == "water"]
        water = shapely.union_all(water_rows.geometry.to_numpy()) if len(water_rows) else None
        zones = site.no_fly(local=True)
        no_fly = shapely.union_all(zones) if zones else None
        for g in (water, no_fly):
            if g is not None:
                shapely.prepare(g)
        landable: list[Landable] = []
        refused: list[str] = []
        if len(site.layers["stations"]):
            st = site.station
            x, y = frame.xy_to_local(st.x, st.y)
            landable.append(Landable("station", "station", x, y, st.y, st.x))
        for n, (lon, lat) in enumerate(rally_lonlat, start=1):
            x, y = frame.xy_to_local(lon, lat)
            if water is not None and water.contains(Point(x, y)):
                refused.append(f"rally {n} ({lon:.5f}, {lat:.5f}) is on water")
                continue
            landable.append(Landable(f"rally {n}", "rally", x, y, lat, lon))
        edges = no_fly.boundary if no_fly is not None else None
        if edges is not None:
            shapely.prepare(edges)
        return cls(frame, tuple(landable), water, no_fly, tuple(refused), edges)

    def to_local(self, lon_deg: float, lat_deg: float) -> tuple[float, float]:
        return self.frame.xy_to_local(lon_deg, lat_deg)

    def on_water(self, x_m: float, y_m: float) -> bool:
        return self.water is not None and bool(self.water.contains(Point(x_m, y_m)))

    def no_fly_distance(self, x_m: float, y_m: float) -> float | None:
        """Metres to the nearest hard no-fly edge; 0 or less inside one; None without zones."""
        if self.no_fly is None or self._no_fly_edges is None:
            return None
        p = Point(x_m, y_m)
        if self.no_fly.contains(p):
            return 0.0
        return float(self._no_fly_edges.distance(p))


def load_facts(site: Path | None, rally_lonlat: Sequence[tuple[float, float]]) -> SiteFacts | None:
    """The facts of the configured site (None: the packaged one); None if it cannot be loaded,
    and the watch then runs without the margin and the no-fly watch (logged)."""
    from geodata.errors import GeodataError
    from geodata.site import load_site

    try:
        loaded = load_site(site)
    except GeodataError as exc:
        log.error("safety watch: site not loaded, no margin or no-fly watch: %s", exc)
        return None
    facts = SiteFacts.from_site(loaded, rally_lonlat)
    for why in facts.refused:
        log.warning("safety watch: %s; not a landable point", why)
    return facts
