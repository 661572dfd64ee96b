"""Plans for the service: a request in, the route, mission items per sortie and statistics out.

Synchronous and CPU-bound (the API runs it with ``asyncio.to_thread``). Geometry arrives in
WGS84, planning happens in the site's metric frame (``routes``), and what is stored goes back to
WGS84: the route as GeoJSON (with the geofence as a ``role: fence`` feature) and the mission,
fence and rally items of each sortie as plain lists ready for the link and the file formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import shapely
from shapely.geometry import LineString, Point, shape
from shapely.geometry.base import BaseGeometry

from groundstation.errors import InvalidRequest
from routes.types import DEFAULT_BATTERY

if TYPE_CHECKING:
    from geodata.crs import LocalFrame
    from geodata.site import Site
    from groundstation.patrol.battery import BatteryEstimate
    from routes.account import NamedZone
    from routes.fence import FenceBudget, FittedFence
    from routes.mission import MissionItem
    from routes.pipeline import PatrolParams
    from routes.types import Plan, Route

PlanKind = Literal["coverage", "shore", "corridor", "tour"]
ExportFormat = Literal["plan", "waypoints", "kml", "geojson"]

#: How far (metres) a requested area may stick out of the site's patrol areas (rounding).
SITE_TOLERANCE_M = 5.0

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
class PlanRequest:
    """What a pilot asks for (the API schema's domain twin). Geometries are GeoJSON dicts."""

    kind: PlanKind
    altitude_m: float
    area: str | None = None
    polygon: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    swath_width_m: float | None = None
    drones: int = 1
    speed_m_s: float = DEFAULT_BATTERY.cruise_speed_m_s
    endurance_s: float = DEFAULT_BATTERY.endurance_s
    reserve_frac: float = DEFAULT_BATTERY.reserve_frac
    turn_s: float = DEFAULT_BATTERY.turn_s
    max_items: int = DEFAULT_BATTERY.max_mission_items
    use_station: bool = True
    restricted: Literal["avoid", "cross", "allow"] = "avoid"
    offset_m: float = 20.0
    loops: int = 1
    width_m: float | None = None
    loiter_s: float = 30.0
    min_priority: int = 1
    vehicle: str = "arducopter"
    fence_points: int | None = None
    #: the drone meant to fly it (its learned battery use splits the sorties), and that model
    #: (:meth:`groundstation.patrol.battery.BatteryEstimate.as_dict` plus ``endurance_s_used``)
    vehicle_id: int | None = None
    battery: dict[str, Any] | None = None

    @property
    def endurance_used_s(self) -> float:
        """The endurance sorties are split by: the learned model's, else `endurance_s`."""
        if self.battery is not None and self.battery.get("source") == "learned":
            return float(self.battery["endurance_s_used"])
        return self.endurance_s

    def with_battery(self, estimate: BatteryEstimate) -> PlanRequest:
        """This request planned with `estimate` (learned: its endurance at our speed)."""
        used = estimate.endurance_at(self.speed_m_s) if estimate.learned else self.endurance_s
        return replace(self, battery={**estimate.as_dict(), "endurance_s_used": round(used, 1)})

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


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


def _geometry(doc: dict[str, Any], what: str) -> BaseGeometry:
    geom = doc.get("geometry") if doc.get("type") == "Feature" else doc
    try:
        out = shape(geom or {})
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InvalidRequest(f"{what} is not a GeoJSON geometry: {exc}", field=what) from None
    if out.is_empty:
        raise InvalidRequest(f"{what} is empty", field=what)
    return out


def _area(site: Site, req: PlanRequest) -> BaseGeometry:
    """The requested area in metres, checked to lie within the site's patrol areas."""
    frame = site.frame
    if req.polygon is not None:
        wgs = _geometry(req.polygon, "polygon")
        if wgs.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidRequest(
                f"polygon must be a Polygon, got a {wgs.geom_type}", field="polygon"
            )
        if not wgs.is_valid:
            raise InvalidRequest(
                f"polygon is not valid: {shapely.is_valid_reason(wgs)}", field="polygon"
            )
        local = frame.to_local(wgs)
        site_area = shapely.union_all(site.layer("patrol_areas", local=True).geometry.to_numpy())
        outside = local.difference(site_area.buffer(SITE_TOLERANCE_M))
        if outside.area > 1.0:
            c = frame.to_wgs84(outside.representative_point())
            raise InvalidRequest(
                f"the polygon lies partly outside the site's patrol areas: {outside.area:.0f} m² "
                f"outside, e.g. at lon {c.x:.5f}, lat {c.y:.5f}",
                field="polygon",
                outside_m2=round(outside.area),
            )
        return local
    from geodata.errors import GeodataError

    try:
        return site.area(req.area or "water_surface", local=True)
    except GeodataError as exc:
        raise InvalidRequest(str(exc), field="area") from None


def _params(req: PlanRequest) -> PatrolParams:
    from routes.pipeline import PatrolParams
    from routes.types import BatteryModel

    battery = BatteryModel(
        req.speed_m_s, req.endurance_used_s, req.reserve_frac, req.max_items, turn_s=req.turn_s
    )
    return PatrolParams(
        altitude_m=req.altitude_m,
        swath_width_m=req.swath_width_m,
        drones=req.drones,
        battery=battery,
        photo_spacing_m=req.swath_width_m,
        restricted=req.restricted,
    )


def site_zones(
    site: Site, to_local: Callable[[BaseGeometry], BaseGeometry]
) -> tuple[list[NamedZone], list[NamedZone]]:
    """The site's (no-fly, restricted and keep-out) zones, named as its layer names them and
    brought into the planning frame with ``to_local``."""
    from geodata.schema import HARD_RESTRICTIONS
    from routes.account import NamedZone

    hard: list[NamedZone] = []
    soft: list[NamedZone] = []
    for _, row in site.layer("no_fly_zones", local=False).iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        raw = row.get("restriction")
        restriction = raw if isinstance(raw, str) else ""
        is_hard = restriction in HARD_RESTRICTIONS
        kind = "no-fly" if is_hard else restriction.replace("_", "-") or "restricted"
        into = hard if is_hard else soft
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            name = f"{kind} zone {len(into) + 1}"
        into.append(NamedZone(name.strip(), to_local(row.geometry), kind))
    return hard, soft


def _build(site: Site, req: PlanRequest, area: BaseGeometry, params: PatrolParams) -> Plan:
    frame = site.frame
    hard, soft = site_zones(site, frame.to_local)
    station = frame.to_local(site.station) if req.use_station else None
    if req.kind == "coverage":
        from routes.pipeline import plan_coverage

        if req.swath_width_m is None:
            raise InvalidRequest("a coverage plan needs swath_width_m", field="swath_width_m")
        return plan_coverage(area, no_fly=hard, restricted=soft, station=station, params=params)
    if req.kind == "shore":
        from routes.patrols import plan_shore

        return plan_shore(
            area, offset_m=req.offset_m, loops=req.loops, no_fly=hard, restricted=soft,
            station=station, params=params,
        )  # fmt: skip
    if req.kind == "corridor":
        from routes.gapfill import centerline
        from routes.geometry import max_inscribed_radius, polygons
        from routes.patrols import plan_corridor

        if req.line is not None:
            line = frame.to_local(_geometry(req.line, "line"))
            if not isinstance(line, LineString):
                raise InvalidRequest("line must be a LineString", field="line")
        else:
            biggest = max(polygons(area), key=lambda q: q.area)
            line = LineString(centerline(biggest, spacing_m=20.0).simplify(10.0).coords)
        width = req.width_m if req.width_m is not None else 2 * max_inscribed_radius(area)
        return plan_corridor(
            line, width_m=width, no_fly=hard, restricted=soft, station=station, params=params
        )
    from routes.tour import plan_tour

    if station is None:
        raise InvalidRequest("a tour starts and ends at the station", field="use_station")
    spots = _hotspots(site, frame, req)
    return plan_tour(spots, station=station, no_fly=hard, restricted=soft, area=area, params=params)


def _hotspots(site: Site, frame: LocalFrame, req: PlanRequest) -> list[Any]:
    from routes.tour import Hotspot

    spots = []
    for _, row in site.layer("points_of_interest", local=False).iterrows():
        hid = row.get("hotspot_id")
        if not isinstance(hid, str) or not hid:
            continue
        prio = int(row["priority"]) if row["priority"] == row["priority"] else 1
        if prio < req.min_priority:
            continue
        wait = row.get("loiter_s")
        wait_s = float(wait) if isinstance(wait, int | float) and wait == wait else req.loiter_s
        spots.append(
            Hotspot(f"{hid} {row['name']}"[:60], frame.to_local(row.geometry), prio, wait_s)
        )
    if not spots:
        raise InvalidRequest(
            "the site has no hotspots at or above min_priority", field="min_priority"
        )
    return spots


def named_by_lonlat(frame: LocalFrame) -> Callable[[float, float], str]:
    """How planning messages name a local point: by longitude and latitude, as on a map."""

    def name(x: float, y: float) -> str:
        lon, lat = frame.xy_to_wgs84(x, y)
        return f"(lon {lon:.5f}, lat {lat:.5f})"

    return name


def plan_for(site: Site, req: PlanRequest) -> tuple[Plan, PatrolParams]:
    """The routes `Plan` for a request; planning failures become a 422 with the reason."""
    from routes.errors import PlanningError as RoutesPlanningError
    from routes.errors import naming_points

    try:
        params = _params(req)
        area = _area(site, req)
        with naming_points(named_by_lonlat(site.frame)):
            return _build(site, req, area, params), params
    except RoutesPlanningError as exc:
        raise InvalidRequest(
            f"cannot plan: {exc}", field="kind", error=type(exc).__name__
        ) from None
    except ValueError as exc:
        if isinstance(exc, InvalidRequest):
            raise
        raise InvalidRequest(f"cannot plan: {exc}", field="kind") from None


def fence_budget(req: PlanRequest) -> FenceBudget:
    """The fence the request's vehicle holds (its profile, or ``fence_points`` items)."""
    from routes.errors import PlanningError as RoutesPlanningError
    from routes.fence import budget_for

    try:
        return budget_for(req.vehicle, req.fence_points)
    except RoutesPlanningError as exc:
        field = "fence_points" if req.fence_points is not None else "vehicle"
        raise InvalidRequest(str(exc), field=field) from None


def sortie_fence(plan: Plan, route: Route, home: Point, budget: FenceBudget) -> FittedFence:
    """The plan's fence fitted to ``budget`` for one sortie (its route and home kept inside)."""
    from routes.fence import fit_fence

    assert plan.fence is not None
    keep = shapely.union_all([route.line(), home])
    return fit_fence([plan.fence], plan.no_fly, keep, budget)


def make_plan(site: Site, req: PlanRequest) -> PlanResult:
    """Plan, then convert to what the store keeps (WGS84 GeoJSON, item rows, statistics)."""
    from routes.errors import PlanningError as RoutesPlanningError
    from routes.errors import naming_points
    from routes.formats.geojson import plan_to_geojson
    from routes.mission import build_mission, fence_items, rally_items

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
    sorties = []
    fences: list[dict[str, Any]] = []
    fence_notes: list[str] = []
    photo = params.photo_spacing_m if plan.kind == "coverage" else None
    for n, s in enumerate(plan.sorties):
        home = plan.station if plan.station is not None else Point(s.route.start)
        fence: tuple[MissionItem, ...] = ()
        try:
            items = build_mission(
                s.route, frame, home=home, altitude_m=plan.altitude_m,
                speed_m_s=params.battery.cruise_speed_m_s, photo_spacing_m=photo,
            )  # fmt: skip
            if plan.fence is not None:
                with naming_points(named_by_lonlat(frame)):
                    fitted = sortie_fence(plan, s.route, home, budget)
                fence = fence_items(fitted, frame)
                fences.append(fitted.as_dict())
                fence_notes += [f"sortie {n + 1}: {note}" for note in fitted.notes()]
        except RoutesPlanningError as exc:
            raise InvalidRequest(
                f"cannot plan sortie {n + 1}: {exc}", field="fence_points", error=type(exc).__name__
            ) from None
        except ValueError as exc:
            raise InvalidRequest(f"cannot build the mission: {exc}", field="kind") from None
        rally = rally_items([home], frame, plan.altitude_m)
        sorties.append(
            PlannedSortie(
                drone=s.drone,
                length_m=round(s.length_m, 1),
                duration_s=round(s.duration_s(params.battery), 1),
                items=[item_to_row(i) for i in items],
                fence=[item_to_row(i) for i in fence],
                rally=[item_to_row(i) for i in rally],
            )
        )
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
        "battery": req.battery
        or {
            "source": "configured",
            "basis": "no vehicle given",
            "endurance_s": req.endurance_s,
            "endurance_s_used": req.endurance_s,
            "text": f"configured endurance {req.endurance_s:.0f} s (no vehicle given)",
        },
    }
    return PlanResult(route=route, sorties=sorties, stats=stats)


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
        plan, _ = plan_for(site, PlanRequest(**params))
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
