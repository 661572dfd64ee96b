"""A password an admin set must be changed at the next sign-in: until then the user's token
allows only ``/api/me``, logging out and ``POST /api/auth/password``; every other route and the
live stream refuse with 403 ``password_change_required``. Anyone may change their own password
there, with the current one, under the password policy; audited; other tokens revoked."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.api.conftest import ADMIN, PASSWORD, Station

#: What a user who must change their password may still call.
ALLOWED = {("GET", "/api/me"), ("POST", "/api/auth/logout"), ("POST", "/api/auth/password")}
#: Routes that need no token at all.
PUBLIC = {"/api/auth/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
NEW = "otter-lantern-reeds-81"


def _add(station: Station, admin: dict[str, str], username: str, **extra: Any) -> int:
    body = {"username": username, "password": PASSWORD, "role": "pilot", **extra}
    r = station.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _reset(station: Station, admin: dict[str, str], uid: int) -> str:
    r = station.client.post(f"/api/users/{uid}/password", json={}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["must_change_password"] is True
    return str(r.json()["password"])


def _sign_in(station: Station, username: str, password: str) -> tuple[dict[str, str], Any]:
    r = station.client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}, r.json()["user"]


def _change(station: Station, headers: dict[str, str], current: str, new: str) -> Any:
    body = {"current_password": current, "password": new}
    return station.client.post("/api/auth/password", json=body, headers=headers)


def _audit(station: Station, admin: dict[str, str]) -> list[dict[str, Any]]:
    r = station.client.get("/api/audit", params={"action": "user.password_change"}, headers=admin)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_reset_user_may_only_change_the_password_then_everything(station, admin):
    """After a reset the one-time password signs in, but every route other than /api/me,
    logout and the change answers 403 password_change_required, and so does the live stream;
    once changed the new token works everywhere and the one-time password no longer signs in."""
    uid = _add(station, admin, "zhanglei")
    one_time = _reset(station, admin, uid)
    headers, user = _sign_in(station, "zhanglei", one_time)
    assert user["must_change_password"] is True
    me = station.client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["must_change_password"] is True
    for path in ("/api/vehicles", "/api/users", "/api/patrols", "/api/incidents"):
        r = station.client.get(path, headers=headers)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"] == "PasswordChangeRequired"
        assert r.json()["fields"] == {"code": "password_change_required"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        station.client.websocket_connect(f"/ws/live?token={station.token(headers)}") as ws,
    ):
        ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (1008, "password_change_required")

    r = _change(station, headers, one_time, NEW)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["must_change_password"] is False
    assert station.client.get("/api/me", headers=headers).status_code == 401  # revoked
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert station.client.get("/api/vehicles", headers=fresh).status_code == 200
    with station.client.websocket_connect(f"/ws/live?token={station.token(fresh)}") as ws:
        assert '"snapshot"' in ws.receive_text()
    bad = {"username": "zhanglei", "password": one_time}
    assert station.client.post("/api/auth/login", json=bad).status_code == 401
    again, user = _sign_in(station, "zhanglei", NEW)
    assert user["must_change_password"] is False
    assert station.client.get("/api/users", headers=again).status_code == 200


def test_every_other_route_refuses_a_user_who_must_change(station, admin):
    """Each HTTP operation of the station but the three allowed answers 403
    password_change_required to a user who must change their password."""
    one_time = _reset(station, admin, _add(station, admin, "zhanglei"))
    headers, _ = _sign_in(station, "zhanglei", one_time)
    checked = 0
    for path, operations in station.client.app.openapi()["paths"].items():
        if path in PUBLIC:
            continue
        concrete = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
        for method in operations:
            if (method.upper(), path) in ALLOWED:
                continue
            r = station.client.request(method.upper(), concrete, headers=headers)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["fields"]["code"] == "password_change_required", (method, path)
            checked += 1
    assert checked >= 50


def test_wrong_current_password_and_weak_new_one_are_refused(station, admin):
    """A wrong current password is 403 naming current_password, a weak, short or unchanged
    new one 422 naming password; each changes nothing (the flag stays, the token works) and
    each refusal is audited without any password in it."""
    one_time = _reset(station, admin, _add(station, admin, "zhanglei"))
    headers, _ = _sign_in(station, "zhanglei", one_time)
    r = _change(station, headers, "not-the-password", NEW)
    assert r.status_code == 403, r.text
    assert r.json()["fields"]["field"] == "current_password"
    for weak, says in [
        ("aaaaaaaaaa", "too easy to guess"),
        ("zhanglei", "must not be the username"),
        (one_time, "must differ"),
    ]:
        r = _change(station, headers, one_time, weak)
        assert r.status_code == 422, r.text
        assert says in r.json()["detail"]
        assert r.json()["fields"]["field"] == "password"
    assert _change(station, headers, one_time, "short").status_code == 422
    me = station.client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["must_change_password"] is True
    entries = _audit(station, admin)
    assert [(e["result"], e["params"]["field"]) for e in reversed(entries)] == [
        ("refused", "current_password"),
        ("refused", "password"),
        ("refused", "password"),
        ("refused", "password"),
    ]
    assert all(e["username"] == "zhanglei" and e["params"]["forced"] for e in entries)
    assert one_time not in str(entries)
    assert NEW not in str(entries)


def test_the_change_is_audited_and_revokes_the_other_sessions(station, admin):
    """A change ends the user's other sessions, is audited as forced or not, and the
    admin's reset entry says the user must change the password."""
    uid = _add(station, admin, "zhanglei")
    one_time = _reset(station, admin, uid)
    laptop, _ = _sign_in(station, "zhanglei", one_time)
    phone, _ = _sign_in(station, "zhanglei", one_time)
    assert _change(station, phone, one_time, NEW).status_code == 200
    assert station.client.get("/api/me", headers=laptop).status_code == 401
    fresh, _ = _sign_in(station, "zhanglei", NEW)
    assert _change(station, fresh, NEW, "moss-harbour-kite-29").status_code == 200  # by choice
    entries = _audit(station, admin)
    assert [(e["result"], e["params"]["forced"]) for e in reversed(entries)] == [
        ("ok", True),
        ("ok", False),
    ]
    assert entries[0]["params"] == {"user_id": uid, "username": "zhanglei", "forced": False}
    r = station.client.get("/api/audit", params={"action": "user.password_reset"}, headers=admin)
    assert r.json()["data"][0]["params"]["must_change_password"] is True


