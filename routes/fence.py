"""The geofence fitted to what one vehicle holds, never more permissive than the plan's.

A vehicle keeps a small fence: ArduCopter 70 items in 560 bytes, PX4 127 items. The plan's fence
(an inclusion polygon round everything, an exclusion per no-fly zone) can be far bigger, and a
vehicle refuses it whole. `fit_fence` makes it fit one sortie:

- exclusion zones the sortie cannot reach are left off: outside the inclusion fence (the vehicle
  cannot be there anyway) or further than ``reach_m`` from the sortie's route;
- inclusion polygons are simplified **inwards** (the fitted one lies within the original) and
  exclusion polygons **outwards** (the fitted one contains the original): the fence only ever
  gets stricter;
- a shape becomes a circle (one item) where that is cheaper and gives up little;
- the route (and the station) stays ``clearance_m`` inside the inclusion fence and clear of the
  grown exclusions (or as far as it already was, if less); when that cannot be had within the
  budget, the plan is refused with the amount it is over.

Simplification picks, again and again, the step that saves the vehicle's storage for the least
area given up, until the fence fits.

>>> from shapely.geometry import LineString, Point, box
>>> fence = Point(0, 0).buffer(2000, quad_segs=64)          # a 257-point inclusion
>>> zones = [box(-300, -300, -100, -100), box(1500, 1500, 1600, 1600)]
>>> route = LineString([(-1000, 0), (1000, 0)])
>>> fit = fit_fence([fence], zones, route, ARDUCOPTER)
>>> fit.bytes <= 560, fit.items <= 70, len(fit.shapes)    # the far zone is left off
(True, True, 2)
>>> fence.covers(fit.shapes[0].region(outer=True)), fit.shapes[1].region().covers(zones[0])
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.errors import PlanningError
from routes.geometry import polygons

# ArduPilot's fence storage (libraries/AC_Fence/AC_PolyFence_loader.cpp,
# fence_storage_space_required and write_fence): a 4-byte format header, then per polygon a type
# byte, a vertex-count byte and 8 bytes (lat, lon int32) per vertex; per circle a type byte, 8
# bytes of position and 4 of radius; an end-of-storage byte after the last one. A vertex count is
# a uint8 (param1 > 255 is refused). MissionItemProtocol answers MISSION_COUNT above
# storage size / 8 with NO_SPACE, and write_fence a fence over the storage size with ERROR.
AP_HEADER_BYTES = 4 + 1  # format header + end-of-storage marker
AP_POLYGON_BYTES = 2
AP_VERTEX_BYTES = 8
AP_CIRCLE_BYTES = 13
MAX_POLYGON_VERTICES = 255


@dataclass(frozen=True, slots=True)
class FenceBudget:
    """What fence one vehicle holds: ``max_items`` fence items and, for ArduPilot, the bytes of
    its fence storage (``storage_bytes``; None where only the item count matters, as on PX4)."""

    name: str
    max_items: int
    storage_bytes: int | None = None
    learned: bool = False

    def __post_init__(self) -> None:
        if self.max_items < 3:
            raise PlanningError(
                f"a vehicle fence needs room for at least 3 points, got {self.max_items}"
            )

    def cost(self, shapes: Sequence[FenceShape]) -> tuple[int, int]:
        """(items, bytes) ``shapes`` take; bytes as ArduPilot stores them."""
        items = sum(s.items for s in shapes)
        size = AP_HEADER_BYTES + sum(s.storage_bytes for s in shapes)
        return items, size

    def fits(self, shapes: Sequence[FenceShape]) -> bool:
        items, size = self.cost(shapes)
        too_big = any(s.items > MAX_POLYGON_VERTICES for s in shapes)
        over_bytes = self.storage_bytes is not None and size > self.storage_bytes
        return items <= self.max_items and not over_bytes and not too_big

    def with_points(self, points: int) -> FenceBudget:
        """The same kind of vehicle holding ``points`` fence items (``--fence-points``)."""
        size = None if self.storage_bytes is None else points * AP_VERTEX_BYTES
        return FenceBudget(self.name, points, size)

    def shrunk(self, items: int, size: int) -> FenceBudget:
        """A smaller budget after the vehicle refused a fence of ``items`` items (``size``
        bytes): three quarters of what was refused, so one retry is very likely to fit."""
        new_items = max(3, min(self.max_items, items) * 3 // 4)
        new_size = None
        if self.storage_bytes is not None:
            new_size = max(
                AP_HEADER_BYTES + 3 * AP_VERTEX_BYTES + 2, min(self.storage_bytes, size) * 3 // 4
            )
        return FenceBudget(self.name, new_items, new_size, learned=True)

    def describe(self) -> str:
        size = f", {self.storage_bytes} bytes" if self.storage_bytes is not None else ""
        how = " learned from a refusal" if self.learned else ""
        return f"{self.name} ({self.max_items} items{size}{how})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "max_items": self.max_items,
            "storage_bytes": self.storage_bytes,
            "learned": self.learned,
        }


#: ArduCopter / ArduHeli: StorageManager's copter layout gives the fence 48 + 256 + 256 bytes on
#: boards with 16 KB or more of storage (Pixhawk-class, and SITL's 32 KB): "70 fence points".
#: Seen on ArduCopter SITL 4.7: 60 points stored, 70 ERROR (566 bytes), 76 NO_SPACE.
ARDUCOPTER = FenceBudget("ArduCopter", 70, 560)
#: ArduPlane / Rover: the default layout's 160 + 256 + 256 bytes ("84 fence points").
ARDUPLANE = FenceBudget("ArduPlane", 84, 672)
#: PX4: dataman's DM_KEY_FENCE_POINTS_MAX of 128, less the first slot that holds the stats
#: (mavlink_mission.h MAX_COUNT); counted in items only.
PX4 = FenceBudget("PX4", 127, None)

PROFILES: dict[str, FenceBudget] = {
    "arducopter": ARDUCOPTER,
    "arduplane": ARDUPLANE,
    "ardurover": replace(ARDUPLANE, name="Rover"),
    "px4": PX4,
}


def budget_for(profile: str = "arducopter", points: int | None = None) -> FenceBudget:
    """The budget of a vehicle ``profile``, or of one holding ``points`` fence items."""
    key = profile.lower().replace(" ", "")
    if key not in PROFILES:
        raise PlanningError(
            f"unknown vehicle profile {profile!r}; known: {', '.join(PROFILES)}", profile=profile
        )
    base = PROFILES[key]
    return base if points is None else base.with_points(points)


@dataclass(frozen=True, slots=True)
class FenceShape:
    """One shape the vehicle holds: a polygon, or a circle (``centre``, ``radius_m``)."""

    inclusion: bool
    polygon: Polygon | None = None
    centre: tuple[float, float] | None = None
    radius_m: float = 0.0

    @property
    def is_circle(self) -> bool:
        return self.polygon is None

    @property
    def items(self) -> int:
        return 1 if self.polygon is None else len(self.polygon.exterior.coords) - 1

    @property
    def storage_bytes(self) -> int:
        if self.polygon is None:
            return AP_CIRCLE_BYTES
        return AP_POLYGON_BYTES + AP_VERTEX_BYTES * self.items

    def region(self, outer: bool = False) -> Polygon:
        """The shape as a polygon; a circle as a 128-gon inscribed in it, or (``outer``)
        circumscribed round it."""
        if self.polygon is not None:
            return self.polygon
        assert self.centre is not None
        n = 128
        r = self.radius_m / math.cos(math.pi / n) if outer else self.radius_m
        return Point(self.centre).buffer(r, quad_segs=n // 4)

    @property
    def area_m2(self) -> float:
        if self.polygon is None:
            return math.pi * self.radius_m**2
        return float(self.polygon.area)


#: why a zone outside the inclusion fence is left off
OUTSIDE_FENCE = "it lies outside the inclusion fence"


@dataclass(frozen=True, slots=True)
class FittedPart:
    """What became of one shape of the plan's fence (a row of the plan's report)."""

    role: Literal["inclusion", "exclusion"]
    index: int
    points_before: int
    points_after: int
    area_before_m2: float
    area_after_m2: float
    circle: bool = False
    dropped: str = ""

    @property
    def given_up_m2(self) -> float:
        """Area where the vehicle may no longer fly: lost inside an inclusion, or added to an
        exclusion (0 for a dropped zone: that one gives area back, see ``dropped``)."""
        if self.dropped:
            return 0.0
        if self.role == "inclusion":
            return self.area_before_m2 - self.area_after_m2
        return self.area_after_m2 - self.area_before_m2

    @property
    def changed(self) -> bool:
        """Worth a note: simplified, made a circle, or left off while inside the fence (a zone
        outside it is left off at no cost: the vehicle cannot be there)."""
        if self.dropped:
            return self.dropped != OUTSIDE_FENCE
        return self.circle or self.points_before != self.points_after

    def name(self) -> str:
        return "fence" if self.role == "inclusion" else f"no-fly zone {self.index + 1}"

    def note(self) -> str:
        if self.dropped:
            return f"{self.name()} left off the vehicle's fence: {self.dropped}"
        after = "a circle" if self.circle else f"{self.points_after} points"
        pct = 100 * self.given_up_m2 / self.area_before_m2 if self.area_before_m2 > 0 else 0.0
        way = "inwards" if self.role == "inclusion" else "outwards"
        return (
            f"{self.name()} simplified {way}: {self.points_before} points -> {after}, "
            f"{self.given_up_m2:,.0f} m² given up ({pct:.1f} %)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "index": self.index,
            "points_before": self.points_before,
            "points_after": self.points_after,
            "circle": self.circle,
            "area_before_m2": round(self.area_before_m2),
            "area_after_m2": round(self.area_after_m2),
            "given_up_m2": round(self.given_up_m2),
            "dropped": self.dropped,
        }


@dataclass(frozen=True, slots=True)
class FittedFence:
    """The fence one vehicle gets for one sortie, and what was simplified to make it fit."""

    shapes: tuple[FenceShape, ...]
    parts: tuple[FittedPart, ...]
    budget: FenceBudget
    items: int
    bytes: int
    #: the least distance from the route to the inclusion fence's edge
    clearance_m: float
    #: the least distance from the route to an exclusion (inf if none)
    exclusion_clearance_m: float = math.inf

    def notes(self) -> list[str]:
        b = self.budget
        size = f", {self.bytes} of {b.storage_bytes} bytes" if b.storage_bytes else ""
        learned = ", learned from a refusal" if b.learned else ""
        head = (
            f"vehicle fence: {self.items} of {b.max_items} items{size} ({b.name}{learned}); "
            f"the route stays {self.clearance_m:.0f} m or more inside it"
        )
        if self.exclusion_clearance_m < math.inf:
            head += f" and {self.exclusion_clearance_m:.0f} m or more from its exclusions"
        return [head] + [p.note() for p in self.parts if p.changed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget": self.budget.as_dict(),
            "items": self.items,
            "bytes": self.bytes,
            "clearance_m": round(self.clearance_m, 1),
            "exclusion_clearance_m": (
                round(self.exclusion_clearance_m, 1)
                if self.exclusion_clearance_m < math.inf
                else None
            ),
            "parts": [p.as_dict() for p in self.parts],
        }


@dataclass(slots=True)
class _Option:
    shape: FenceShape
    cost: int  # bytes (ArduPilot) or items


@dataclass(slots=True)
class _Slot:
    """One shape of the plan's fence being fitted: its options, cheapest last."""

    role: Literal["inclusion", "exclusion"]
    index: int
    original: Polygon
    options: list[_Option]
    current: int = 0

    @property
    def chosen(self) -> _Option:
        return self.options[self.current]


