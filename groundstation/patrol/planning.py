"""The one path from a planning request to missions, for the API, the scheduler and the CLI.

A :class:`~groundstation.patrol.request.PlanRequest` and the
:class:`~groundstation.patrol.ground.Ground` it is planned over (the area, zones and station in a
metric frame) give a `routes` plan (:func:`plan_on`), and each of its sorties a mission
(:func:`sortie_missions`). The station takes its ground from the site (`site_ground`); the
command line from its files and options.

Synchronous and CPU-bound (the station runs it in its planner pool). Geometry arrives in
WGS84, planning happens in a metric frame (``routes``), and what the station stores goes back to
WGS84 (:func:`make_plan`): the route as GeoJSON (with the geofence as a ``role: fence`` feature)
and the mission, fence and rally items of each sortie as plain lists ready for the link and the
file formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import shapely
from shapely.geometry import LineString, Point

from groundstation.errors import InvalidRequest
from groundstation.patrol.ground import Ground, geometry_of, site_ground
from groundstation.patrol.request import Pattern, PlanRequest, refuse
from routes.errors import PlanningError

if TYPE_CHECKING:
    from geodata.crs import LocalFrame
    from geodata.site import Site
    from routes.coverage import CoverageStrategy
    from routes.fence import FenceBudget, FittedFence
    from routes.mission import MissionItem
    from routes.pipeline import PatrolParams
    from routes.types import BatteryModel, Plan, Route

ExportFormat = Literal["plan", "waypoints", "kml", "geojson"]

ITEM_FIELDS = (
    "seq",
    "frame",
    "command",
    "current",
    "autocontinue",
    "param1",
    "param2",
    "param3",
    "param4",
    "x",
    "y",
    "z",
    "mission_type",
)


@dataclass(frozen=True, slots=True)
class PlannedSortie:
    drone: int
    length_m: float
    duration_s: float
    items: list[list[float]]
    fence: list[list[float]] = field(default_factory=list)
    rally: list[list[float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlanResult:
    route: dict[str, Any]
    sorties: list[PlannedSortie]
    stats: dict[str, Any]


def item_to_row(item: MissionItem) -> list[float]:
    return [getattr(item, name) for name in ITEM_FIELDS]


def row_to_item(row: list[Any]) -> MissionItem:
    from routes.mission import MissionItem

    if len(row) != len(ITEM_FIELDS):
        raise ValueError(f"a stored mission item has {len(row)} fields, not {len(ITEM_FIELDS)}")
    seq, frame, command, current, autocontinue, p1, p2, p3, p4, x, y, z, mtype = row
    return MissionItem(
        int(seq), int(frame), int(command), int(current), int(autocontinue),
        float(p1), float(p2), float(p3), float(p4), int(x), int(y), float(z), int(mtype),
    )  # fmt: skip


def coverage_strategies(pattern: Pattern, battery: BatteryModel) -> list[CoverageStrategy]:
    """The coverage patterns to try (``auto``: all three, the cheapest wins), the parallel one
    choosing its angles at the price of a turn for this battery (as the plans are timed)."""
    from routes.coverage import (
        ChannelCoverage,
        ParallelCoverage,
        WavefrontCoverage,
    )
    from routes.objectives import FlightTime

    chosen: list[CoverageStrategy] = []
    if pattern in ("auto", "channel"):
        chosen.append(ChannelCoverage())
    if pattern in ("auto", "wavefront"):
        chosen.append(WavefrontCoverage())
    if pattern in ("auto", "parallel"):
        chosen.append(ParallelCoverage(turn_cost_m=FlightTime.of(battery).turn_cost_m))
    return chosen


def plan_on(ground: Ground, req: PlanRequest) -> tuple[Plan, PatrolParams]:
    """The routes `Plan` for ``req`` over ``ground``, and the parameters it was planned with.

    Refusals are `routes.errors.PlanningError` (the station answers 422) naming places by
    longitude and latitude, or `InvalidRequest` naming the request's field.
    """
    from routes.errors import naming_points

    params = req.patrol_params()
    with naming_points(named_by_lonlat(ground.frame)):
        plan = _build(ground, req, params)
    if ground.warnings:
        warned = tuple(f"warning: {w}" for w in ground.warnings)
        plan = replace(plan, notes=(*warned, *plan.notes))
    return plan, params


def _build(g: Ground, req: PlanRequest, params: PatrolParams) -> Plan:
    zones: dict[str, Any] = {"no_fly": g.no_fly, "restricted": g.restricted, "station": g.station}
    if req.kind == "coverage":
        from routes.pipeline import plan_coverage

        if params.swath_width_m is None:
            raise refuse(
                "a coverage plan needs a swath: give {swath_width_m}, or {camera_hfov_deg} with "
                "{overlap_frac}",
                "swath_width_m",
            )
        strategies = coverage_strategies(req.pattern, params.battery)
        return plan_coverage(g.area, params=params, strategies=strategies, **zones)
    if req.kind == "shore":
        from routes.patrols import plan_shore

        return plan_shore(g.area, offset_m=req.offset_m, loops=req.loops, params=params, **zones)
    if req.kind == "corridor":
        from routes.gapfill import centerline
        from routes.geometry import max_inscribed_radius, polygons
        from routes.patrols import plan_corridor

        if req.line is not None:
            line = g.frame.to_local(geometry_of(req.line, "line"))
            if not isinstance(line, LineString):
                raise refuse("{line} must be a LineString", "line")
        else:
            biggest = max(polygons(g.area), key=lambda q: q.area)
            line = LineString(centerline(biggest, spacing_m=20.0).simplify(10.0).coords)
        width = req.width_m if req.width_m is not None else 2 * max_inscribed_radius(g.area)
        return plan_corridor(line, width_m=width, params=params, **zones)
    from routes.tour import plan_tour

    if g.station is None:
        raise refuse(
            "a tour starts and ends at the station; {use_station} turns it off", "use_station"
        )
    spots = _hotspots(g, req)
    return plan_tour(
        spots, station=g.station, no_fly=g.no_fly, restricted=g.restricted, area=g.area,
        params=params,
    )  # fmt: skip


def _hotspots(g: Ground, req: PlanRequest) -> list[Any]:
    from routes.tour import Hotspot

    spots = []
    for _, row in g.site.layer("points_of_interest", local=False).iterrows():
        hid = row.get("hotspot_id")
        if not isinstance(hid, str) or not hid:
            continue
        prio = int(row["priority"]) if row["priority"] == row["priority"] else 1
        if prio < req.min_priority:
            continue
        wait = row.get("loiter_s")
        wait_s = float(wait) if isinstance(wait, int | float) and wait == wait else req.loiter_s
        spots.append(
            Hotspot(f"{hid} {row['name']}"[:60], g.frame.to_local(row.geometry), prio, wait_s)
        )
    if not spots:
        raise refuse("the site has no hotspots at or above {min_priority}", "min_priority")
    return spots


def named_by_lonlat(frame: LocalFrame) -> Callable[[float, float], str]:
    """How planning messages name a local point: by longitude and latitude, as on a map."""

    def name(x: float, y: float) -> str:
        lon, lat = frame.xy_to_wgs84(x, y)
        return f"(lon {lon:.5f}, lat {lat:.5f})"

    return name


def plan_for(site: Site, req: PlanRequest) -> tuple[Plan, PatrolParams]:
    """The routes `Plan` for a request over the site (:func:`site_ground`, :func:`plan_on`)."""

    try:
        return plan_on(site_ground(site, req), req)
    except (InvalidRequest, PlanningError):
        raise
    except ValueError as exc:  # not a refusal the planner meant: still the request's fault
        raise InvalidRequest(f"cannot plan: {exc}", field="kind") from None


def fence_budget(req: PlanRequest) -> FenceBudget:
    """The fence the request's vehicle holds (its profile, or ``fence_points`` items)."""
    from routes.fence import budget_for

    try:
        return budget_for(req.vehicle, req.fence_points)
    except PlanningError as exc:
        field = "fence_points" if req.fence_points is not None else "vehicle"
        raise InvalidRequest(str(exc), field=field) from None


