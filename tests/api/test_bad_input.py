"""Every bad input of issue 14 gets a clear 4xx (or a websocket close with a reason), and what is
stored stays as it was.

The bodies are sent as raw bytes: ``json=`` would refuse to write NaN, and Python's encoder
writes lone surrogates as the ``\\ud800`` escapes an attacker would send.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from starlette.websockets import WebSocketDisconnect

from groundstation.security import SECRET_FILE
from tests.api.conftest import ADMIN

BIG = 2**63  # one more than SQLite's largest INTEGER


@pytest.fixture
def stored(station, admin, pilot, officer):
    """A vehicle and an incident, and a way to read back everything the tests could touch."""
    r = station.client.post(
        "/api/vehicles", json={"sysid": 4, "name": "egret-4", "endurance_s": 1500.0}, headers=pilot
    )
    assert r.status_code == 201, r.text
    r = station.client.post(
        "/api/incidents",
        json={"type": "theft", "lat_deg": 29.05, "lon_deg": 119.17, "description": "boat"},
        headers=officer,
    )
    assert r.status_code == 201, r.text

    def everything() -> dict[str, Any]:
        get = station.client.get
        return {
            path: get(path, headers=admin).json()
            for path in ("/api/vehicles", "/api/incidents", "/api/users", "/api/audit")
        }

    return everything


def send(station, method: str, path: str, raw: str, headers: dict[str, str] | None = None):
    return station.client.request(
        method,
        path,
        content=raw.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json", **(headers or {})},
    )


def json_error(r, status: int, text: str) -> None:
    """A strict-JSON error body with `status` that names the problem."""
    assert r.status_code == status, r.text
    body = json.loads(r.text, parse_constant=lambda c: pytest.fail(f"{c} in {r.text}"))
    assert text in json.dumps(body["detail"]), body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/vehicles/{BIG}"),
        ("PATCH", f"/api/users/{BIG}"),
        ("GET", f"/api/incidents?offset={BIG}"),
        ("GET", f"/api/plans?offset={BIG}"),
        ("GET", f"/api/audit?vehicle_sysid={BIG}"),
        ("GET", f"/api/plans/1/export?sortie={BIG}"),
        ("GET", f"/api/patrols?plan_id={BIG}"),
        ("DELETE", f"/api/schedules/{BIG}"),
    ],
)
def test_ids_and_offsets_of_2_63_or_more_are_422(station, stored, admin, method, path):
    """An id, offset or count beyond SQLite's 64-bit INTEGER is refused by the schema."""
    before = stored()
    json_error(send(station, method, path, "{}", admin), 422, "less than or equal to")
    assert stored() == before


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/incidents", '{"type": "theft", "lat_deg": 29, "lon_deg": 119, "patrol_id": %d}'),
        ("/api/vehicles", '{"sysid": 9, "name": "x", "battery_capacity_mah": %d}'),
        ("/api/patrols", '{"plan_id": %d}'),
    ],
)
def test_body_integers_of_2_63_or_more_are_422(station, stored, admin, path, raw):
    before = stored()
    json_error(send(station, "POST", path, raw % BIG, admin), 422, "out of range")
    assert stored() == before


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "/api/auth/login", '{"username": "\\ud800", "password": "x"}'),
        ("POST", "/api/vehicles", '{"sysid": 9, "name": "\\udfff"}'),
        ("PATCH", "/api/incidents/1", '{"description": "boat \\ud83d"}'),
        ("POST", "/api/users", '{"username": "u", "password": "p\\ud800assword", "role": "pilot"}'),
    ],
)
def test_lone_surrogates_are_422(station, stored, admin, method, path, raw):
    """A lone UTF-16 surrogate is not Unicode text (it cannot be stored as UTF-8): 422, even
    for anonymous login."""
    before = stored()
    headers = None if path == "/api/auth/login" else admin
    json_error(send(station, method, path, raw, headers), 422, "surrogate")
    assert stored() == before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/auth/login", '{"username": %s, "password": "x"}'),
        ("/api/incidents", '{"type": "theft", "lat_deg": %s, "lon_deg": 119}'),
        ("/api/vehicles", '{"sysid": 9, "name": "nan-9", "endurance_s": %s}'),
    ],
)
def test_nan_and_infinity_are_422_with_a_json_error(station, stored, admin, path, raw, constant):
    """NaN/Infinity in any number: a 422 whose own body is strict JSON."""
    before = stored()
    headers = None if path == "/api/auth/login" else admin
    r = send(station, "POST", path, raw % constant, headers)
    json_error(r, 422, "out of range" if constant == "1e999" else "not JSON")
    assert stored() == before


