"""Read-only snapshots of a simulated vehicle, for tests and the control API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.mission_items import MissionItem


@dataclass(frozen=True, slots=True)
class VehicleSnapshot:
    sysid: int
    time_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    heading_deg: float
    groundspeed_m_s: float
    climb_m_s: float
    mode: str
    armed: bool
    landed: bool
    landed_state: int
    battery_pct: float
    battery_v: float
    gps_fix: int
    home: tuple[float, float, float]
    mission: tuple[MissionItem, ...]
    fence: tuple[MissionItem, ...]
    rally: tuple[MissionItem, ...]
    mission_seq: int
    mission_state: int
    photos: int
    failsafe: bool
    actuators: dict[str, str] = field(default_factory=dict)
    """Payload outputs the vehicle was told to set (DO_GRIPPER, DO_SET_SERVO, DO_SET_RELAY)."""
    upload_duplicates: int = 0
    """Mission items received twice during the latest upload (a GCS retrying too eagerly)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (mission items reduced to their count)."""
        d = asdict(self)
        for key in ("mission", "fence", "rally"):
            d[key] = len(d[key])
        return d
