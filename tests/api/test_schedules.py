"""Schedules through the API: CRUD, validation, runs without a drone, restart without a burst."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from groundstation.app import create_app, services_of
from groundstation.db.models import Patrol, Schedule, ScheduleRun
from groundstation.db.session import make_sync_engine
from groundstation.db.types import utcnow
from groundstation.errors import InvalidRequest
from tests.integration.reports.patrol_data import store_patrol


@pytest.fixture
def plan_id(station) -> int:
    return store_patrol(station.settings.db).plan_id


def _create(station, headers, plan_id, **body):
    body = {"plan_id": plan_id, **body}
    return station.client.post("/api/schedules", json=body, headers=headers)


def test_create_list_and_disable(station, pilot, officer, plan_id):
    """A pilot's schedule gets a next run time; disabling it clears that; officers only read."""
    r = _create(
        station, pilot, plan_id, name="morning river", times=["07:30", "15:00"], months=[6, 7]
    )
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["timezone"] == "Asia/Shanghai"
    assert s["next_run_at"] is not None
    assert (
        station.client.get("/api/schedules", headers=officer).json()[0]["name"] == "morning river"
    )
    assert _create(station, officer, plan_id, cron="0 8 * * *").status_code == 403
    off = station.client.patch(f"/api/schedules/{s['id']}", json={"enabled": False}, headers=pilot)
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert off.json()["next_run_at"] is None
    assert (
        station.client.get(f"/api/schedules/{s['id']}", headers=officer).json()["next_run_at"]
        is None
    )


def test_bad_schedules_are_refused_with_reasons(station, pilot, plan_id):
    """Bad cron, times, zone, dates or an unknown plan are refused naming the problem."""
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"cron": "0 25 * * *"}, 422, "invalid cron expression"),
        ({"cron": "0 8 * *"}, 422, "expected 5 fields"),
        ({"times": ["7h30"]}, 422, "is not HH:MM"),
        ({"cron": "0 8 * * *", "times": ["08:00"]}, 422, "either a cron expression or"),
        ({"cron": "0 8 * * *", "timezone": "Mars/Olympus"}, 422, "unknown time zone"),
        (
            {"cron": "0 8 * * *", "start_date": "2026-07-01", "end_date": "2026-06-01"},
            422,
            "before",
        ),
        ({"cron": "0 8 * * *", "months": [13]}, 422, "months must be 1-12"),
        ({"cron": "0 8 * * *", "plan_id": 999}, 404, "plan"),
    ]
    for body, code, text in cases:
        r = _create(station, pilot, body.pop("plan_id", plan_id), **body)
        assert r.status_code == code, (body, r.text)
        assert text in r.json()["detail"], (body, r.json())


def test_run_without_a_drone_is_skipped_with_its_reason(station, pilot, officer, plan_id):
    """With no connected drone the run is recorded as skipped, naming each drone's reason."""
    s = _create(station, pilot, plan_id, cron="0 8 * * *", name="dawn").json()
    service = services_of(station.client.app).schedules
    listener = services_of(station.client.app).hub.subscribe()
    outcome = station.client.portal.call(service.fire, s["id"])
    assert outcome == "skipped"
    alert = listener.get_nowait()
    assert alert.type == "alert"
    assert alert.data["kind"] == "patrol_skipped"
    assert "no drone available" in alert.data["text"]
    runs = station.client.get(f"/api/schedules/{s['id']}/runs", headers=officer).json()
    assert [r["status"] for r in runs] == ["skipped"]
    assert runs[0]["reason"] == "no drone available: drone-7: not connected"
    assert runs[0]["patrol_id"] is None
    all_runs = station.client.get("/api/schedules/runs", headers=officer).json()
    assert all_runs[0]["id"] == runs[0]["id"]


def test_retry_policy_delays_then_skips(station, pilot, officer, plan_id):
    """Policy retry records a delayed run and queues one retry; outside the window it skips."""
    s = _create(station, pilot, plan_id, cron="0 8 * * *", policy="retry", retry_window_s=600,
                retry_every_s=120).json()  # fmt: skip
    service = services_of(station.client.app).schedules
    assert station.client.portal.call(service.fire, s["id"], utcnow(), 1) == "delayed"
    assert service.scheduler.get_job(f"retry-{s['id']}") is not None
    late = utcnow() - timedelta(seconds=590)
    assert station.client.portal.call(service.fire, s["id"], late, 2) == "skipped"
    runs = station.client.get(f"/api/schedules/{s['id']}/runs", headers=officer).json()
    assert [r["status"] for r in runs] == ["skipped", "delayed"]
    assert runs[0]["attempts"] == 2


def test_restart_records_missed_runs_once_and_fires_no_burst(settings, tmp_path):
    """Runs missed while the station was down are recorded once; no patrol is started for them."""
    with TestClient(create_app(settings)) as client:
        from tests.api.conftest import ADMIN

        token = client.post(
            "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
        ).json()["access_token"]
        plan_id = store_patrol(settings.db).plan_id
        r = client.post(
            "/api/schedules",
            json={"plan_id": plan_id, "cron": "* * * * *", "name": "every minute"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
    engine = make_sync_engine(settings.db)
    try:
        with Session(engine) as s:  # the station was down for the last 10 minutes
            s.execute(update(Schedule).values(next_run_at=utcnow() - timedelta(minutes=10)))
            s.commit()
            patrols_before = len(s.scalars(select(Patrol)).all())
        app = create_app(settings)
        with TestClient(app):
            next_run = services_of(app).schedules.next_run(sid)
            assert next_run is not None
            assert next_run > utcnow()
        with Session(engine) as s:
            runs = s.scalars(select(ScheduleRun)).all()
            assert len(runs) == 1
            assert runs[0].status == "skipped"
            assert runs[0].reason.startswith("station was down: ")
            assert int(runs[0].reason.split(": ")[1].split()[0]) >= 10
            assert len(s.scalars(select(Patrol)).all()) == patrols_before
    finally:
        engine.dispose()


def test_replan_needs_usable_plan_parameters(station, pilot, plan_id):
    """A template plan whose parameters cannot be planned again is refused with the reason."""
    s = _create(station, pilot, plan_id, cron="0 8 * * *", replan=True).json()
    assert s["replan"] is True
    service = services_of(station.client.app).schedules

    async def replan():
        from groundstation.db.models import Plan

        async with services_of(station.client.app).sessions() as session:
            template = await session.get(Plan, plan_id)
        assert template is not None
        return await service._replan(template, utcnow(), "Asia/Shanghai")

    with pytest.raises(InvalidRequest, match=f"plan {plan_id} has no usable parameters"):
        station.client.portal.call(replan)


def test_skipped_run_shows_in_the_daily_summary(station, pilot, officer, plan_id):
    """A run skipped today is listed, with its reason, in today's daily summary."""
    s = _create(station, pilot, plan_id, cron="0 8 * * *", name="river dawn").json()
    service = services_of(station.client.app).schedules
    assert station.client.portal.call(service.fire, s["id"], utcnow(), 1) == "skipped"
    day = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    data = station.client.get(f"/api/reports/daily?day={day}&format=json", headers=officer).json()
    assert [r["schedule"] for r in data["skipped"]] == ["river dawn"]
    assert data["skipped"][0]["reason"].startswith("no drone available")
    page = station.client.get(f"/api/reports/daily?day={day}&lang=en", headers=officer).text
    assert "river dawn" in page
