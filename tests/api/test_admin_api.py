"""What the admin pages use: password resets, the audit log's filters and CSV export, and
schedule edits that change the plan; bad input is refused with a clear 422 and loses nothing."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from groundstation.password_policy import generate_password
from tests.api.conftest import ADMIN, PASSWORD
from tests.integration.reports.patrol_data import store_patrol


def _add(station, admin, username: str, role: str = "officer", full_name: str = "") -> int:
    body = {"username": username, "password": PASSWORD, "role": role, "full_name": full_name}
    r = station.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _audit(station, admin, **params) -> list[dict[str, Any]]:
    r = station.client.get("/api/audit", params=params, headers=admin)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_generated_password_is_shown_once_and_works(station, admin):
    """A reset without a password answers a generated one; it signs in, the old one and the
    user's tokens no longer do, and the log says it was generated without holding it."""
    uid = _add(station, admin, "zhanglei")
    old = station.login("zhanglei")
    r = station.client.post(f"/api/users/{uid}/password", json={}, headers=admin)
    assert r.status_code == 200, r.text
    new = r.json()["password"]
    assert r.json()["user"]["username"] == "zhanglei"
    assert station.client.get("/api/me", headers=old).status_code == 401
    bad = {"username": "zhanglei", "password": PASSWORD}
    assert station.client.post("/api/auth/login", json=bad).status_code == 401
    one_time = station.login("zhanglei", new)
    assert station.client.get("/api/me", headers=one_time).json()["must_change_password"]
    entry = _audit(station, admin, action="user.password_reset")[0]
    assert entry["params"] == {
        "user_id": uid,
        "username": "zhanglei",
        "generated": True,
        "must_change_password": True,
    }
    assert new not in str(_audit(station, admin))


