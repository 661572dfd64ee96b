"""A weather report and the go/no-go verdicts on it: gusts, rain, visibility.

A report is what a local source said at one time (an HTTP JSON endpoint or a file the station
polls, or a pilot's entry); a value it does not give is None and blocks nothing. A report older
than ``max_age_s`` (or past its own expiry) is stale and counts as no report: the gate then says
so and lets the launch go, as the wind check does when nothing is known, unless the settings
require weather (``require``).

>>> from datetime import datetime, UTC
>>> now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
>>> r = parse_report({"gust_m_s": 14.2, "rain_mm_h": 0.0, "visibility_m": 8000,
...                   "observed_at": "2026-06-01T07:55:00Z"}, "http://wx.local/now", now)
>>> [(v.name, v.ok) for v in check_weather(r, WeatherLimits(), now)]
[('gusts', False), ('rain', True), ('visibility', True)]
>>> check_weather(r, WeatherLimits(), now)[0].reason
'gusts 14.2 m/s over the limit 12 m/s (http://wx.local/now, 5 min old)'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Fields of a report: (JSON key, what it is called in a reason, unit).
FIELDS = (("gust_m_s", "gusts", "m/s"), ("rain_mm_h", "rain", "mm/h"),
          ("visibility_m", "visibility", "m"))  # fmt: skip


class WeatherError(ValueError):
    """A weather source's answer that cannot be read as a report."""


@dataclass(frozen=True, slots=True)
class WeatherReport:
    """What a source said, when; None: not given."""

    source: str
    observed_at: datetime
    wind_m_s: float | None = None
    gust_m_s: float | None = None
    rain_mm_h: float | None = None
    visibility_m: float | None = None
    #: a pilot's entry holds until then; a polled report until observed_at + max_age_s
    expires_at: datetime | None = None
    entered_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "observed_at": self.observed_at.isoformat(),
            "wind_m_s": self.wind_m_s,
            "gust_m_s": self.gust_m_s,
            "rain_mm_h": self.rain_mm_h,
            "visibility_m": self.visibility_m,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "entered_by": self.entered_by,
        }


@dataclass(frozen=True, slots=True)
class WeatherLimits:
    """The go/no-go thresholds, and how old a polled report may be."""

    gust_m_s: float = 12.0
    rain_mm_h: float = 2.0
    visibility_m: float = 1500.0
    max_age_s: float = 1800.0
    require: bool = False


@dataclass(frozen=True, slots=True)
class WeatherVerdict:
    """One weather check and its outcome."""

    name: str
    ok: bool
    reason: str


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WeatherError(f"{key} must be a finite number, got {value!r}")
    if value < 0:
        raise WeatherError(f"{key} must not be negative, got {value!r}")
    return float(value)


def parse_report(data: Any, source: str, now: datetime) -> WeatherReport:
    """A report from a source's JSON object; ``observed_at`` (ISO 8601) defaults to now."""
    if not isinstance(data, Mapping):
        raise WeatherError(f"{source}: expected a JSON object, got {type(data).__name__}")
    observed = now
    if data.get("observed_at") is not None:
        try:
            observed = datetime.fromisoformat(str(data["observed_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise WeatherError(
                f"{source}: observed_at {data['observed_at']!r} is no time"
            ) from None
        if observed.tzinfo is None:
            raise WeatherError(f"{source}: observed_at needs a time zone")
    try:
        wind, gust = _number(data, "wind_m_s"), _number(data, "gust_m_s")
        rain, visibility = _number(data, "rain_mm_h"), _number(data, "visibility_m")
    except WeatherError as exc:
        raise WeatherError(f"{source}: {exc}") from None
    return WeatherReport(source, observed, wind, gust, rain, visibility)


def is_current(report: WeatherReport, limits: WeatherLimits, now: datetime) -> bool:
    """Not expired (a pilot's entry) and not older than ``max_age_s`` (a polled report)."""
    if report.expires_at is not None:
        return now < report.expires_at
    return now - report.observed_at <= timedelta(seconds=limits.max_age_s)


def check_weather(
    report: WeatherReport | None, limits: WeatherLimits, now: datetime
) -> list[WeatherVerdict]:
    """Gusts, rain and visibility against the limits; one verdict each (or one if no report)."""
    if report is None or not is_current(report, limits, now):
        what = "no current weather report" if report is None else (
            f"the weather report from {report.source} is stale "
            f"({_age(report, now)}, older than {limits.max_age_s / 60:.0f} min)"
        )  # fmt: skip
        if limits.require:
            return [WeatherVerdict("weather", False, f"{what}; the settings require one")]
        return [WeatherVerdict("weather", True, f"{what}; gusts, rain and visibility unchecked")]
    where = f"{report.source}, {_age(report, now)}"
    if report.entered_by:
        where = f"entered by {report.entered_by}, {_age(report, now)}"
    out: list[WeatherVerdict] = []
    for key, name, unit in FIELDS:
        value = getattr(report, key)
        if value is None:
            out.append(WeatherVerdict(name, True, f"{name} not reported ({where})"))
            continue
        limit = getattr(limits, key)
        if key == "visibility_m":
            ok = value >= limit
            word = "under the minimum" if not ok else "at least"
        else:
            ok = value <= limit
            word = "over the limit" if not ok else "within"
        out.append(WeatherVerdict(name, ok, f"{name} {value:g} {unit} {word} {limit:g} {unit} "
                                            f"({where})"))  # fmt: skip
    return out


def _age(report: WeatherReport, now: datetime) -> str:
    minutes = max(0.0, (now - report.observed_at).total_seconds() / 60.0)
    return f"{minutes:.0f} min old"
