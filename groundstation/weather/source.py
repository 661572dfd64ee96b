"""Where weather reports come from: a source the station polls, and a pilot's manual entry.

:class:`WeatherService` polls its source every ``poll_s`` seconds: an ``http://`` or
``https://`` URL answering a JSON object, or a JSON file on disk (written by a local weather
station's logger, say), with the fields of :func:`~groundstation.weather.report.parse_report`.
A pilot may enter a report by hand with an expiry (at most ``manual_max_s``); until it expires
it wins over the polled one. A failed poll keeps the last good report (it goes stale in time)
and is kept as ``last_error`` for the page and the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from groundstation.weather.report import (
    WeatherError,
    WeatherLimits,
    WeatherReport,
    WeatherVerdict,
    check_weather,
    is_current,
    parse_report,
)

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WeatherService:
    """The station's current weather: polled, or entered by a pilot."""

    def __init__(
        self,
        source: str | None,
        limits: WeatherLimits,
        *,
        poll_s: float = 60.0,
        timeout_s: float = 5.0,
        manual_max_s: float = 6 * 3600.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.source = source
        self.limits = limits
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.manual_max_s = manual_max_s
        self.clock = clock
        self.polled: WeatherReport | None = None
        self.manual: WeatherReport | None = None
        self.last_error: str | None = None

    def current(self) -> WeatherReport | None:
        """A pilot's entry until it expires, else the polled report (None: neither)."""
        now = self.clock()
        if self.manual is not None and is_current(self.manual, self.limits, now):
            return self.manual
        return self.polled

    def verdicts(self) -> list[WeatherVerdict]:
        """The go/no-go verdicts on the current weather, now."""
        return check_weather(self.current(), self.limits, self.clock())

    def enter(
        self,
        user: str,
        valid_for_s: float,
        *,
        wind_m_s: float | None = None,
        gust_m_s: float | None = None,
        rain_mm_h: float | None = None,
        visibility_m: float | None = None,
    ) -> WeatherReport:
        """A pilot's report, valid for `valid_for_s` (at most ``manual_max_s``)."""
        if not 0 < valid_for_s <= self.manual_max_s:
            raise WeatherError(
                f"a manual entry holds for 1 s to {self.manual_max_s / 3600:g} h, "
                f"got {valid_for_s:g} s"
            )
        now = self.clock()
        self.manual = WeatherReport(
            "manual", now, wind_m_s, gust_m_s, rain_mm_h, visibility_m,
            expires_at=now + timedelta(seconds=valid_for_s), entered_by=user,
        )  # fmt: skip
        return self.manual

    async def poll_once(self) -> WeatherReport | None:
        """Read the source once; the last good report stays if it fails."""
        if self.source is None:
            return None
        try:
            if self.source.startswith(("http://", "https://")):
                async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                    r = await client.get(self.source)
                    r.raise_for_status()
                    data = r.json()
            else:
                text = await asyncio.to_thread(Path(self.source).read_text, encoding="utf-8")
                data = json.loads(text)
            self.polled = parse_report(data, self.source, self.clock())
            self.last_error = None
        except (httpx.HTTPError, OSError, ValueError) as exc:  # WeatherError is a ValueError
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("weather source %s: %s", self.source, self.last_error)
        return self.polled

    async def run(self) -> None:
        """Poll the source until cancelled (nothing to do without one)."""
        if self.source is None:
            return
        while True:
            await self.poll_once()
            await asyncio.sleep(self.poll_s)
