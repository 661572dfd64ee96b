"""Preflight checks: each one passes or fails with a reason a pilot can act on.

Pure functions over what the station knows at the moment (the vehicle's state, the sortie, the
plan's fence and no-fly zones, the other patrols, the wind); the runner gathers the inputs.

>>> from groundstation.link.vehicle import Position, VehicleState
>>> st = VehicleState(1, 1, position=Position(29.05, 119.18, 40.0), battery_pct=90.0,
...                   gps_fix=3, system_status=3)
>>> inputs = PreflightInputs(state=st, sortie_duration_s=600, endurance_s=1800,
...                          waypoints=[(119.18, 29.05)])
>>> [c.name for c in run_checks(inputs) if not c.ok]
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from groundstation.link.vehicle import VehicleState
from groundstation.patrol.battery import BatteryEstimate
from groundstation.weather.report import WeatherVerdict

GPS_3D_FIX = 3
MAV_STATE_CRITICAL = 5  # MAV_STATE_CRITICAL and EMERGENCY mean "not healthy"
MAV_STATE_EMERGENCY = 6


@dataclass(frozen=True, slots=True)
class Check:
    """One preflight check and its verdict."""

    name: str
    ok: bool
    reason: str
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "ok": self.ok, "reason": self.reason}
        if self.data is not None:
            out["data"] = self.data
        return out


@dataclass(frozen=True, slots=True)
class PreflightInputs:
    """Everything the checks look at. Positions are (lon, lat) in degrees."""

    state: VehicleState | None
    sortie_duration_s: float
    endurance_s: float
    waypoints: Sequence[tuple[float, float]] = ()
    lost: bool = False
    reserve_frac: float = 0.25
    fence: BaseGeometry | None = None
    no_fly: Sequence[BaseGeometry] = field(default_factory=tuple)
    busy_with: int | None = None
    #: the configured wind; the vehicle's own estimate (``state.wind_speed_m_s``) wins
    wind_m_s: float | None = None
    wind_limit_m_s: float = 10.0
    resume: bool = False
    #: the sortie's (or, resuming, the rest's) length and speed, for a learned battery model
    sortie_length_m: float = 0.0
    speed_m_s: float = 10.0
    #: learned from the vehicle's flights, or the configured model (None: `endurance_s`)
    battery: BatteryEstimate | None = None
    #: why the link holds everything sent to this vehicle (address change, not enrolled)
    held: str | None = None
    #: the weather gate's verdicts now (gusts, rain, visibility: groundstation.weather)
    weather: Sequence[WeatherVerdict] = ()


def check_link(i: PreflightInputs) -> Check:
    if i.state is None:
        return Check("link", False, "the vehicle has not been heard on any link")
    if i.held is not None:
        return Check("link", False, f"commands held: {i.held}")
    if i.lost or i.state.link.status == "lost":
        return Check("link", False, f"link lost ({i.state.link.last_heard_s:.0f} s silent)")
    if i.state.system_status in (MAV_STATE_CRITICAL, MAV_STATE_EMERGENCY):
        return Check("link", False, f"the vehicle reports system status {i.state.system_status}")
    bad = i.state.telemetry
    if bad.status == "bad":  # a failing estimator or a spoofer: its position cannot be trusted
        return Check(
            "link",
            False,
            f"impossible telemetry from the vehicle lately ({bad.rejected} values dropped, the "
            f"last one {bad.last_field}): check the vehicle and the link",
        )
    return Check("link", True, f"connected, link {i.state.link.status}")


def check_gps(i: PreflightInputs) -> Check:
    if i.state is None:
        return Check("gps", False, "no vehicle state")
    if i.state.gps_fix < GPS_3D_FIX:
        return Check("gps", False, f"no 3D GPS fix (fix type {i.state.gps_fix})")
    if i.state.position is None:
        return Check("gps", False, "no position reported yet")
    sats = f", {i.state.satellites} satellites" if i.state.satellites is not None else ""
    return Check("gps", True, f"3D fix{sats}")


def check_battery(i: PreflightInputs) -> Check:
    """The battery the vehicle has now against the flight's need (learned rates if there are)."""
    model = i.battery or BatteryEstimate("configured", "no flights looked at", i.endurance_s)
    if i.state is None or i.state.battery_pct is None:
        return Check("battery", False, "battery level unknown", {"model": model.as_dict()})
    flight = model.need_pct(i.sortie_duration_s, i.sortie_length_m, i.speed_m_s)
    need = flight + 100.0 * i.reserve_frac
    have = i.state.battery_pct
    what = "the rest of the sortie" if i.resume else "sortie"
    text = (
        f"{have:.0f} % available, {need:.0f} % needed ({what} {flight:.0f} % plus "
        f"{i.reserve_frac:.0%} reserve; {model.describe()})"
    )
    data = {
        "have_pct": have,
        "need_pct": round(need, 1),
        "flight_pct": round(flight, 1),
        "model": model.as_dict(),
    }
    return Check("battery", have >= need, text, data)


