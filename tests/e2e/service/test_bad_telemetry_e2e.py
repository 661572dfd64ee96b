"""Impossible telemetry never reaches the map: dropped, counted, flagged, and never NaN on the wire.

A vehicle on a real link (a scripted autopilot on UDP loopback) alternates good frames with the
values an attacker or a failed EKF sends: latitude 214.7°, altitude −2,147 km, battery 127 %,
ground speed inf, NaN climb and attitude. A real websocket client reads the live stream and a
real HTTP client the API, both parsing with a JSON parser that refuses NaN and Infinity.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import pytest
import websockets

from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from tests.e2e.service.station import ADMIN, StationProcess, accept_and_enrol, free_port

pytestmark = pytest.mark.e2e

SYSID = 3


def strict_json(text: str | bytes) -> Any:
    """json.loads, refusing the NaN / Infinity / -Infinity that RFC 8259 does not allow."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


class FaultyAutopilot(FakeAutopilot):
    """Every other telemetry burst is impossible; the good ones say where the drone really is."""

    bursts = 0

    def telemetry(self, lat_deg: float = 29.05, lon_deg: float = 119.17) -> list[bytes]:
        self.bursts += 1
        if self.bursts % 2:
            return super().telemetry(lat_deg, lon_deg)
        m, nan = self.mav, math.nan
        bad = [
            # lat 214.7°, alt MSL -2,147 km, relative alt INT32_MIN mm
            m.global_position_int_encode(0, 2_147_000_000, 1_191_700_000, -2_147_000_000,
                                         -2_147_483_648, 100, 0, 0, 9000),
            m.sys_status_encode(0, 0, 0, 0, 12_100, 0, 127, 0, 0, 0, 0, 0, 0),  # battery 127 %
            m.vfr_hud_encode(0.0, math.inf, 90, 50, 0.0, nan),  # speed inf, climb NaN
            m.attitude_encode(0, nan, nan, math.inf, 0, 0, 0),
            m.wind_encode(nan, math.inf, 0.0),
        ]  # fmt: skip
        return [self.encoder.encode(msg) for msg in bad]


def frames_of(msg: dict[str, Any]) -> list[dict[str, Any]]:
    if msg["type"] == "vehicle.frame":
        return [msg["data"]]
    if msg["type"] == "vehicle.frames":
        return list(msg["data"])
    if msg["type"] == "snapshot":
        return [v for v in msg["data"]["vehicles"] if "mode" in v]
    return []


async def test_impossible_values_are_dropped_flagged_and_never_sent_as_nan(tmp_path):
    """Good values stay on the map, impossible ones are counted and flagged ``bad`` (in frames,
    an alert and the API), and every live message and API answer is strict JSON."""
    port = free_port()
    station = StationProcess(tmp_path, [f"udpin:127.0.0.1:{port}"])
    await station.start()
    try:
        async with httpx.AsyncClient(base_url=station.url, timeout=30) as client:
            r = await client.post(
                "/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
            token = r.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            seen: list[dict[str, Any]] = []
            alerts: list[dict[str, Any]] = []
            async with (
                websockets.connect(f"{station.ws_url}?token={token}") as ws,
                FakeVehicleEndpoint(FaultyAutopilot(SYSID), ("127.0.0.1", port)),
            ):
                await accept_and_enrol(client, headers, [SYSID], 30)  # as a pilot does
                async with asyncio.timeout(30):
                    while not alerts or sum(len(frames_of(m)) for m in seen) < 20:
                        msg = strict_json(await ws.recv())  # every message, strictly
                        seen.append(msg)
                        if msg["type"] == "alert" and msg["data"].get("kind") == "bad_telemetry":
                            alerts.append(msg["data"])
                # a map opened now gets a snapshot it can parse (the 8 of 10 could not)
                async with websockets.connect(f"{station.ws_url}?token={token}") as late:
                    snapshot = strict_json(await late.recv())
            (mine,) = [v for v in frames_of(snapshot) if v["sysid"] == SYSID]
            assert mine["telemetry"]["status"] == "bad"
            assert mine["lat_deg"] == pytest.approx(29.05)
            frames = [f for m in seen for f in frames_of(m) if f["sysid"] == SYSID]
            located = [f for f in frames if f["lat_deg"] is not None]
            assert located, "no frame with a position"
            for f in located:
                assert f["lat_deg"] == pytest.approx(29.05)
                assert f["alt_msl_m"] == pytest.approx(50.0)
                assert f["alt_rel_m"] == pytest.approx(10.0)
            assert all(f["battery_pct"] in (None, 87.0) for f in frames)
            assert all(f["speed_m_s"] is None or f["speed_m_s"] < 150 for f in frames)
            last = frames[-1]["telemetry"]
            assert last["status"] == "bad"
            assert last["rejected"] > 0
            assert alerts[0]["sysid"] == SYSID

            vehicles = strict_json((await client.get("/api/vehicles", headers=headers)).content)
            vehicle_id = next(v["id"] for v in vehicles["data"] if v["sysid"] == SYSID)
            r = await client.get(f"/api/vehicles/{vehicle_id}/live", headers=headers)
            assert r.status_code == 200, r.text
            live = strict_json(r.content)
            assert live["telemetry"]["status"] == "bad"
            assert live["telemetry"]["rejected"] >= last["rejected"]
            assert live["lat_deg"] == pytest.approx(29.05)
            assert live["battery_pct"] == 87.0
    finally:
        await station.stop()