def sortie_fence(plan: Plan, route: Route, home: Point, budget: FenceBudget) -> FittedFence:
    """The plan's fence fitted to ``budget`` for one sortie (its route and home kept inside)."""
    from routes.fence import fit_fence

    assert plan.fence is not None
    keep = shapely.union_all([route.line(), home])
    return fit_fence([plan.fence], plan.no_fly, keep, budget)


@dataclass(frozen=True, slots=True)
class SortieMission:
    """One sortie's mission, geofence (fitted to the vehicle) and rally point."""

    items: tuple[MissionItem, ...]
    fence: tuple[MissionItem, ...]
    rally: tuple[MissionItem, ...]
    #: the fitted fence the fence items come from (None without one)
    fitted: FittedFence | None


def sortie_missions(
    plan: Plan, params: PatrolParams, frame: LocalFrame, budget: FenceBudget,
    *, with_fence: bool = True,
) -> list[SortieMission]:  # fmt: skip
    """Each sortie of ``plan`` as MAVLink items; the fence (if the plan has one and
    ``with_fence``) fitted to ``budget``. A sortie that cannot be flown raises the planner's
    refusal naming the sortie."""
    from routes.errors import naming_points
    from routes.mission import build_mission, fence_items, rally_items

    photo = params.photo_spacing_m if plan.kind == "coverage" else None
    out: list[SortieMission] = []
    for n, s in enumerate(plan.sorties):
        home = plan.station if plan.station is not None else Point(s.route.start)
        fence: tuple[MissionItem, ...] = ()
        fitted: FittedFence | None = None
        try:
            items = build_mission(
                s.route, frame, home=home, altitude_m=plan.altitude_m,
                speed_m_s=params.battery.cruise_speed_m_s, photo_spacing_m=photo,
            )  # fmt: skip
            if plan.fence is not None and with_fence:
                with naming_points(named_by_lonlat(frame)):
                    fitted = sortie_fence(plan, s.route, home, budget)
                fence = fence_items(fitted, frame)
        except PlanningError as exc:
            raise type(exc)(
                f"cannot plan sortie {n + 1}: {exc}", sortie=n + 1, **exc.details
            ) from None
        rally = rally_items([home], frame, plan.altitude_m)
        out.append(SortieMission(items, fence, rally, fitted))
    return out


