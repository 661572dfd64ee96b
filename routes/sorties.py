"""Sortie stage: split a route into battery-safe flights from the station, and share them out.

Each sortie flies from the station to where the previous one stopped, follows the route as far as
the battery allows while keeping the reserve for the way back, and returns to the station. A
sortie also stops when the vehicle's mission memory would overflow (``max_mission_items``): a
longer route becomes more sorties, never a truncated mission.

>>> from shapely.geometry import LineString, Point
>>> from routes.connect import StraightConnector
>>> lawnmower = [(0, 0), (3000, 0), (3000, 100), (0, 100), (0, 200), (3000, 200)]
>>> route = Route((Leg(LineString(lawnmower)),))
>>> battery = BatteryModel(cruise_speed_m_s=10, endurance_s=1000, reserve_frac=0.2,
...                        takeoff_landing_s=0)
>>> sorties = split_sorties(route, Point(0, 0), StraightConnector(), battery)
>>> len(sorties), all(s.duration_s(battery) <= 800 for s in sorties)
(2, True)
>>> assign_drones([900.0, 500.0, 400.0, 300.0], 2)
[0, 1, 1, 0]
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString, Point

from routes.connect import Connector
from routes.errors import BatteryError, at
from routes.flight_time import corner_loss_s, polyline_time_s, stop_s
from routes.mission import count_items
from routes.types import BatteryModel, Leg, LegKind, Route, Sortie

#: mission items a sortie needs besides one per waypoint: home, take-off, speed, camera on/off, RTL
ITEM_OVERHEAD = 6


@dataclass(frozen=True, slots=True)
class _Flat:
    xy: NDArray[np.float64]  # (n, 2) vertices
    kind: list[LegKind]  # kind of segment i -> i+1
    real: NDArray[np.bool_]  # vertex is a waypoint (not a cut candidate added by densifying)
    loiter: NDArray[np.float64]  # seconds to loiter at vertex
    name: list[str]
    cum: NDArray[np.float64]  # distance along the route at each vertex


def _flatten(route: Route, max_gap_m: float) -> _Flat:
    xy: list[tuple[float, float]] = []
    kind: list[LegKind] = []
    real: list[bool] = []
    loiter: list[float] = []
    name: list[str] = []
    for leg in route.legs:
        coords = [(float(x), float(y)) for x, y in leg.line.coords]
        if leg.kind == "loiter" or len(coords) == 1 or leg.length_m == 0:
            p = coords[0]
            if xy and xy[-1] == p:
                loiter[-1] += leg.loiter_s
                name[-1] = leg.name or name[-1]
            else:
                if xy:
                    kind.append("transit")
                xy.append(p)
                real.append(True)
                loiter.append(leg.loiter_s)
                name.append(leg.name)
            continue
        for i, p in enumerate(coords):
            if xy and xy[-1] == p:
                continue
            if xy:
                prev = xy[-1]
                seg = max(abs(p[0] - prev[0]), abs(p[1] - prev[1]))
                k = leg.kind if i > 0 else "transit"
                n_extra = int(np.hypot(p[0] - prev[0], p[1] - prev[1]) // max_gap_m) if seg else 0
                for j in range(1, n_extra + 1):
                    f = j / (n_extra + 1)
                    xy.append((prev[0] + f * (p[0] - prev[0]), prev[1] + f * (p[1] - prev[1])))
                    kind.append(k)
                    real.append(False)
                    loiter.append(0.0)
                    name.append("")
                kind.append(k)
            xy.append(p)
            real.append(True)
            loiter.append(0.0)
            name.append("")
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    d = np.hypot(*np.diff(arr, axis=0).T) if len(arr) > 1 else np.zeros(0)
    cum = np.concatenate([[0.0], np.cumsum(d)])
    return _Flat(arr, kind, np.asarray(real), np.asarray(loiter), name, cum)


def _legs_between(flat: _Flat, i0: int, i1: int) -> list[Leg]:
    """Legs for vertices i0..i1, one leg per run of equal segment kind (loiters separate)."""
    legs: list[Leg] = []
    if flat.loiter[i0] > 0:
        p = tuple(flat.xy[i0])
        legs.append(Leg(LineString([p, p]), "loiter", float(flat.loiter[i0]), flat.name[i0]))
    start = i0
    for i in range(i0, i1):
        last = i + 1 == i1
        if last or flat.kind[i + 1] != flat.kind[i] or flat.loiter[i + 1] > 0:
            pts = [
                tuple(p)
                for j, p in enumerate(flat.xy[start : i + 2], start)
                if flat.real[j] or j in (start, i + 1)
            ]
            legs.append(Leg(LineString(pts), flat.kind[i]))
            if flat.loiter[i + 1] > 0:
                p = tuple(flat.xy[i + 1])
                legs.append(
                    Leg(LineString([p, p]), "loiter", float(flat.loiter[i + 1]), flat.name[i + 1])
                )
            start = i + 1
    return legs


class _TooFar(Exception):
    """Even one step of the route at ``index`` takes ``need_s`` there and back."""

    def __init__(self, need_s: float, index: int, where: NDArray[np.float64]) -> None:
        super().__init__(need_s, index)
        self.need_s, self.index, self.where = need_s, index, where


def split_sorties(
    route: Route,
    station: Point,
    connector: Connector,
    battery: BatteryModel,
    *,
    max_gap_m: float = 100.0,
    photo: bool = False,
) -> list[Sortie]:
    """Cut ``route`` into sorties that each fit one battery (reserve kept) and mission memory.

    A stretch that no battery-full reaches is refused saying how many seconds over it is and
    the least endurance with which the whole route is cut into sorties that fit.
    """
    try:
        return _split(route, station, connector, battery, max_gap_m, photo)
    except _TooFar as far:

        def fits(endurance_s: float) -> bool:
            try:
                more = replace(battery, endurance_s=endurance_s)
                _split(route, station, connector, more, max_gap_m, photo)
            except (_TooFar, BatteryError):
                return False
            return True

        raise _over_battery(far, battery, _least(fits, battery.endurance_s)) from None


def _least(fits: Callable[[float], bool], failed_s: float) -> float | None:
    """The least endurance (whole seconds) above ``failed_s`` that ``fits``, by doubling then
    bisection; None past 8 times ``failed_s``."""
    lo, hi = failed_s, failed_s * 2
    while not fits(hi):
        lo, hi = hi, hi * 2
        if hi > 8 * failed_s:
            return None
    while hi - lo > 1.0:
        mid = math.ceil((lo + hi) / 2)
        if mid >= hi:
            break
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return float(math.ceil(hi))


def _split(
    route: Route,
    station: Point,
    connector: Connector,
    battery: BatteryModel,
    max_gap_m: float,
    photo: bool,
) -> list[Sortie]:
    flat = _flatten(route, max_gap_m)
    n = len(flat.xy)
    if n == 0:
        return []
    budget_m = battery.usable_s * battery.cruise_speed_m_s
    if budget_m <= 0:
        raise BatteryError(
            "the battery reserve and take-off/landing time leave no flight time",
            usable_s=battery.usable_s,
        )
    max_wp = battery.max_mission_items - ITEM_OVERHEAD
    home = np.array([station.x, station.y])
    euclid = np.hypot(*(flat.xy - home).T)
    loiter_m = np.cumsum(flat.loiter) * battery.cruise_speed_m_s
    # time the speed profile loses (corners, short legs), in metres of cruise, at the route's
    # waypoints inside a sortie (the cut candidates added by densifying are not waypoints),
    # plus the start and the stop at the station and a U-turn at most where the route leaves
    # the way out and where it joins the way back: the exact time is checked below
    nav = battery.nav
    lost = np.zeros(len(flat.xy))
    waypoints = np.flatnonzero(flat.real)
    lost[waypoints] = polyline_time_s(flat.xy[waypoints], nav, flat.loiter[waypoints] > 0)
    sharp = np.cumsum(np.maximum(lost, 0.0)) * nav.speed_m_s
    turn_m = (stop_s(nav) / 2 + corner_loss_s(180.0, nav)) * nav.speed_m_s
    pts = [Point(float(x), float(y)) for x, y in flat.xy]
    back_cache: dict[int, float] = {}

    def back(i: int) -> float:
        if i not in back_cache:
            back_cache[i] = float(connector.distance(pts[i], station))
        return back_cache[i]

    def cost(i0: int, i1: int) -> float:
        lo = loiter_m[i1] - (loiter_m[i0 - 1] if i0 > 0 else 0.0)
        bends = sharp[max(i1 - 1, i0)] - sharp[i0] + 2 * turn_m
        return float(back(i0) + flat.cum[i1] - flat.cum[i0] + lo + bends + back(i1))

    links: dict[tuple[int, bool], LineString] = {}

    def link(i: int, outward: bool) -> LineString:
        if (i, outward) not in links:
            p = pts[i]
            links[(i, outward)] = (
                connector.link(station, p) if outward else connector.link(p, station)
            )
        return links[(i, outward)]

    sorties: list[Sortie] = []
    i0 = 0
    while True:
        if cost(i0, i0) > budget_m:
            raise BatteryError(
                f"a point of the route {at(*flat.xy[i0])} is "
                f"{back(i0) / 1000:.1f} km from the station: the round trip needs "
                f"{2 * back(i0) / 1000:.1f} km but one battery gives {budget_m / 1000:.1f} km "
                "after the reserve (raise speed or endurance, lower the reserve, or use a "
                "station nearer the area)",
                point_index=i0,
                distance_m=back(i0),
                range_m=budget_m,
            )
        # furthest vertex allowed by the straight-line bound and the waypoint count
        wp = np.cumsum(flat.real[i0:])
        lo = loiter_m[i0:] - (loiter_m[i0 - 1] if i0 > 0 else 0.0)
        bends = np.concatenate([[0.0], sharp[i0:-1] - sharp[i0]]) + 2 * turn_m  # as in cost
        bound = back(i0) + flat.cum[i0:] - flat.cum[i0] + lo + bends + euclid[i0:]
        ok = (bound <= budget_m) & (wp <= max_wp)
        bad = np.flatnonzero(~ok)
        i1: int = i0 + (int(bad[0]) - 1 if len(bad) else n - 1 - i0)
        while i1 > i0 and cost(i0, i1) > budget_m:
            i1 -= 1
        if i1 == i0 and i0 < n - 1:
            raise BatteryError(
                f"the route near {at(*flat.xy[i0])}, "
                f"{back(i0) / 1000:.1f} km from the station, is out of range: one battery "
                f"gives {budget_m / 1000:.1f} km after the reserve, not enough to get there, "
                "fly a leg and come back (raise speed or endurance, or lower the reserve)",
                point_index=i0,
                range_m=budget_m,
            )

        def build(start: int, end: int) -> Route:
            legs = [
                Leg(link(start, True), "transit"),
                *_legs_between(flat, start, end),
                Leg(link(end, False), "transit"),
            ]
            return Route(tuple(legs))

        sortie = build(i0, i1)
        # the ways out and back may turn more than allowed for: shorten
        limit_s = battery.endurance_s * (1 - battery.reserve_frac)
        while i1 > i0 + 1 and Sortie(sortie).duration_s(battery) > limit_s:
            i1 -= 1
            sortie = build(i0, i1)
        if Sortie(sortie).duration_s(battery) > limit_s + 1e-6:
            raise _TooFar(Sortie(sortie).duration_s(battery), i0, flat.xy[i0])
        if count_items(sortie, photo) > battery.max_mission_items:
            good, top = i0 + 1, int(i1)  # largest end that fits the mission memory
            while good < top:
                mid = (good + top + 1) // 2
                if count_items(build(i0, mid), photo) <= battery.max_mission_items:
                    good = mid
                else:
                    top = mid - 1
            i1 = good
            sortie = build(i0, i1)
            if count_items(sortie, photo) > battery.max_mission_items:
                raise BatteryError(
                    f"{battery.max_mission_items} mission items are too few for even one leg "
                    "with the way out and back",
                    max_mission_items=battery.max_mission_items,
                )
        sorties.append(Sortie(sortie))
        if i1 >= n - 1:
            break
        i0 = i1
    return sorties


def _over_battery(far: _TooFar, battery: BatteryModel, least_s: float | None) -> BatteryError:
    """The refusal of a stretch of route that even one leg of makes a sortie too long: by how
    much, and the endurance with which the whole route fits (if 8 times this one does not do,
    it is not named)."""
    keep = 1 - battery.reserve_frac
    limit_s = battery.endurance_s * keep
    over = math.ceil(far.need_s - limit_s)
    fit = "" if least_s is None else f"an endurance of {least_s:.0f} s, "
    return BatteryError(
        f"the route near {at(*far.where)} is out of range: flying there, one leg of it and "
        f"back takes {far.need_s:.0f} s with take-off and landing, {over} s more than the "
        f"{limit_s:.0f} s one battery gives after the {battery.reserve_frac * 100:g} % "
        f"reserve; the route fits with {fit}a faster cruise, or a station nearer it",
        point_index=far.index,
        need_s=round(far.need_s, 1),
        limit_s=round(limit_s, 1),
        least_endurance_s=least_s,
    )


def assign_drones(durations_s: list[float], drones: int, turnaround_s: float = 0.0) -> list[int]:
    """Drone index for each sortie, longest first to the least busy drone (LPT makespan rule)."""
    if drones < 1:
        raise ValueError(f"need at least one drone, got {drones}")
    heap = [(0.0, d) for d in range(drones)]
    out = [0] * len(durations_s)
    for i in sorted(range(len(durations_s)), key=lambda i: -durations_s[i]):
        busy, d = heapq.heappop(heap)
        out[i] = d
        heapq.heappush(heap, (busy + durations_s[i] + turnaround_s, d))
    return out


def makespan_s(durations_s: list[float], drone_of: list[int], turnaround_s: float = 0.0) -> float:
    """Time until the last drone lands, each flying its sorties back to back."""
    busy: dict[int, float] = {}
    for t, d in zip(durations_s, drone_of, strict=True):
        busy[d] = busy.get(d, -turnaround_s) + t + turnaround_s
    return max(busy.values(), default=0.0)
