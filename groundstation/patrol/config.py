"""The lifecycle's tunables (:class:`PatrolConfig`, from the station's ``patrol`` settings,
``ECOPATROL_PATROL__*``) and the ``patrol.state`` payload."""

from __future__ import annotations

from dataclasses import dataclass

from groundstation.config import PatrolSettings
from groundstation.db.models import Patrol
from groundstation.telemetry.messages import PatrolStatus


@dataclass(frozen=True, slots=True)
class PatrolConfig:
    """Tunables of the lifecycle (the simulator's tests shorten the waits)."""

    wind_m_s: float | None = None
    wind_limit_m_s: float = 10.0
    track_interval_s: float = 0.2
    flush_s: float = 1.0
    launch_timeout_s: float = 120.0
    takeoff_frac: float = 0.8
    reattach_timeout_s: float = 120.0
    default_endurance_s: float = 1500.0
    turnaround_s: float = 2.0
    #: the battery model is learned from a vehicle's flights once it has this many, and minutes
    learn_min_flights: int = 3
    learn_min_minutes: float = 10.0
    #: in flight, the patrol sends the vehicle home once its battery is down to what the way
    #: home needs (by the battery model) plus this many percent
    return_reserve_pct: float = 10.0


def patrol_config(settings: PatrolSettings) -> PatrolConfig:
    """The lifecycle's tunables from the station's ``patrol`` settings."""
    return PatrolConfig(**settings.model_dump())


def patrol_payload(p: Patrol, from_state: str | None = None) -> PatrolStatus:
    """The ``patrol.state`` message data (and the snapshot's patrol entries)."""
    status = PatrolStatus(
        id=p.id,
        plan_id=p.plan_id,
        sortie=p.sortie + 1,
        vehicle_id=p.vehicle_id,
        state=p.state,
        reason=p.reason,
        reason_code=p.reason_code or "",
        reason_params=p.reason_params or {},
        last_item_reached=p.last_item_reached,
    )
    return status if from_state is None else status.model_copy(update={"from_state": from_state})
