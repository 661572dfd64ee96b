"""Pydantic models of the flight side of the API: plans, patrols and vehicle commands.

Split from ``schemas.py`` the same way (``…Create`` in, ``…Public`` out, ``from_row`` copies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from groundstation.api.inputs import Id, InputModel
from groundstation.api.schemas import Latitude, Longitude
from groundstation.db import models
from groundstation.patrol.request import Pattern, PlanRequest
from routes.types import DEFAULT_BATTERY

# --- plans ---------------------------------------------------------------------------------------


# The API's form of `groundstation.patrol.request.PlanRequest`: its fields, bounded, and a name
# (tests/unit/patrol/test_plan_request.py holds the two and the command line's options together).
class PlanCreate(InputModel):
    """Plan a patrol over a site area (``area``) or a GeoJSON polygon (``polygon``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    kind: Literal["coverage", "shore", "corridor", "tour"]
    altitude_m: float = Field(gt=0, le=120, description="above take-off, metres")
    area: str | None = Field(None, max_length=64, description="a patrol area's zone_id or name")
    polygon: dict[str, Any] | None = Field(
        None, description="a GeoJSON Polygon (or Feature) in WGS84; overrides `area`"
    )
    line: dict[str, Any] | None = Field(None, description="corridor centre line (GeoJSON)")
    swath_width_m: float | None = Field(None, gt=0, le=2000)
    camera_hfov_deg: float | None = Field(
        None,
        gt=0,
        lt=180,
        description="camera horizontal field of view, degrees: with `overlap_frac`, sets the "
        "swath (and the photo spacing) from the altitude instead of `swath_width_m`",
    )
    overlap_frac: float | None = Field(
        None, ge=0, lt=1, description="side and front overlap between photos (with the camera)"
    )
    drones: int = Field(1, ge=1, le=20)
    # the defaults are the planner's (routes.types.BatteryModel), as the CLI's are
    speed_m_s: float = Field(DEFAULT_BATTERY.cruise_speed_m_s, gt=0, le=30)
    endurance_s: float = Field(DEFAULT_BATTERY.endurance_s, gt=60, le=10800)
    battery_wh: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="battery energy, Wh: with `power_w`, sets the endurance instead of "
        "`endurance_s`",
    )
    power_w: float | None = Field(None, gt=0, le=100_000, description="power drawn in cruise, W")
    reserve_frac: float = Field(DEFAULT_BATTERY.reserve_frac, ge=0, lt=1)
    accel_m_s2: float = Field(
        DEFAULT_BATTERY.accel_m_s2,
        ge=0.5,
        le=5,
        description="the autopilot's horizontal acceleration between waypoints, m/s² "
        "(ArduCopter's WPNAV_ACCEL / 100): with the speed and the waypoint radius, what "
        "corners and stops cost in the flight-time estimate",
    )
    wp_radius_m: float = Field(
        DEFAULT_BATTERY.wp_radius_m,
        ge=0.05,
        le=10,
        description="waypoint radius, m (ArduCopter's WPNAV_RADIUS / 100): how widely corners "
        "are cut",
    )
    max_items: int = Field(DEFAULT_BATTERY.max_mission_items, ge=8, le=5000)
    use_station: bool = True
    restricted: Literal["avoid", "cross", "allow"] = "avoid"
    pattern: Pattern = Field(
        "auto",
        description="coverage: auto (the cheapest), parallel (straight passes), channel (loops "
        "following the shore) or wavefront (passes across the water bending with it)",
    )
    offset_m: float = Field(20.0, ge=-500, le=500)
    loops: int = Field(1, ge=1, le=20)
    width_m: float | None = Field(None, gt=0, le=5000)
    loiter_s: float = Field(30.0, ge=0, le=3600)
    min_priority: int = Field(1, ge=1, le=5)
    vehicle: Literal["arducopter", "arduplane", "ardurover", "px4"] = Field(
        "arducopter", description="whose fence storage the geofence is fitted to"
    )
    fence_points: int | None = Field(
        None, ge=3, le=1000, description="fence items the vehicle holds (overrides `vehicle`)"
    )
    vehicle_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="the drone meant to fly it: sorties are split by the battery use learned "
        "from its flights (or its airframe's) once there are enough, else by `endurance_s`; "
        "stats.battery says which",
    )

    def to_request(self) -> PlanRequest:
        """The planning request (its cross-field rules checked: a 422 naming the field)."""
        return PlanRequest(**self.model_dump(exclude={"name"}))


class SortieSummary(BaseModel):
    sortie: int = Field(description="counts from 1")
    drone: int = Field(description="counts from 1")
    length_m: float
    duration_s: float
    mission_items: int
    fence_items: int = Field(0, description="items of the sortie's fitted geofence")


class PlanPreview(BaseModel):
    stats: dict[str, Any]
    sorties: list[SortieSummary]
    route: dict[str, Any] = Field(description="GeoJSON FeatureCollection in WGS84")


