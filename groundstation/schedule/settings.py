"""The scheduler's tunables: a frozen config, and its ``ECOPATROL_SCHEDULE_*`` settings.

>>> ScheduleSettings(check_daylight=False).config().check_daylight
False
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """Tunables of unattended launches (tests turn the daylight check off)."""

    min_battery_pct: float = 60.0
    wind_limit_m_s: float = 10.0
    check_daylight: bool = True
    misfire_grace_s: int = 60
    default_duration_s: float = 1800.0
    resync_s: float = 30.0


class ScheduleSettings(BaseSettings):
    """The scheduler's tunables from ``ECOPATROL_SCHEDULE_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ECOPATROL_SCHEDULE_", extra="ignore")

    min_battery_pct: float = Field(60.0, ge=0, le=100)
    wind_limit_m_s: float = Field(10.0, gt=0)
    check_daylight: bool = True
    misfire_grace_s: int = Field(60, ge=1)

    def config(self) -> ScheduleConfig:
        return ScheduleConfig(
            min_battery_pct=self.min_battery_pct, wind_limit_m_s=self.wind_limit_m_s,
            check_daylight=self.check_daylight, misfire_grace_s=self.misfire_grace_s,
        )  # fmt: skip
