"""Weather go/no-go: limits, stale reports, a pilot's entry with expiry, file and HTTP sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from groundstation.weather.report import WeatherError, WeatherLimits, check_weather, parse_report
from groundstation.weather.source import WeatherService

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_each_limit_blocks_with_its_reason():
    """Rain over, visibility under: two no-gos, each naming its value, limit and source."""
    r = parse_report({"rain_mm_h": 6.5, "visibility_m": 800, "gust_m_s": 3}, "wx.json", NOW)
    verdicts = {v.name: v for v in check_weather(r, WeatherLimits(), NOW)}
    assert verdicts["gusts"].ok
    assert not verdicts["rain"].ok
    assert "rain 6.5 mm/h over the limit 2 mm/h" in verdicts["rain"].reason
    assert not verdicts["visibility"].ok
    assert "visibility 800 m under the minimum 1500 m" in verdicts["visibility"].reason


def test_a_stale_report_blocks_only_when_weather_is_required():
    """A report older than max_age_s counts as none: a go that says so, or a no-go if required."""
    old = parse_report({"gust_m_s": 20, "observed_at": "2026-06-01T06:00:00+00:00"}, "wx", NOW)
    (v,) = check_weather(old, WeatherLimits(), NOW)
    assert v.ok
    assert "stale" in v.reason
    (v,) = check_weather(old, WeatherLimits(require=True), NOW)
    assert not v.ok


@pytest.mark.parametrize(
    "bad", [{"gust_m_s": "strong"}, {"rain_mm_h": -1}, {"observed_at": "noon"}, [1, 2]]
)
def test_unreadable_reports_are_refused(bad):
    """A source answering nonsense gives a WeatherError, not a report."""
    with pytest.raises(WeatherError):
        parse_report(bad, "wx", NOW)


def test_a_pilot_entry_wins_until_it_expires():
    """Manual entry overrides the polled report for its validity, then the polled one is back."""
    now = [NOW]
    wx = WeatherService(None, WeatherLimits(), clock=lambda: now[0])
    wx.polled = parse_report({"gust_m_s": 4}, "wx", NOW)
    wx.enter("pilot1", 600, gust_m_s=15.0)
    assert [v.ok for v in wx.verdicts() if v.name == "gusts"] == [False]
    assert "entered by pilot1" in wx.verdicts()[0].reason
    now[0] = NOW + timedelta(seconds=601)
    wx.polled = parse_report({"gust_m_s": 4}, "wx", now[0])
    assert wx.current() is wx.polled
    with pytest.raises(WeatherError):
        wx.enter("pilot1", 7 * 3600, gust_m_s=1.0)


async def test_polls_a_file_and_keeps_the_last_good_report(tmp_path):
    """A file source is read; a broken file leaves the last report and records the error."""
    path = tmp_path / "wx.json"
    path.write_text(json.dumps({"gust_m_s": 5.5, "visibility_m": 9000}))
    wx = WeatherService(str(path), WeatherLimits(), clock=lambda: NOW)
    report = await wx.poll_once()
    assert report is not None
    assert report.gust_m_s == 5.5
    path.write_text("{not json")
    assert await wx.poll_once() is report
    assert wx.last_error is not None


async def test_polls_an_http_endpoint(monkeypatch):
    """An HTTP JSON source is read with httpx (a mock transport stands for the station)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rain_mm_h": 3.0})

    real = httpx.AsyncClient

    def client(**kw: object) -> httpx.AsyncClient:
        return real(transport=httpx.MockTransport(answer), **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "AsyncClient", client)
    wx = WeatherService("http://wx.local/now", WeatherLimits(), clock=lambda: NOW)
    report = await wx.poll_once()
    assert report is not None
    assert report.rain_mm_h == 3.0
    assert [v.ok for v in wx.verdicts() if v.name == "rain"] == [False]


def test_a_manual_launch_preflight_fails_on_the_weather():
    """A manual launch's preflight fails on rain over its limit and names it; without a
    weather source it passes and says there is none."""
    from groundstation.patrol import preflight

    r = parse_report({"rain_mm_h": 6.5, "gust_m_s": 3}, "wx.json", NOW)
    inputs = preflight.PreflightInputs(
        state=None, sortie_duration_s=60, endurance_s=1800,
        weather=check_weather(r, WeatherLimits(), NOW),
    )  # fmt: skip
    failed = preflight.check_weather(inputs)
    assert not failed.ok
    assert failed.reason.startswith("rain 6.5 mm/h over the limit")
    quiet = preflight.check_weather(
        preflight.PreflightInputs(state=None, sortie_duration_s=60, endurance_s=1800)
    )
    assert quiet.ok
    assert quiet.reason == "no weather source configured"


def test_a_schedule_run_is_a_no_go_on_the_weather():
    """The scheduler's gate adds the weather's verdicts to the wind's: gusts over the limit
    block the run with the weather's own reason."""
    from groundstation.schedule.gonogo import Candidate
    from groundstation.schedule.service import ScheduleService

    wx = WeatherService(None, WeatherLimits(), clock=lambda: NOW)
    wx.enter("pilot1", 600, gust_m_s=15.0, visibility_m=9000)
    service = ScheduleService(None, None, None, weather=wx.verdicts)  # type: ignore[arg-type]
    drone = Candidate(1, "d1", connected=True, battery_pct=90)
    verdicts = service.go_nogo(drone, NOW, 600, (119.18, 29.05), "Asia/Shanghai")
    failed = [v for v in verdicts if not v.ok]
    assert [v.name for v in failed] == ["gusts"]
    assert "gusts 15 m/s over the limit 12 m/s (entered by pilot1" in failed[0].reason