class PlanPublic(BaseModel):
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    stats: dict[str, Any]
    sorties: list[SortieSummary]
    created_by: int | None
    created_at: datetime
    route: dict[str, Any] | None = Field(None, description="only in the detail view")

    @classmethod
    def from_row(cls, p: models.Plan, with_route: bool = False) -> PlanPublic:
        return cls(
            id=p.id,
            name=p.name,
            kind=p.kind,
            params=dict(p.params),
            stats=dict(p.stats),
            sorties=summaries_of_rows(p.sortie_summaries),
            created_by=p.created_by,
            created_at=p.created_at,
            route=dict(p.route) if with_route else None,
        )


def sortie_summaries(sorties: list[Any]) -> list[SortieSummary]:
    """The summaries of sorties as planned (``Sortie.as_dict()``), counting from 1."""
    return summaries_of_rows(models.summarise_sorties(sorties))


def summaries_of_rows(rows: list[Any]) -> list[SortieSummary]:
    """Stored summary rows (:func:`~groundstation.db.models.summarise_sorties`, drones from 0)
    as the API gives them: sorties and drones counted from 1."""
    return [
        SortieSummary(sortie=n + 1, **{**row, "drone": row["drone"] + 1})
        for n, row in enumerate(rows)
    ]


# --- patrols -------------------------------------------------------------------------------------


class PatrolCreate(InputModel):
    """Patrols from a plan: one per sortie (``sortie`` None), or just one sortie."""

    model_config = ConfigDict(extra="forbid")

    plan_id: Id
    sortie: int | None = Field(None, ge=1, description="counts from 1; None = every sortie")
    vehicle_ids: list[Id] = Field(
        default_factory=list,
        description="registry ids; the plan's drone k flies on vehicle_ids[k-1] (cycled)",
    )


class FlyPlan(InputModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_ids: list[Id] = Field(min_length=1, description="the plan's drone k flies on [k-1]")


class PatrolStart(InputModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_id: Id | None = Field(None, description="override the patrol's vehicle")


class PatrolAbort(InputModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        None, min_length=1, max_length=500, description="the pilot's note (none: 'aborted')"
    )
    rtl: bool = Field(True, description="send the vehicle home if it is in the air")


class TransitionPublic(BaseModel):
    from_state: str
    to_state: str
    at: datetime
    cause: str
    cause_code: str = Field(description="the cause as a code (groundstation.reasons)")
    cause_params: dict[str, Any]
    user_id: int | None

    @classmethod
    def from_row(cls, t: models.PatrolTransition) -> TransitionPublic:
        return cls(
            from_state=t.from_state, to_state=t.to_state, at=t.at, cause=t.cause,
            cause_code=t.cause_code, cause_params=t.cause_params or {}, user_id=t.user_id,
        )  # fmt: skip


class PatrolPublic(BaseModel):
    id: int
    plan_id: int
    sortie: int = Field(description="counts from 1")
    vehicle_id: int | None
    state: models.PatrolState
    reason: str = Field(description="the last transition's cause, in English")
    reason_code: str = Field(description="the same as a code for the page to translate")
    reason_params: dict[str, Any]
    last_item_reached: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def from_row(cls, p: models.Patrol) -> PatrolPublic:
        return cls(
            id=p.id,
            plan_id=p.plan_id,
            sortie=p.sortie + 1,
            vehicle_id=p.vehicle_id,
            state=models.PatrolState(p.state),
            reason=p.reason,
            reason_code=p.reason_code or "",
            reason_params=p.reason_params or {},
            last_item_reached=p.last_item_reached,
            created_by=p.created_by,
            created_at=p.created_at,
            updated_at=p.updated_at,
            started_at=p.started_at,
            ended_at=p.ended_at,
        )


class PatrolEventPublic(BaseModel):
    at: datetime
    kind: str
    level: str
    text: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, e: models.PatrolEvent) -> PatrolEventPublic:
        return cls(at=e.at, kind=e.kind, level=e.level, text=e.text, data=dict(e.data))


class PatrolDetail(PatrolPublic):
    transitions: list[TransitionPublic]
    events: list[PatrolEventPublic] = Field(description="preflight verdicts, anomalies ...")
    track: dict[str, Any] = Field(description="GeoJSON Feature, MultiLineString split at gaps")
    report: dict[str, Any] | None = Field(None, description="the stored facts once reported")


# --- vehicle commands ----------------------------------------------------------------------------


class TakeoffCommand(InputModel):
    model_config = ConfigDict(extra="forbid")
    alt_m: float = Field(gt=0, le=120)


class GotoCommand(InputModel):
    model_config = ConfigDict(extra="forbid")
    lat_deg: Latitude
    lon_deg: Longitude
    alt_rel_m: float = Field(gt=0, le=120)


class ModeCommand(InputModel):
    model_config = ConfigDict(extra="forbid")
    mode: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[A-Za-z_]+$")]


class CommandResult(BaseModel):
    vehicle_id: int
    sysid: int
    command: str
    result: str


class DispatchRequest(InputModel):
    model_config = ConfigDict(extra="forbid")
    alt_rel_m: float = Field(40.0, gt=0, le=120)
    vehicle_id: Id | None = Field(None, description="this drone rather than the nearest")
    capability: str | None = Field(
        None, max_length=32, description="only drones listing it (e.g. thermal, speaker)"
    )


class DispatchResult(CommandResult):
    incident_id: int
    distance_m: float
