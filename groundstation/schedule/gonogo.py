"""Go / no-go before an unattended launch: daylight, wind, and which drone of the pool may fly.

Pure functions over what the station knows at fire time. Daylight is civil twilight (the sun
6° below the horizon) at the site's position and date, computed with ``astral``; the patrol
must start after dawn and be planned to end before dusk.

>>> from datetime import datetime, UTC
>>> noon = datetime(2026, 6, 21, 4, 0, tzinfo=UTC)      # 12:00 in Longyou
>>> check_daylight(noon, 1800, lat_deg=29.05, lon_deg=119.18).ok
True
>>> night = datetime(2026, 6, 21, 15, 0, tzinfo=UTC)    # 23:00 in Longyou
>>> check_daylight(night, 1800, lat_deg=29.05, lon_deg=119.18).reason[:27]
'outside civil twilight: now'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from astral import Observer
from astral.sun import dawn, dusk

MAV_STATE_CRITICAL = 5


@dataclass(frozen=True, slots=True)
class Verdict:
    """One go/no-go check and its outcome."""

    name: str
    ok: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the station knows of one drone of the pool at fire time."""

    vehicle_id: int
    name: str
    connected: bool
    busy_with: int | None = None
    battery_pct: float | None = None
    system_status: int = 0
    armed: bool = False
    wind_speed_m_s: float | None = None  # the vehicle's own estimate (WIND), if it sends one
    wind_dir_deg: float | None = None  # where that wind comes from, clockwise from north
    #: why this station may not command it (another station does: docs/federation.md)
    held: str | None = None


def check_daylight(
    now: datetime,
    duration_s: float,
    *,
    lat_deg: float,
    lon_deg: float,
    local_tz: str = "Asia/Shanghai",
) -> Verdict:
    """Go if the patrol starts after civil dawn and is planned to land before civil dusk."""
    from zoneinfo import ZoneInfo

    local_day = now.astimezone(ZoneInfo(local_tz))
    try:
        obs = Observer(latitude=lat_deg, longitude=lon_deg)
        start = dawn(obs, local_day.date(), tzinfo=ZoneInfo(local_tz))
        end = dusk(obs, local_day.date(), tzinfo=ZoneInfo(local_tz))
    except ValueError as exc:  # polar day or night: the sun never crosses -6°
        return Verdict("daylight", False, f"no civil twilight today at this latitude: {exc}")
    landing = now + timedelta(seconds=duration_s)
    if now < start or landing > end:
        return Verdict(
            "daylight",
            False,
            f"outside civil twilight: now {_hm(now, local_tz)}, landing {_hm(landing, local_tz)}, "
            f"daylight {_hm(start, local_tz)}-{_hm(end, local_tz)} ({local_tz})",
        )
    return Verdict("daylight", True, "within civil twilight")


def _hm(t: datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return t.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def check_wind(
    wind_m_s: float | None, limit_m_s: float, vehicle: Candidate | None = None
) -> Verdict:
    """Go if the wind is under the limit (unknown wind is a go: nothing says no).

    The chosen vehicle's own estimate (WIND) wins over the configured ``wind_m_s``; the reason
    names which one was used, in the same words as the preflight check.

    >>> check_wind(12.5, 10.0).reason
    'wind 12.5 m/s (configured), limit 10.0 m/s'
    >>> d = Candidate(1, "d", connected=True, wind_speed_m_s=4.0, wind_dir_deg=270)
    >>> check_wind(12.5, 10.0, d).reason
    "wind 4.0 m/s (from 270°, the vehicle's estimate), limit 10.0 m/s"
    """
    if vehicle is not None and vehicle.wind_speed_m_s is not None:
        wind = vehicle.wind_speed_m_s
        source = "the vehicle's estimate"
        if vehicle.wind_dir_deg is not None:
            source = f"from {vehicle.wind_dir_deg:.0f}°, {source}"
    elif wind_m_s is not None:
        wind, source = wind_m_s, "configured"
    else:
        return Verdict("wind", True, "no wind estimate (none from the vehicle or configured)")
    ok = wind <= limit_m_s
    return Verdict("wind", ok, f"wind {wind:.1f} m/s ({source}), limit {limit_m_s:.1f} m/s")


def why_not(c: Candidate, min_battery_pct: float) -> str | None:
    """Why this drone cannot take the run, or None if it can."""
    if not c.connected:
        return "not connected"
    if c.held is not None:
        return c.held
    if c.busy_with is not None:
        return f"busy with patrol {c.busy_with}"
    if c.armed:
        return "armed (in use)"
    if c.system_status >= MAV_STATE_CRITICAL:
        return f"unhealthy (MAV_STATE {c.system_status})"
    if c.battery_pct is None:
        return "battery level unknown"
    if c.battery_pct < min_battery_pct:
        return f"battery {c.battery_pct:.0f} % under {min_battery_pct:.0f} %"
    return None


def pick_drone(
    candidates: Sequence[Candidate], min_battery_pct: float
) -> tuple[Candidate | None, str]:
    """The fullest-charged drone that may fly, or None and why none may.

    >>> a = Candidate(1, "a", connected=True, battery_pct=80)
    >>> b = Candidate(2, "b", connected=True, battery_pct=95, busy_with=4)
    >>> c = Candidate(3, "c", connected=False)
    >>> pick_drone([a, b, c], 50)[0].name
    'a'
    >>> pick_drone([b, c], 50)[1]
    'no drone available: b: busy with patrol 4; c: not connected'
    >>> g = Candidate(4, "g", connected=True, battery_pct=99, held="commanded by another station")
    >>> pick_drone([a, g], 50)[0].name
    'a'
    """
    if not candidates:
        return None, "no drone available: the pool is empty (no vehicle registered)"
    fit = [c for c in candidates if why_not(c, min_battery_pct) is None]
    if fit:
        return max(fit, key=lambda c: (c.battery_pct or 0.0, -c.vehicle_id)), "ok"
    reasons = "; ".join(f"{c.name}: {why_not(c, min_battery_pct)}" for c in candidates)
    return None, f"no drone available: {reasons}"
