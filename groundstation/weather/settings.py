"""The ``weather`` settings group: the local source, how often it is read, the limits.

Nested in the station's `Settings` as ``weather`` (``ECOPATROL_WEATHER__SOURCE=...``).

>>> WeatherSettings(gust_limit_m_s=10).limits().gust_m_s
10.0
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from groundstation.weather.report import WeatherLimits


class WeatherSettings(BaseModel):
    """Gusts, rain and visibility for the go/no-go gate (schedules and manual launches)."""

    source: str | None = Field(
        None, description="http(s):// URL answering JSON, or a JSON file path; None = none"
    )
    poll_s: float = Field(60.0, gt=0, description="how often the source is read")
    timeout_s: float = Field(5.0, gt=0, description="an HTTP source's answer time")
    max_age_s: float = Field(1800.0, gt=0, description="an older polled report is stale")
    manual_max_s: float = Field(6 * 3600.0, gt=0, description="longest a pilot's entry holds")
    gust_limit_m_s: float = Field(12.0, gt=0)
    rain_limit_mm_h: float = Field(2.0, ge=0)
    visibility_min_m: float = Field(1500.0, ge=0)
    require: bool = Field(False, description="no current report blocks a launch")

    def limits(self) -> WeatherLimits:
        return WeatherLimits(
            gust_m_s=self.gust_limit_m_s,
            rain_mm_h=self.rain_limit_mm_h,
            visibility_m=self.visibility_min_m,
            max_age_s=self.max_age_s,
            require=self.require,
        )
