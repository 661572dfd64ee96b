"""Login, tokens, roles and the rule that every endpoint needs a token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from groundstation.app import create_app, services_of
from groundstation.security import TokenCodec

from .conftest import ADMIN, PASSWORD

PUBLIC_PATHS = {"/api/auth/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_login_returns_token_and_me_answers(station):
    """A correct password yields a bearer token that /api/me resolves to the user."""
    headers = station.login(*ADMIN)
    r = station.client.get("/api/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["username"] == "root"
    assert r.json()["role"] == "admin"
    assert "password_hash" not in r.json()


def test_wrong_password_and_unknown_user_get_the_same_401(station):
    """A wrong password and an unknown user are refused identically."""
    a = station.client.post("/api/auth/login", json={"username": "root", "password": "nope-nope"})
    b = station.client.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]


def test_every_route_refuses_anonymous_requests(station):
    """Every HTTP route except login and the API docs answers 401 without a token."""
    checked = 0
    for path, operations in station.client.app.openapi()["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        concrete = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
        for method in operations:
            r = station.client.request(method.upper(), concrete)
            assert r.status_code == 401, (method, path, r.status_code)
            checked += 1
    assert checked >= 10


def test_forged_and_expired_tokens_are_refused(station, admin):
    """A token signed with another key, or past its expiry, gets 401."""
    forged = TokenCodec(secret="x" * 40, ttl_s=3600).issue(1, 0).token
    r = station.client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    secret = station.settings.jwt_secret
    codec = services_of(station.client.app).tokens
    expired = TokenCodec(secret=codec.secret, ttl_s=-10).issue(1, 0).token
    assert secret is None  # the key came from the data dir
    r = station.client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json()["detail"] == "token expired"


def test_secret_is_generated_once_and_kept(settings):
    """Without a configured secret, tokens survive a restart: the key is kept in the data dir."""
    login = {"username": ADMIN[0], "password": ADMIN[1]}
    with TestClient(create_app(settings)) as first:
        token = first.post("/api/auth/login", json=login).json()["access_token"]
    with TestClient(create_app(settings)) as second:
        r = second.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
    assert (settings.data_dir / "jwt-secret").stat().st_mode & 0o077 == 0


def test_disabled_user_token_stops_working(station, admin, officer):
    """Disabling a user invalidates their existing token at once."""
    users = station.client.get("/api/users", params={"role": "officer"}, headers=admin).json()
    officer_id = users["data"][0]["id"]
    assert station.client.get("/api/me", headers=officer).status_code == 200
    r = station.client.patch(f"/api/users/{officer_id}", json={"active": False}, headers=admin)
    assert r.status_code == 200
    assert station.client.get("/api/me", headers=officer).status_code == 401


def test_only_admin_manages_users(station, pilot, officer):
    """Pilots and officers get 403 when creating users."""
    body = {"username": "someone", "password": PASSWORD, "role": "pilot"}
    for headers in (pilot, officer):
        r = station.client.post("/api/users", json=body, headers=headers)
        assert r.status_code == 403
        assert "admin" in r.json()["detail"]


def test_duplicate_username_is_409(station, admin, pilot):
    """Creating a user with a taken name is a conflict."""
    r = station.client.post(
        "/api/users",
        json={"username": "pilot1", "password": PASSWORD, "role": "pilot"},
        headers=admin,
    )
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a b", "password": PASSWORD, "role": "pilot"}, "username"),
        ({"username": "abc", "password": "short", "role": "pilot"}, "password"),
        ({"username": "abc", "password": PASSWORD, "role": "captain"}, "role"),
        ({"username": "abc", "password": PASSWORD, "role": "pilot", "extra": 1}, "extra"),
    ],
)
def test_bad_user_payload_is_422_naming_the_field(station, admin, body, field):
    """Invalid user payloads are refused with 422 and the offending field."""
    r = station.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 422
    assert field in {str(loc) for err in r.json()["detail"] for loc in err["loc"]}


def test_last_admin_cannot_be_demoted(station, admin):
    """The only active admin cannot remove their own admin role."""
    me = station.client.get("/api/me", headers=admin).json()
    r = station.client.patch(f"/api/users/{me['id']}", json={"role": "pilot"}, headers=admin)
    assert r.status_code == 409
    assert station.client.get("/api/me", headers=admin).json()["role"] == "admin"


def test_cors_closed_by_default(station, admin):
    """Without configured origins no CORS header is sent to a foreign origin."""
    r = station.client.get("/api/me", headers={**admin, "Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_admin_can_demote_another_admin_and_reset_a_password(station, admin):
    """With two admins one may be demoted; a reset password replaces the old one."""
    body = {"username": "deputy", "password": PASSWORD, "role": "admin"}
    deputy = station.client.post("/api/users", json=body, headers=admin).json()
    r = station.client.patch(
        f"/api/users/{deputy['id']}",
        json={"role": "officer", "password": "new-password-9"},
        headers=admin,
    )
    assert r.status_code == 200
    assert r.json()["role"] == "officer"
    old = station.client.post("/api/auth/login", json={"username": "deputy", "password": PASSWORD})
    assert old.status_code == 401
    assert station.login("deputy", "new-password-9")