def test_admin_chosen_password_is_not_echoed(station, admin):
    """A reset with the admin's password answers no password and that password signs in."""
    uid = _add(station, admin, "zhanglei")
    body = {"password": "heron-willow-37-dusk"}
    r = station.client.post(f"/api/users/{uid}/password", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["password"] is None
    station.login("zhanglei", "heron-willow-37-dusk")


def test_bad_password_resets_are_refused_and_keep_the_password(station, admin, pilot):
    """Weak, short, null-typed or extra-field bodies get 422, non-admins 403, unknown users
    404; the old password still works afterwards."""
    uid = _add(station, admin, "zhanglei")
    url = f"/api/users/{uid}/password"
    for body in ({"password": "aaaaaaaaaa"}, {"password": "short"}, {"password": 12345678},
                 {"pw": "heron-willow-37-dusk"}, {"password": "zhanglei"}):  # fmt: skip
        r = station.client.post(url, json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
    assert station.client.post(url, json={}, headers=pilot).status_code == 403
    assert station.client.post("/api/users/999/password", json={}, headers=admin).status_code == 404
    station.login("zhanglei")


def test_last_admin_cannot_disable_or_demote_themselves(station, admin):
    """The only active admin is refused (409) both ways and stays an active admin; with a
    second admin the first may step down."""
    me = station.client.get("/api/me", headers=admin).json()["id"]
    for change in ({"active": False}, {"role": "pilot"}):
        r = station.client.patch(f"/api/users/{me}", json=change, headers=admin)
        assert r.status_code == 409, r.text
    assert station.client.get("/api/me", headers=admin).json()["role"] == "admin"
    _add(station, admin, "admin2", role="admin")
    r = station.client.patch(f"/api/users/{me}", json={"role": "pilot"}, headers=admin)
    assert r.status_code == 200, r.text


def test_audit_filters_by_action_family_text_and_time(station, admin):
    """Action matches a command or its family, text looks in params (Chinese too) and is
    case-insensitive, and a time range with its end before its start is 422."""
    _add(station, admin, "zhanglei", full_name="张磊")
    _add(station, admin, "lina", role="pilot")
    creates = _audit(station, admin, action="user.create")
    assert [e["params"]["username"] for e in creates] == ["lina", "zhanglei"]
    family = _audit(station, admin, action="user")
    assert {e["command"] for e in family} == {"user.create"}
    assert _audit(station, admin, action="use") == []
    assert [e["params"]["username"] for e in _audit(station, admin, text="ZHANGL")] == ["zhanglei"]
    assert _audit(station, admin, text="100%") == []
    uid = creates[0]["params"]["user_id"]
    station.client.patch(f"/api/users/{uid}", json={"full_name": "李娜"}, headers=admin)
    assert [e["command"] for e in _audit(station, admin, text="李娜")] == ["user.update"]
    logins = _audit(station, admin, action="login", username=ADMIN[0])
    assert logins
    assert all(e["command"] == "login" for e in logins)
    since = creates[-1]["at"]
    assert len(_audit(station, admin, action="user.create", since=since)) == 2
    r = station.client.get(
        "/api/audit",
        params={"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"},
        headers=admin,
    )
    assert r.status_code == 422, r.text
    actions = station.client.get("/api/audit/actions", headers=admin).json()
    assert {"login", "user.create"} <= set(actions)


def test_audit_csv_export(station, admin, officer):
    """The export is UTF-8 with a BOM, holds the filtered rows in chain order with local ISO
    times and the hash columns that chain, and logs itself; officers get 403."""
    _add(station, admin, "zhanglei", full_name="张磊")
    r = station.client.get("/api/audit/export.csv", params={"action": "user.create"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["command"] for row in rows] == ["user.create", "user.create"]
    assert '"username": "zhanglei"' in rows[1]["params"]
    assert all(row["time"].endswith("+08:00") for row in rows)
    assert int(rows[0]["seq"]) < int(rows[1]["seq"])
    assert all(len(row["row_hash"]) == 64 and len(row["prev_hash"]) == 64 for row in rows)
    everything = station.client.get("/api/audit/export.csv", headers=admin)
    chain = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
    for before, after in itertools.pairwise(chain):
        assert after["prev_hash"] == before["row_hash"]
    assert chain[-1]["command"] == "audit.export"
    assert station.client.get("/api/audit/export.csv", headers=officer).status_code == 403


def test_audit_csv_bad_filters_are_422(station, admin):
    """An unknown time zone, a naive time or an inverted range is refused, nothing logged."""
    before = len(_audit(station, admin, action="audit.export"))
    for params in ({"time_zone": "Mars/Olympus"}, {"since": "2026-05-01T08:00:00"},
                   {"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}):  # fmt: skip
        r = station.client.get("/api/audit/export.csv", params=params, headers=admin)
        assert r.status_code == 422, (params, r.text)
    assert len(_audit(station, admin, action="audit.export")) == before


def test_audit_csv_export_spans_many_chunks(station, admin, monkeypatch):
    """An export longer than one read chunk has every row once, in order."""
    import groundstation.db.audit_read as audit_read

    monkeypatch.setattr(audit_read, "EXPORT_CHUNK", 3)
    for n in range(8):
        _add(station, admin, f"user{n}")
    r = station.client.get("/api/audit/export.csv", params={"action": "user"}, headers=admin)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["params"].count("user") > 0 for row in rows] == [True] * 8
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)


def test_schedule_edit_changes_plan_and_rule_and_refuses_bad_input(station, pilot):
    """A schedule's plan and time rule can be changed; a bad rule, an unknown plan or a null
    are refused (422 / 404) and the stored schedule is unchanged."""
    first = store_patrol(station.settings.db).plan_id
    second = store_patrol(station.settings.db, sysid=8).plan_id
    body = {"plan_id": first, "times": ["07:30"]}
    s = station.client.post("/api/schedules", json=body, headers=pilot).json()
    url = f"/api/schedules/{s['id']}"
    r = station.client.patch(url, json={"plan_id": second, "cron": "0 9 * * 1-5", "times": []},
                             headers=pilot)  # fmt: skip
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["plan_id"], changed["cron"]) == (second, "0 9 * * 1-5")
    assert changed["next_run_at"] != s["next_run_at"]
    for bad, status in (({"cron": "0 25 * * *"}, 422), ({"plan_id": 999}, 404),
                        ({"plan_id": None}, 422), ({"cron": None}, 422),
                        ({"times": ["07:30"]}, 422)):  # fmt: skip
        r = station.client.patch(url, json=bad, headers=pilot)
        assert r.status_code == status, (bad, r.text)
    assert station.client.get(url, headers=pilot).json() == changed


def test_generated_passwords_pass_the_policy():
    """Generated passwords differ and satisfy the password rule."""
    from groundstation.password_policy import check_password

    made = {generate_password() for _ in range(20)}
    assert len(made) == 20
    for p in made:
        check_password(p, "someone")
