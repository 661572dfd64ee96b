"""A schedule due in a few seconds flies a real patrol on the simulator and files its report."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from lxml import html as lxml_html

from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, StationProcess

pytestmark = pytest.mark.e2e

FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))

#: About 200 m x 150 m just south of the Longyou station (where the simulator's drones stand).
SMALL_AREA = {
    "type": "Polygon",
    "coordinates": [
        [
            [119.18023, 29.05060],
            [119.18230, 29.05058],
            [119.18233, 29.05200],
            [119.18026, 29.05203],
            [119.18023, 29.05060],
        ]
    ],
}


async def _poll(client: httpx.AsyncClient, url: str, headers: dict[str, str], done, limit_s: float):
    async with asyncio.timeout(limit_s * FACTOR):
        while True:
            r = await client.get(url, headers=headers)
            if r.status_code == 200 and done(r.json()):
                return r.json()
            await asyncio.sleep(0.3)


async def test_scheduled_patrol_flies_unattended_to_a_report(tmp_path, monkeypatch):
    """Scheduler -> drone pick -> re-plan -> preflight -> flight -> reported -> report formats."""
    monkeypatch.setenv("ECOPATROL_SCHEDULE__CHECK_DAYLIGHT", "false")  # the suite runs at night too
    config = SimConfig(drones=2, listen="udpin:127.0.0.1:0", speedup=10.0, seed=3)
    async with SimFleet(config) as sim:
        station = StationProcess(
            tmp_path, [f"udpout:127.0.0.1:{sim.ports[0]}"], FACTOR, enrol=[1, 2]
        )
        await station.start()
        try:
            async with httpx.AsyncClient(base_url=station.url, timeout=30 * FACTOR) as client:
                r = await client.post(
                    "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
                )
                auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
                vehicles = await _poll(client, "/api/vehicles", auth, lambda j: j["count"] >= 2, 20)
                pool = [v["id"] for v in vehicles["data"]]
                # the swath within the camera's footprint at 30 m (54 m at the reports' 84 deg):
                # the report measures what the camera saw, so a 60 m swath leaves real slivers
                plan_body = {"name": "scheduled square", "kind": "coverage", "altitude_m": 30,
                             "polygon": SMALL_AREA, "swath_width_m": 50,
                             "speed_m_s": 10, "endurance_s": 1500}  # fmt: skip
                r = await client.post("/api/plans", json=plan_body, headers=auth)
                assert r.status_code == 201, r.text
                plan_id = r.json()["id"]

                due = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(seconds=6 * FACTOR)
                body = {"plan_id": plan_id, "name": "e2e", "times": [due.strftime("%H:%M:%S")],
                        "vehicle_pool": pool, "replan": True}  # fmt: skip
                r = await client.post("/api/schedules", json=body, headers=auth)
                assert r.status_code == 201, r.text
                sid = r.json()["id"]

                runs = await _poll(
                    client, f"/api/schedules/{sid}/runs", auth, lambda j: len(j) > 0, 30
                )
                assert runs[0]["status"] == "started", (runs, station.log_text())
                pid = runs[0]["patrol_id"]
                detail = await _poll(
                    client, f"/api/patrols/{pid}", auth,
                    lambda j: j["state"] in ("reported", "failed", "aborted"), 240,
                )  # fmt: skip
                assert detail["state"] == "reported", (detail["reason"], station.log_text())
                assert detail["plan_id"] != plan_id, "the plan is a template: planned afresh"
                fresh = (await client.get(f"/api/plans/{detail['plan_id']}", headers=auth)).json()
                assert fresh["name"].startswith("scheduled square (")

                listing = await _poll(
                    client, "/api/reports", auth,
                    lambda j: any(d["patrol_id"] == pid and d["summary"] for d in j["data"]), 30,
                )  # fmt: skip
                summary = next(d["summary"] for d in listing["data"] if d["patrol_id"] == pid)
                r = await client.get(f"/api/patrols/{pid}/report", headers=auth)
                page = lxml_html.fromstring(r.content)
                value = {td.get("id"): td.get("data-value") for td in page.xpath("//td[@id]")}
                assert float(value["distance_m"]) == summary["distance_m"] > 300
                assert float(value["covered_frac"]) > 0.9
                assert float(value["duration_s"]) > 0
                assert value["drone"] in {v["name"] for v in vehicles["data"]}
                # the coverage plan triggers the camera by distance: the photos are in the facts
                assert summary["photos"] > 0
                assert int(value["photos"]) == summary["photos"]
                photos = (await client.get(f"/api/patrols/{pid}", headers=auth)).json()["report"][
                    "photos"
                ]
                assert len(photos) == summary["photos"]
                assert all(29.049 < p["lat_deg"] < 29.053 for p in photos)
                assert all(119.179 < p["lon_deg"] < 119.184 for p in photos)
                assert all(p["time"].endswith("+00:00") for p in photos)
                assert summary["battery_used_pct"] > 0
                pdf = await client.get(f"/api/patrols/{pid}/report?format=pdf", headers=auth)
                assert pdf.content.startswith(b"%PDF-")
                assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.content)) >= 1
                png = await client.get(f"/api/patrols/{pid}/report?format=png", headers=auth)
                assert png.content.startswith(b"\x89PNG")
                (tmp_path / "report_map.png").write_bytes(png.content)
        finally:
            await station.stop()