def check_geofence(i: PreflightInputs) -> Check:
    if not i.waypoints:
        return Check("geofence", False, "the mission has no waypoints")
    points = MultiPoint([Point(p) for p in i.waypoints])
    if i.fence is not None:
        outside = [k for k, p in enumerate(points.geoms) if not i.fence.buffer(1e-6).covers(p)]
        if outside:
            return Check(
                "geofence",
                False,
                f"{len(outside)} waypoint(s) outside the geofence (first #{outside[0]})",
            )
    for zone in i.no_fly:
        inside = [k for k, p in enumerate(points.geoms) if zone.contains(p)]
        if inside:
            return Check("geofence", False, f"waypoint #{inside[0]} lies in a no-fly zone")
    return Check(
        "geofence", True, f"{len(i.waypoints)} waypoints inside the fence, none in no-fly zones"
    )


def check_not_busy(i: PreflightInputs) -> Check:
    if i.busy_with is not None:
        return Check("vehicle_free", False, f"the vehicle is flying patrol {i.busy_with}")
    if i.state is not None and i.state.armed and not i.resume:
        return Check("vehicle_free", False, "the vehicle is already armed (someone is flying it)")
    return Check("vehicle_free", True, "not on another patrol")


def check_wind(i: PreflightInputs) -> Check:
    """The vehicle's own wind estimate (WIND) if it sends one, else the configured wind."""
    state = i.state
    if state is not None and state.wind_speed_m_s is not None:
        wind = state.wind_speed_m_s
        source = "the vehicle's estimate"
        if state.wind_dir_deg is not None:
            source = f"from {state.wind_dir_deg:.0f}°, {source}"
    elif i.wind_m_s is not None:
        wind, source = i.wind_m_s, "configured"
    else:
        return Check("wind", True, "no wind estimate (none from the vehicle or configured)")
    ok = wind <= i.wind_limit_m_s
    return Check("wind", ok, f"wind {wind:.1f} m/s ({source}), limit {i.wind_limit_m_s:.1f} m/s")


def check_weather(i: PreflightInputs) -> Check:
    """Gusts, rain and visibility from the station's weather source or a pilot's entry."""
    if not i.weather:
        return Check("weather", True, "no weather source configured")
    failed = [v for v in i.weather if not v.ok]
    shown = failed or list(i.weather)
    return Check("weather", not failed, "; ".join(v.reason for v in shown))


CHECKS = (
    check_link, check_gps, check_battery, check_geofence, check_not_busy, check_wind,
    check_weather,
)  # fmt: skip


def run_checks(inputs: PreflightInputs) -> list[Check]:
    """Every check, in order; the patrol may go on only if all pass."""
    return [check(inputs) for check in CHECKS]


def failures(checks: Sequence[Check]) -> str:
    """One line naming the failed checks and their reasons ('' if all passed)."""
    return "; ".join(f"{c.name}: {c.reason}" for c in checks if not c.ok)
