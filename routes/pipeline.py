"""Plans from geometry in metres: the coverage pipeline, and the finishing steps every kind shares.

decompose -> swaths -> order -> connect (`routes.coverage`), then sorties -> drones -> statistics.

>>> from shapely.geometry import Point, box
>>> params = PatrolParams(altitude_m=60, swath_width_m=100)
>>> plan = plan_coverage(box(0, 0, 2000, 1000), station=Point(-50, 500), params=params)
>>> plan.stats.covered_frac > 0.995, plan.stats.outside_m, plan.stats.sorties >= 1
(True, 0.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from shapely.geometry import MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from routes.account import NamedZone, account_for, named
from routes.connect import VisibilityConnector
from routes.constraints import Airspace, geofence
from routes.coverage import CoverageStrategy, join_region, plan_coverage_path
from routes.errors import InvalidAreaError, PlanningError, UnreachableError, at
from routes.geometry import as_area, outside_length, polygons, turns
from routes.mission import MAX_ALTITUDE_M, check_altitude
from routes.objectives import FlightTime
from routes.sorties import assign_drones, makespan_s, split_sorties
from routes.types import BatteryModel, Plan, PlanStats, Route, Sortie

RestrictedPolicy = Literal["avoid", "cross", "allow"]


@dataclass(frozen=True, slots=True)
class PatrolParams:
    """What every patrol kind needs besides its geometry."""

    altitude_m: float
    swath_width_m: float | None = None
    drones: int = 1
    battery: BatteryModel = field(default_factory=BatteryModel)
    fence_margin_m: float = 100.0
    turnaround_s: float = 120.0
    max_altitude_m: float = MAX_ALTITUDE_M
    photo_spacing_m: float | None = None
    restricted: RestrictedPolicy = "avoid"

    def __post_init__(self) -> None:
        check_altitude(self.altitude_m, self.max_altitude_m)
        if self.drones < 1:
            raise PlanningError(f"need at least one drone, got {self.drones}")
        if self.fence_margin_m < 0:
            raise PlanningError(f"fence margin must not be negative, got {self.fence_margin_m}")


#: a zone kept out of a plan, bare or with its name (named zones are named in the plan's account)
Zone = BaseGeometry | NamedZone


def zones(no_fly: Sequence[Zone]) -> tuple[Polygon, ...]:
    return tuple(p for z in no_fly for p in polygons(z.shape if isinstance(z, NamedZone) else z))


def zone_sets(
    no_fly: Sequence[Zone], restricted: Sequence[Zone], policy: RestrictedPolicy
) -> tuple[tuple[Polygon, ...], tuple[Polygon, ...]]:
    """(zones never swept or visited, zones never flown through) for a restricted-zone policy.

    ``avoid``: restricted zones are like hard ones; ``cross``: transits may cross them by the
    shortest way but no pass is flown over them; ``allow``: they are ignored.
    """
    hard, soft = zones(no_fly), zones(restricted)
    if policy == "allow":
        return hard, hard
    if policy == "cross":
        return hard + soft, hard
    if policy == "avoid":
        return hard + soft, hard + soft
    raise PlanningError(f"restricted-zone policy must be avoid, cross or allow, got {policy!r}")


def check_reachable(
    parts: Sequence[BaseGeometry], region: BaseGeometry, station: Point | None
) -> None:
    """Refuse when some part cannot be reached from the others (or the station) in ``region``."""
    comps = polygons(region)
    if len(comps) <= 1 and (station is None or (comps and comps[0].covers(station))):
        return

    def comp_of(g: BaseGeometry) -> int:
        p = g.representative_point() if not isinstance(g, Point) else g
        for i, c in enumerate(comps):
            if c.buffer(0.01).covers(p):
                return i
        return -1

    seen = {comp_of(p) for p in parts}
    if station is not None:
        home = comp_of(station)
        far = [p for p in parts if comp_of(p) != home]
        if far:
            c = far[0].representative_point()
            raise UnreachableError(
                f"{len(far)} part(s) of the area, e.g. near {at(c.x, c.y)}, cannot be "
                "reached from the station without entering a no-fly or restricted zone",
                parts=len(far),
            )
    elif len(seen) > 1:
        raise UnreachableError(
            f"no-fly or restricted zones split the area into {len(seen)} parts that cannot be "
            "joined: allow crossing restricted zones, or plan each part on its own",
            parts=len(seen),
        )


def finish(
    kind: str,
    route: Route,
    *,
    area: BaseGeometry,
    station: Point | None,
    airspace: Airspace,
    params: PatrolParams,
    region: BaseGeometry | None = None,
    covered_frac: float | None = None,
    notes: Sequence[str] = (),
    presplit: Sequence[Route] | None = None,
) -> Plan:
    """Split into sorties (unless there is no station), assign drones, compute the statistics.

    ``region`` is where the route itself must stay (measured as ``outside_m``; by default where
    the airspace allows flight). The plan's no-fly zones are the airspace's.
    """
    battery = params.battery
    if region is None:
        region = airspace.allowed
    notes = list(notes)
    if station is None:
        sorties: list[Sortie] = [Sortie(route)]
        check_region: BaseGeometry = region
        notes.append("no station: the path alone, not split into battery sorties")
    elif presplit is not None:
        sorties = [Sortie(r) for r in presplit]
        check_region = airspace.allowed
    else:
        connector = VisibilityConnector(airspace.allowed, nav=battery.nav)
        photo = kind == "coverage" and params.photo_spacing_m is not None
        sorties = split_sorties(route, station, connector, battery, photo=photo)
        check_region = airspace.allowed
    durations = [s.duration_s(battery) for s in sorties]
    drone_of = assign_drones(durations, params.drones, params.turnaround_s)
    if presplit is not None:
        drone_of = list(range(len(sorties)))
    sorties = [Sortie(s.route, d) for s, d in zip(sorties, drone_of, strict=True)]
    lines = [s.route.line() for s in sorties]
    sweep = sum(s.route.sweep_length_m for s in sorties)
    spacing = params.photo_spacing_m if kind == "coverage" else None
    stats = PlanStats(
        length_m=sum(line.length for line in lines),
        sweep_length_m=sweep,
        flight_time_s=sum(durations),
        makespan_s=makespan_s(durations, drone_of, params.turnaround_s),
        sorties=len(sorties),
        drones=len(set(drone_of)),
        covered_frac=covered_frac,
        photos=int(sweep // spacing) + len(sorties) if spacing else 0,
        turns=sum(turns(line) for line in lines),
        outside_m=outside_length(MultiLineString(lines), check_region),
    )
    return Plan(
        kind,
        area,
        airspace.no_fly,
        station,
        tuple(sorties),
        stats,
        params.altitude_m,
        params.swath_width_m,
        airspace.fence,
        tuple(notes),
    )


def plan_coverage(
    area: BaseGeometry,
    *,
    no_fly: Sequence[Zone] = (),
    restricted: Sequence[Zone] = (),
    station: Point | None = None,
    params: PatrolParams,
    strategies: Sequence[CoverageStrategy] | None = None,
) -> Plan:
    """Cover ``area`` minus the no-fly zones; with a station, split into battery sorties.

    The plan's ``stats.account`` says what the zones took of ``area`` (by name, for zones given
    as `NamedZone`), what was planned and covered, and what is flown outside ``area``.
    """
    if params.swath_width_m is None:
        raise PlanningError("coverage needs a swath width (or a camera field of view and overlap)")
    area = as_area(area)
    requested = area
    no_sweep, nf = zone_sets(no_fly, restricted, params.restricted)
    fence = geofence(polygons(area), station, params.fence_margin_m, zones=nf)
    airspace = Airspace(fence, nf)
    keep_off = airspace.grown(no_sweep)
    cover = area.difference(keep_off) if keep_off is not None else area
    if cover.area < 1.0:
        raise InvalidAreaError("the area lies entirely inside no-fly or restricted zones")
    cover = as_area(cover)
    grown = airspace.grown(nf)
    inside = area.difference(grown) if grown is not None else area
    # passes are joined without leaving the area; separate ponds (or an area split by zones)
    # are joined over land inside the fence, still round the islands
    joins = inside if len(polygons(inside)) == 1 else join_region(inside, airspace.allowed)
    if station is not None:
        airspace.check_station(station)
        check_reachable(polygons(cover), airspace.allowed, station)
    check_reachable(polygons(cover), joins, None)
    connector = VisibilityConnector(joins)
    # patterns compared as the sorties will be timed: by the autopilot's speed profile
    objective = FlightTime.of(params.battery)
    result = plan_coverage_path(
        cover,
        params.swath_width_m,
        strategies=strategies,
        objective=objective,
        start=station,
        connector=connector,
    )
    notes = [f"coverage strategy: {result.strategy}"] + [
        f"{k} cost {v:.0f}" for k, v in sorted(result.costs.items())
    ]
    plan = finish(
        "coverage",
        result.route,
        area=cover,
        station=station,
        airspace=airspace,
        params=params,
        region=joins,
        covered_frac=result.covered_frac,
        notes=notes,
    )
    taken = named(no_fly, "no-fly")
    if params.restricted != "allow":
        taken += named(restricted, "restricted")
    account = account_for(
        requested, cover, taken, plan.sorties, width_m=params.swath_width_m,
        station=station is not None, clearance_m=airspace.clearance_m, path=result.route.line(),
    )  # fmt: skip
    return replace(plan, stats=replace(plan.stats, account=account))
