"""The lifecycle's tunables (:class:`PatrolConfig`, from ``ECOPATROL_PATROL_*`` through
:class:`PatrolSettings`) and the ``patrol.state`` payload."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class PatrolSettings(BaseSettings):
    """The lifecycle's settings from ``ECOPATROL_PATROL_*`` (read when the service starts)."""

    model_config = SettingsConfigDict(env_prefix="ECOPATROL_PATROL_", extra="ignore")

    wind_m_s: float | None = Field(None, ge=0, description="wind for preflight; None = unknown")
    wind_limit_m_s: float = Field(10.0, gt=0)
    track_interval_s: float = Field(0.2, ge=0, description="least time between track points")
    reattach_timeout_s: float = Field(120.0, gt=0)
    turnaround_s: float = Field(2.0, ge=0, description="pause between sorties of a sequence")
    learn_min_flights: int = Field(
        3, ge=1, description="flights before a vehicle's battery use is learned from them"
    )
    learn_min_minutes: float = Field(
        10.0, ge=0, description="minutes of flight before battery use is learned from them"
    )
    return_reserve_pct: float = Field(
        10.0, ge=0, le=100, description="% over the way home's need at which a patrol returns"
    )

    def to_config(self) -> PatrolConfig:
        return PatrolConfig(**self.model_dump())


def patrol_payload(p: Patrol, from_state: str | None = None) -> PatrolStatus:
    """The ``patrol.state`` message data (and the snapshot's patrol entries)."""
    status = PatrolStatus(
        id=p.id,
        plan_id=p.plan_id,
        sortie=p.sortie + 1,
        vehicle_id=p.vehicle_id,
        state=p.state,
        reason=p.reason,
        last_item_reached=p.last_item_reached,
    )
    return status if from_state is None else status.model_copy(update={"from_state": from_state})
