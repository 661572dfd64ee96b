"""The scheduler's tunables: a frozen config, from the station's ``schedule`` settings
(``ECOPATROL_SCHEDULE__*``).

>>> schedule_config(ScheduleSettings(check_daylight=False)).check_daylight
False
"""

from __future__ import annotations

from dataclasses import dataclass

from groundstation.config import ScheduleSettings


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """Tunables of unattended launches (tests turn the daylight check off)."""

    min_battery_pct: float = 60.0
    wind_limit_m_s: float = 10.0
    check_daylight: bool = True
    misfire_grace_s: int = 60
    default_duration_s: float = 1800.0
    resync_s: float = 30.0


def schedule_config(settings: ScheduleSettings) -> ScheduleConfig:
    """The scheduler's tunables from the station's ``schedule`` settings."""
    return ScheduleConfig(**settings.model_dump())