def _cost(budget: FenceBudget, shape: FenceShape) -> int:
    return shape.storage_bytes if budget.storage_bytes is not None else shape.items


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _meet(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> tuple[float, float] | None:
    """Where the line a->b, beyond b, meets the line d->c, beyond c (None if they do not)."""
    rx, ry = b[0] - a[0], b[1] - a[1]
    sx, sy = c[0] - d[0], c[1] - d[1]
    den = rx * sy - ry * sx
    if abs(den) < 1e-12:
        return None
    qx, qy = d[0] - a[0], d[1] - a[1]
    t = (qx * sy - qy * sx) / den
    u = (qx * ry - qy * rx) / den
    if t <= 1.0 or u <= 1.0:
        return None
    return a[0] + t * rx, a[1] + t * ry


#: a shape with more corners than this is first brought down by `_coarse`: the one-step-at-a-time
#: `_ladder` takes time in the square of the corners (3000 corners: two minutes)
LADDER_MAX_VERTICES = 200


def _coarse(poly: Polygon, keep: BaseGeometry, need_m: float, outward: bool) -> Polygon:
    """``poly`` with at most `LADDER_MAX_VERTICES` corners, grown (``outward``) or shrunk by t
    and simplified by less than t, so it still holds (or lies within) ``poly`` and keeps
    ``need_m`` from ``keep``; ``poly`` itself if no such t is found."""
    if len(poly.exterior.coords) - 1 <= LADDER_MAX_VERTICES:
        return poly
    t = max(poly.length / 5000, 0.5)
    while t < poly.length / 8:
        moved = poly.buffer(t if outward else -t, join_style="mitre")
        parts = [p for p in polygons(moved) if outward or p.covers(keep)]
        if parts:
            cand = Polygon(parts[0].exterior).simplify(0.9 * t, preserve_topology=True)
            if not isinstance(cand, Polygon) or not cand.is_valid or cand.is_empty:
                return poly
            if outward:
                ok = cand.covers(poly) and not shapely.dwithin(cand, keep, need_m - 1e-6)
            else:
                ok = poly.covers(cand) and _holds(cand, keep, need_m)
            if not ok:
                return poly  # coarser only comes nearer the route
            if len(cand.exterior.coords) - 1 <= LADDER_MAX_VERTICES:
                return cand
        t *= 1.5
    return poly


def _ladder(poly: Polygon, keep: BaseGeometry, need_m: float, outward: bool) -> list[Polygon]:
    """``poly`` with fewer and fewer vertices, one step at a time, each step the one that moves
    the least area: inward (an inclusion) by cutting off a convex corner; outward (an exclusion)
    by filling in a reflex corner or by extending the two edges beside a short edge until they
    meet. A step that would come within ``need_m`` of ``keep`` or make the outline cross itself
    is not taken. Visvalingam-Whyatt's order, with the moves limited to one side."""
    ring = shapely.geometry.polygon.orient(_coarse(poly, keep, need_m, outward), 1.0).exterior
    pts: list[tuple[float, float]] = [(float(x), float(y)) for x, y in list(ring.coords)[:-1]]
    shapely.prepare(keep)
    out: list[Polygon] = []
    while len(pts) > 3:
        n = len(pts)
        moves: list[tuple[float, int, tuple[float, float] | None]] = []
        for i in range(n):
            a, b, c = pts[i - 1], pts[i], pts[(i + 1) % n]
            turn = _cross(a, b, c)
            if abs(turn) < 1e-9:
                moves.append((0.0, i, None))
            elif (turn > 0) != outward:  # a convex corner cut in, a reflex one filled out
                moves.append((abs(turn) / 2, i, None))
            elif outward:
                d = pts[(i + 2) % n]
                x = _meet(a, b, c, d) if _cross(b, c, d) > 0 else None
                if x is not None:
                    moves.append((abs(_cross(b, x, c)) / 2, i, x))
        moves.sort(key=lambda m: m[0])
        for _, i, x in moves:
            b, c = pts[i], pts[(i + 1) % n]
            piece = Polygon([pts[i - 1], b, c]) if x is None else Polygon([b, x, c])
            if need_m > 0 and shapely.dwithin(piece, keep, need_m - 1e-6):
                continue
            if x is None:
                cand = pts[:i] + pts[i + 1 :]
            elif i + 1 < n:
                cand = [*pts[:i], x, *pts[i + 2 :]]
            else:  # the edge from the last vertex to the first
                cand = [x, *pts[1:i]]
            shell = shapely.geometry.LinearRing(cand)
            if shell.is_simple:
                pts = cand
                out.append(Polygon(cand))
                break
        else:
            break
    return out


def _inclusion_options(
    poly: Polygon, keep: BaseGeometry, need_m: float, budget: FenceBudget
) -> list[_Option]:
    """The original, then its `_ladder` inwards, then the largest circle within it, each
    keeping ``keep`` at least ``need_m`` inside."""
    found = [FenceShape(True, poly)] + [
        FenceShape(True, p) for p in _ladder(poly, keep, need_m, False)
    ]
    line = shapely.maximum_inscribed_circle(poly, tolerance=max(poly.length / 5000, 0.1))
    (cx, cy), _ = line.coords
    r = math.floor(line.length * 10) / 10  # down: stays inside
    if r > 0 and _circle_holds((cx, cy), r, keep, need_m):
        found.append(FenceShape(True, centre=(cx, cy), radius_m=float(r)))
    return [_Option(s, _cost(budget, s)) for s in found]


def _holds(fence: Polygon, keep: BaseGeometry, need_m: float) -> bool:
    return bool(fence.covers(keep) and fence.exterior.distance(keep) >= need_m - 1e-6)


def _circle_holds(centre: tuple[float, float], r: float, keep: BaseGeometry, need_m: float) -> bool:
    far = max(Point(centre).distance(Point(p)) for p in shapely.get_coordinates(keep))
    return bool(far <= r - need_m + 1e-6)


def _exclusion_options(
    zone: Polygon, keep: BaseGeometry, need_m: float, budget: FenceBudget
) -> list[_Option]:
    """The zone, then its `_ladder` outwards, then the smallest circle round it, each staying
    at least ``need_m`` from ``keep``."""
    found = [FenceShape(False, zone)] + [
        FenceShape(False, p) for p in _ladder(zone, keep, need_m, True)
    ]
    ring = shapely.get_coordinates(zone.exterior)
    centre = shapely.minimum_bounding_circle(MultiPoint(ring)).centroid
    r = math.ceil(max(centre.distance(Point(p)) for p in ring) * 10 + 0.1) / 10  # up: holds it
    if centre.distance(keep) >= r + need_m - 1e-6:
        found.append(FenceShape(False, centre=(centre.x, centre.y), radius_m=float(r)))
    return [_Option(s, _cost(budget, s)) for s in found]


#: an exclusion may grow this much toward a route that passes it closer than the clearance
#: (no more than half the way): about ArduPilot's FENCE_MARGIN default (2 m), and room for a
#: circle round a many-sided zone (2000 m across, a 64-gon's sides are 2.4 m inside its circle)
EXCLUSION_SLACK_M = 2.5


#: a circle replaces a polygon it costs less than if it gives up no more than this share of the
#: polygon's area, whether or not the fence needs the room
CIRCLE_FREE_FRAC = 0.03


def _given_up(slot: _Slot, option: _Option) -> float:
    if slot.role == "inclusion":
        return slot.original.area - option.shape.area_m2
    return option.shape.area_m2 - slot.original.area


def _prefer_circles(slots: Sequence[_Slot]) -> None:
    for slot in slots:
        for k, opt in enumerate(slot.options):
            cheaper = opt.cost < slot.chosen.cost
            small = _given_up(slot, opt) <= CIRCLE_FREE_FRAC * slot.original.area
            if opt.shape.is_circle and cheaper and small:
                slot.current = k


def _shrink(slots: Sequence[_Slot], budget: FenceBudget) -> bool:
    """Fit by the cheapest steps (least area given up per byte or item saved); False if the
    fence still does not fit when no step is left."""

    def shapes() -> list[FenceShape]:
        return [s.chosen.shape for s in slots]

    while not budget.fits(shapes()):
        best: tuple[tuple[float, float], _Slot, int] | None = None
        for slot in slots:
            now = slot.chosen
            for k, opt in enumerate(slot.options):
                saved = now.cost - opt.cost
                if saved <= 0:
                    continue
                extra = _given_up(slot, opt) - _given_up(slot, now)
                # a polygon over 255 vertices must shrink first, whatever it costs
                urgent = now.shape.items > MAX_POLYGON_VERTICES
                score = (-1.0 if urgent else 0.0, extra / saved)
                if best is None or score < best[0]:
                    best = (score, slot, k)
        if best is None:
            return False
        _, slot, k = best
        slot.current = k
    return True


def _zone_parts(
    zones: Sequence[Polygon], inside: BaseGeometry
) -> list[tuple[int, Polygon | None, str]]:
    """Each zone's parts within the inclusion fence (hole-free shells), or why it has none."""
    out: list[tuple[int, Polygon | None, str]] = []
    window = inside.buffer(1.0, quad_segs=2)
    for i, zone in enumerate(zones):
        parts = [Polygon(p.exterior) for p in polygons(zone.intersection(window)) if p.area > 0.01]
        if not parts:
            out.append((i, None, OUTSIDE_FENCE))
        out += [(i, p, "") for p in parts]
    return out


def fit_fence(
    inclusions: Sequence[Polygon],
    exclusions: Sequence[Polygon],
    keep: BaseGeometry,
    budget: FenceBudget,
    *,
    clearance_m: float = 25.0,
    reach_m: float = 500.0,
    explain: bool = True,
) -> FittedFence:
    """The fence for one sortie within ``budget`` (see the module's docstring).

    ``keep`` is what must stay inside: the sortie's route and its station, in the same metric
    frame as the fence. Raises `PlanningError` when even the simplest fence that keeps the route
    ``clearance_m`` inside does not fit, naming by how much (and, with ``explain``, how little
    clearance would let it fit).
    """
    incl = [Polygon(p.exterior) for q in inclusions for p in polygons(q)]
    holes = [Polygon(h) for q in inclusions for p in polygons(q) for h in p.interiors]
    zones = [*(p for z in exclusions for p in polygons(z)), *holes]
    inside = shapely.union_all(incl) if incl else None
    parts: list[FittedPart] = []
    slots: list[_Slot] = []
    for i, poly in enumerate(incl):
        d0 = poly.exterior.distance(keep) if poly.covers(keep) else 0.0
        need = min(clearance_m, d0)
        slots.append(_Slot("inclusion", i, poly, _inclusion_options(poly, keep, need, budget)))
    zone_parts = (
        _zone_parts(zones, inside)
        if inside is not None
        else [(i, z, "") for i, z in enumerate(zones)]
    )
    for i, part, why in zone_parts:
        if part is None:
            z = zones[i]
            n = len(z.exterior.coords) - 1
            parts.append(FittedPart("exclusion", i, n, 0, z.area, 0.0, dropped=why))
            continue
        d0 = part.distance(keep)
        if d0 > reach_m:
            n = len(part.exterior.coords) - 1
            why = f"{d0:,.0f} m from the route, beyond the {reach_m:,.0f} m it can reach"
            parts.append(FittedPart("exclusion", i, n, 0, part.area, 0.0, dropped=why))
            continue
        need = min(clearance_m, d0) - min(EXCLUSION_SLACK_M, d0 / 2)
        slots.append(_Slot("exclusion", i, part, _exclusion_options(part, keep, need, budget)))
    _prefer_circles(slots)
    if not _shrink(slots, budget):
        _refuse(inclusions, exclusions, keep, budget, clearance_m, reach_m, slots, explain)
    for slot in slots:
        shape = slot.chosen.shape
        parts.append(
            FittedPart(
                slot.role, slot.index, len(slot.original.exterior.coords) - 1, shape.items,
                slot.original.area, shape.area_m2, circle=shape.is_circle,
            )
        )  # fmt: skip
    chosen = [s.chosen.shape for s in slots]
    ordered = sorted(chosen, key=lambda s: (s.is_circle, not s.inclusion))
    items, size = budget.cost(ordered)
    parts.sort(key=lambda p: (p.role != "inclusion", p.index))
    return FittedFence(
        tuple(ordered), tuple(parts), budget, items, size, _clearance(ordered, keep, True),
        _clearance(ordered, keep, False),
    )  # fmt: skip


def _clearance(shapes: Sequence[FenceShape], keep: BaseGeometry, inclusion: bool) -> float:
    """The least distance from ``keep`` to the edge of an inclusion (or exclusion) shape."""
    ds = []
    for s in shapes:
        if s.inclusion != inclusion:
            continue
        if s.polygon is not None:
            ring = s.polygon.exterior if s.inclusion else s.polygon
            ds.append(ring.distance(keep))
        else:
            assert s.centre is not None
            c = Point(s.centre)
            if s.inclusion:
                far = max(c.distance(Point(p)) for p in shapely.get_coordinates(keep))
                ds.append(s.radius_m - far)
            else:
                ds.append(c.distance(keep) - s.radius_m)
    return float(min(ds)) if ds else math.inf


def _refuse(
    inclusions: Sequence[Polygon],
    exclusions: Sequence[Polygon],
    keep: BaseGeometry,
    budget: FenceBudget,
    clearance_m: float,
    reach_m: float,
    slots: Sequence[_Slot],
    explain: bool,
) -> None:
    items, size = budget.cost([s.chosen.shape for s in slots])
    over = []
    if items > budget.max_items:
        over.append(f"{items} items, {items - budget.max_items} over")
    if budget.storage_bytes is not None and size > budget.storage_bytes:
        over.append(f"{size} bytes, {size - budget.storage_bytes} over")
    what = "; ".join(over) or "a polygon over 255 points"
    hint = "even with the route on the fence's edge"
    for less in (clearance_m / 2, clearance_m / 4, 0.0) if explain else ():
        if less >= clearance_m:
            continue
        try:
            fit_fence(
                inclusions, exclusions, keep, budget, clearance_m=less, reach_m=reach_m,
                explain=False,
            )  # fmt: skip
        except PlanningError:
            continue
        hint = f"it would fit keeping the route only {less:.0f} m inside"
        break
    raise PlanningError(
        f"the geofence does not fit {budget.describe()}: simplified as far as keeping the "
        f"route {clearance_m:.0f} m inside the fence and clear of the no-fly zones allows, it "
        f"still needs {what} ({hint}); split the patrol into smaller sorties or give the "
        "vehicle more fence storage",
        items=items,
        bytes=size,
        max_items=budget.max_items,
        max_bytes=budget.storage_bytes,
    )