def test_who_must_change_and_who_need_not(station, admin):
    """A user created with must_change_password, or given a new password by an admin (PATCH
    or reset), must change it; one created with the admin's password without the flag, an
    admin resetting their own password and the first admin need not."""
    flagged = _add(station, admin, "flagged", must_change_password=True)
    plain = _add(station, admin, "plain")
    patched = _add(station, admin, "patched")
    r = station.client.patch(f"/api/users/{patched}", json={"password": NEW}, headers=admin)
    assert r.json()["must_change_password"] is True
    listed = {
        u["username"]: u for u in station.client.get("/api/users", headers=admin).json()["data"]
    }
    assert listed["flagged"]["must_change_password"] is True
    assert listed["plain"]["must_change_password"] is False
    assert listed[ADMIN[0]]["must_change_password"] is False
    assert station.client.get("/api/vehicles", headers=station.login("plain")).status_code == 200
    assert station.client.get("/api/vehicles", headers=station.login("flagged")).status_code == 403
    assert flagged != plain
    own = station.client.get("/api/me", headers=admin).json()["id"]
    r = station.client.post(f"/api/users/{own}/password", json={"password": NEW}, headers=admin)
    assert r.json()["user"]["must_change_password"] is False
    headers, _ = _sign_in(station, ADMIN[0], NEW)
    assert station.client.get("/api/users", headers=headers).status_code == 200


def test_anonymous_and_revoked_tokens_cannot_change_a_password(station, admin):
    """Without a token the change is 401; with a revoked one too."""
    body = {"current_password": PASSWORD, "password": NEW}
    assert station.client.post("/api/auth/password", json=body).status_code == 401
    _add(station, admin, "zhanglei")
    headers = station.login("zhanglei")
    assert station.client.post("/api/auth/logout", headers=headers).status_code == 204
    assert _change(station, headers, PASSWORD, NEW).status_code == 401
