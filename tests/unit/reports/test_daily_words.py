"""The daily summary gives each patrol its kind's figure and labels, not codes."""

from __future__ import annotations

from lxml import html as lxml_html

from groundstation.reports.daily import render_daily_html


def test_daily_patrol_rows_show_kind_figures_and_labels() -> None:
    """A tour row shows hotspots visited of N, a coverage row its percentage; states and
    incident types are labelled."""
    data = {
        "site": "longyou", "day": "2026-12-06", "tz": "Asia/Shanghai", "flown": 2, "failed": 0,
        "skipped": [], "distance_m": 5000.0, "flight_time_s": 1200.0, "incidents": 1,
        "incidents_by_type": {"illegal_fishing": 1}, "incidents_by_status": {"open": 1},
        "fresh_frac": 0.4,
        "patrols": [
            {"patrol_id": 1, "plan": "a", "drone": "d1", "state": "reported",
             "start": "2026-12-06T01:00:00+00:00", "distance_m": 3000.0, "covered_frac": None,
             "incidents": 0, "figure": "4 / 5 hotspots / 重点部位"},
            {"patrol_id": 2, "plan": "b", "drone": "d2", "state": "aborted",
             "start": "2026-12-06T02:00:00+00:00", "distance_m": 2000.0, "covered_frac": 0.9,
             "incidents": 1, "figure": "90.0 % covered / 覆盖"},
        ],
    }  # fmt: skip
    page = lxml_html.fromstring(render_daily_html(data, "zh"))
    trs = page.xpath("//table[@id='patrols']//tr")
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in trs]
    assert rows[0][3] == "已完成并出报告 / completed, reported"
    assert rows[0][6] == "4 / 5 hotspots / 重点部位"
    assert rows[1][3] == "已中止 / aborted"
    assert rows[1][6] == "90.0 % covered / 覆盖"
    text = page.text_content()
    assert "非法捕捞 / illegal fishing: 1" in text
    assert "illegal_fishing" not in text


def test_daily_skipped_runs_say_why_in_the_page_language() -> None:
    """A skipped scheduled run's reason reads in Chinese on the Chinese summary (from its code),
    as the station's English text on the English one."""
    run = {
        "schedule_id": 3,
        "schedule": "dawn",
        "due_at": "2026-12-06T00:00:00+00:00",
        "status": "skipped",
        "reason": "no drone available: d1: not connected",
        "reason_code": "no_drone",
        "reason_params": {"detail": "d1: not connected"},
    }
    data = {
        "site": "longyou", "day": "2026-12-06", "tz": "Asia/Shanghai", "flown": 0, "failed": 0,
        "skipped": [run], "distance_m": 0.0, "flight_time_s": 0.0, "incidents": 0,
        "incidents_by_type": {}, "incidents_by_status": {}, "fresh_frac": None, "patrols": [],
    }  # fmt: skip
    zh = lxml_html.fromstring(render_daily_html(data, "zh")).xpath("//table[@id='skipped_runs']")
    assert "没有可用的无人机" in zh[0].text_content()
    assert "not connected" not in zh[0].text_content()
    en = lxml_html.fromstring(render_daily_html(data, "en")).xpath("//table[@id='skipped_runs']")
    assert "no drone available: d1: not connected" in en[0].text_content()
