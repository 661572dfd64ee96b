"""The ``safety`` settings group: alert thresholds, the reach-the-shore margin, wind, rally points.

Nested in the station's `Settings` as ``safety`` (environment ``ECOPATROL_SAFETY__...``).

>>> s = SafetySettings()
>>> s.battery_for("quadcopter").critical_pct, s.battery_for("an unknown airframe").warn_pct
(20.0, 30.0)
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class BatteryLimits(BaseModel):
    """When a pack is low, for one airframe: by remaining % and by voltage per cell."""

    warn_pct: float = Field(30.0, ge=0, le=100)
    critical_pct: float = Field(20.0, ge=0, le=100)
    cells: int = Field(12, ge=1, le=24, description="cells in series (12S for an M300 pack)")
    warn_cell_v: float = Field(3.60, ge=0, le=5)
    critical_cell_v: float = Field(3.45, ge=0, le=5)


class SafetySettings(BaseModel):
    """The flight safety watch (issue 16)."""

    enabled: bool = Field(True, description="run the vehicle monitors at all")
    battery: dict[str, BatteryLimits] = Field(
        default_factory=lambda: {"default": BatteryLimits()},
        description="per airframe name (the vehicle row's airframe); 'default' for the rest",
    )
    altitude_limit_m: float = Field(120.0, gt=0, description="legal ceiling above take-off")
    no_fly_warn_m: float = Field(150.0, ge=0, description="warn this close to a hard no-fly edge")
    gps_min_fix: int = Field(3, ge=0, le=8, description="below this fix type: degraded")
    gps_min_satellites: int = Field(6, ge=0)
    gps_max_hdop: float = Field(2.5, gt=0)
    mode_grace_s: float = Field(
        10.0, gt=0, description="a mode change this soon after the station asked for it is ours"
    )
    # reach-the-shore margin
    margin_watch: bool = Field(True, description="compute the margin on every position frame")
    auto_return: bool = Field(True, description="at the critical margin, command the return")
    auto_return_grace_s: float = Field(
        3.0, ge=0, description="wait this long for a return already under way (patrol, failsafe)"
    )
    reserve_pct: float = Field(15.0, ge=0, lt=100, description="battery left at the landing")
    margin_warn_min: float = Field(6.0, description="warn when fewer minutes are left after return")
    margin_critical_min: float = Field(2.0, description="return when fewer minutes are left")
    drag_frac: float = Field(
        0.3, ge=0, le=1, description="share of cruise power that grows with airspeed squared"
    )
    max_airspeed_m_s: float = Field(20.0, gt=0, description="fastest the airframe flies in air")
    return_speed_m_s: float = Field(10.0, gt=0, description="ground speed of a return (RTL)")
    landing_s: float = Field(60.0, ge=0, description="descent and landing at the point")
    wind_speed_m_s: float = Field(0.0, ge=0, description="configured wind, used without WIND")
    wind_from_deg: float = Field(0.0, ge=0, lt=360, description="where it blows from")
    rally_points: list[tuple[float, float]] = Field(
        default_factory=list,
        description="extra landable points on shore, (lon, lat); points on water are refused",
    )

    def battery_for(self, airframe: str | None) -> BatteryLimits:
        """The limits of `airframe`, else the ``default`` ones, else the built-in ones."""
        if airframe and airframe in self.battery:
            return self.battery[airframe]
        return self.battery.get("default", BatteryLimits())