def make_plan(site: Site, req: PlanRequest) -> PlanResult:
    """Plan, then convert to what the store keeps (WGS84 GeoJSON, item rows, statistics)."""
    from routes.formats.geojson import plan_to_geojson

    budget = fence_budget(req)
    plan, params = plan_for(site, req)
    frame = site.frame
    route = plan_to_geojson(plan, frame.to_wgs84)
    if plan.fence is not None:
        fence_geom = shapely.set_precision(frame.to_wgs84(plan.fence), 1e-7)
        route["features"].append(
            {
                "type": "Feature",
                "properties": {"role": "fence"},
                "geometry": shapely.geometry.mapping(fence_geom),
            }
        )
    try:
        missions = sortie_missions(plan, params, frame, budget)
    except ValueError as exc:
        if isinstance(exc, PlanningError):
            raise
        raise InvalidRequest(f"cannot build the mission: {exc}", field="kind") from None
    fences = [m.fitted.as_dict() for m in missions if m.fitted is not None]
    fence_notes = [
        f"sortie {n + 1}: {note}"
        for n, m in enumerate(missions)
        if m.fitted is not None
        for note in m.fitted.notes()
    ]
    sorties = [
        PlannedSortie(
            drone=s.drone,
            length_m=round(s.length_m, 1),
            duration_s=round(s.duration_s(params.battery), 1),
            items=[item_to_row(i) for i in m.items],
            fence=[item_to_row(i) for i in m.fence],
            rally=[item_to_row(i) for i in m.rally],
        )
        for s, m in zip(plan.sorties, missions, strict=True)
    ]
    st = plan.stats
    stats = {
        "length_m": round(st.length_m, 1),
        "sweep_length_m": round(st.sweep_length_m, 1),
        "flight_time_s": round(st.flight_time_s, 1),
        "makespan_s": round(st.makespan_s, 1),
        "sorties": st.sorties,
        "drones": st.drones,
        "covered_frac": st.covered_frac,
        "photos": st.photos,
        "turns": st.turns,
        "outside_m": round(st.outside_m, 1),
        "mission_items": sum(len(s.items) for s in sorties),
        "fence": fences,
        "area": st.account.as_dict() if st.account is not None else None,
        "notes": plan.comments() + fence_notes,
        "battery": req.battery or configured_battery(req),
    }
    return PlanResult(route=route, sorties=sorties, stats=stats)


def configured_battery(req: PlanRequest) -> dict[str, Any]:
    """``stats.battery`` of a plan made for no vehicle: the endurance the request gives."""
    endurance = req.configured_endurance_s
    return {
        "source": "configured",
        "basis": "no vehicle given",
        "endurance_s": endurance,
        "endurance_s_used": endurance,
        "text": f"configured endurance {endurance:.0f} s (no vehicle given)",
    }


def export_text(
    site: Site, params: dict[str, Any], sorties: list[dict[str, Any]], route: dict[str, Any],
    fmt: ExportFormat, sortie: int,
) -> str:  # fmt: skip
    """One export file of a stored plan; `sortie` counts from 1 (plan and waypoints only)."""
    import json

    from routes.formats import kml, qgc_plan, waypoints
    from routes.mission import Mission

    if fmt == "geojson":
        return json.dumps(route, ensure_ascii=False) + "\n"
    if fmt == "kml":
        plan, _ = plan_for(site, PlanRequest.from_params(params))
        return kml.dumps(plan, site.frame.to_wgs84)
    if not 1 <= sortie <= len(sorties):
        raise InvalidRequest(
            f"the plan has sorties 1..{len(sorties)}, not {sortie}", field="sortie"
        )
    s = sorties[sortie - 1]
    items = tuple(row_to_item(r) for r in s["items"])
    if fmt == "waypoints":
        return waypoints.dumps(items)
    mission = Mission(
        items,
        tuple(row_to_item(r) for r in s["fence"]),
        tuple(row_to_item(r) for r in s["rally"]),
        float(params.get("speed_m_s", 10.0)),
    )
    notes = route.get("properties", {}).get("notes", [])
    return qgc_plan.dumps(mission, comments=[str(n) for n in notes])