def test_endurance_infinity_is_refused_and_never_stored(station, stored, admin, pilot):
    """``endurance_s: Infinity`` could make the preflight battery check pass: refused on create
    and on update, and the stored value stays."""
    vehicle_id = stored()["/api/vehicles"]["data"][0]["id"]
    for method, path in (("POST", "/api/vehicles"), ("PATCH", f"/api/vehicles/{vehicle_id}")):
        raw = '{"sysid": 9, "name": "inf-9", "endurance_s": Infinity}'
        if method == "PATCH":
            raw = '{"endurance_s": Infinity}'
        json_error(send(station, method, path, raw, pilot), 422, "Infinity")
    # a finite number over the schema's bound is refused by the model (no NaN in its error)
    r = station.client.patch(
        f"/api/vehicles/{vehicle_id}", json={"endurance_s": 1e300}, headers=pilot
    )
    json_error(r, 422, "less than or equal to 86400")
    vehicles = stored()["/api/vehicles"]["data"]
    assert [(v["name"], v["endurance_s"]) for v in vehicles] == [("egret-4", 1500.0)]


def test_validation_error_echoing_a_nan_query_value_is_still_json(station, admin):
    """A query float may be spelled nan: the 422 that quotes it back is strict JSON."""
    r = station.client.get("/api/freshness?max_age_h=nan", headers=admin)
    json_error(r, 422, "max_age_h")


def test_nul_in_a_static_path_is_404(station):
    json_error(station.client.get("/static/app/%00"), 404, "no file")
    json_error(station.client.get("/static/app/a%00b.js"), 404, "no file")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_daily_report_out_of_range_day_is_422(station, admin, day):
    r = station.client.get(f"/api/reports/daily?day={day}&format=json", headers=admin)
    json_error(r, 422, "day")


@pytest.mark.parametrize(
    ("name", "value"),
    [("since", "0001-01-01T00:00:00+14:00"), ("until", "9999-12-31T23:59:59-14:00")],
)
def test_audit_out_of_range_times_are_422(station, admin, name, value):
    r = station.client.get("/api/audit", params={name: value}, headers=admin)
    json_error(r, 422, name)


def test_null_password_is_422_and_the_password_is_unchanged(station, stored, admin):
    """``{"password": null}`` is refused; the admin still logs in with the old password."""
    before = stored()
    r = station.client.patch("/api/users/1", json={"password": None}, headers=admin)
    json_error(r, 422, "cannot be null")
    assert stored() == before
    station.login(*ADMIN)


def test_forty_digit_token_subject_is_401(station, stored, settings):
    """A correctly signed token whose subject is no possible row id is refused like any bad
    token (401), not looked up."""
    secret = (settings.data_dir / SECRET_FILE).read_text().strip()
    claims = {"sub": "1" * 40, "ver": 0, "exp": 4_000_000_000}
    token = jwt.encode(claims, secret, algorithm="HS256")
    r = station.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    json_error(r, 401, "invalid token subject")


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_on_the_live_socket_is_closed_1007_with_a_reason(station, admin, depth):
    """After authentication: closed with 1007 and a reason, never an uncaught RecursionError."""
    with station.client.websocket_connect(f"/ws/live?token={station.token(admin)}") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
        ws.send_text("[" * depth + "]" * depth)
        with pytest.raises(WebSocketDisconnect) as err:
            ws.receive_text()
    assert err.value.code == 1007
    assert err.value.reason == "invalid JSON: nested deeper than 32 levels"


def test_deeply_nested_auth_message_is_closed_1007(station):
    with station.client.websocket_connect("/ws/live") as ws:
        ws.send_text('{"type": "auth", "token": ' + "[" * 5000 + "]" * 5000 + "}")
        with pytest.raises(WebSocketDisconnect) as err:
            ws.receive_text()
    assert err.value.code == 1007
    assert err.value.reason == "invalid JSON: nested deeper than 32 levels"


def test_nested_json_body_is_422(station, stored, admin):
    before = stored()
    raw = '{"type": "theft", "lat_deg": 29, "lon_deg": 119, "description": ' + "[" * 50_000
    raw += "]" * 50_000 + "}"
    json_error(send(station, "POST", "/api/incidents", raw, admin), 422, "nested deeper")
    assert stored() == before


def test_json_nested_32_levels_deep_is_accepted(station, admin):
    """The limit is not lower than it says: 32 levels of arrays are a valid (ignored) message,
    and the socket still answers a ping after it."""
    with station.client.websocket_connect(f"/ws/live?token={station.token(admin)}") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
        ws.send_text("[" * 32 + "]" * 32)
        ws.send_text('{"type": "ping"}')
        assert json.loads(ws.receive_text())["type"] == "pong"


def test_vehicle_clashing_with_two_others_is_409(station, stored, pilot):
    """The sysid of one drone and the name of another: a conflict (was a 500), nothing added."""
    r = station.client.post("/api/vehicles", json={"sysid": 5, "name": "heron-5"}, headers=pilot)
    assert r.status_code == 201, r.text
    before = stored()
    r = station.client.post("/api/vehicles", json={"sysid": 4, "name": "heron-5"}, headers=pilot)
    json_error(r, 409, "already has system id")
    assert stored() == before


def test_a_body_that_is_not_json_at_all_is_422(station, stored, admin):
    before = stored()
    json_error(send(station, "POST", "/api/incidents", "\x00", admin), 422, "Expecting value")
    assert stored() == before
