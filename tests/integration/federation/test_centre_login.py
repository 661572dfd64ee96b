"""The centre's sign-in on a real PostgreSQL: failed logins are counted in the centre's store
(a lockout survives a restart of the centre and ``centre-users unlock`` lifts it from another
process), and a user whose password was reset from the CLI must choose their own before
anything else, as on a station."""

from __future__ import annotations

import asyncio
import getpass
from typing import Any

import httpx
import pytest
import websockets
from typer.testing import CliRunner, Result

from groundstation.cli.main import app as cli
from tests.integration.federation.centre_web import PASSWORD, running_centre_web

runner = CliRunner()
NEW = "otter-lantern-reeds-81"


async def _cli(*args: str, stdin: str | None = None) -> Result:
    """The command run in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(lambda: runner.invoke(cli, list(args), input=stdin))


async def _login(url: str, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as client:
        return await client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )


def _row(output: str, username: str) -> str:
    return next(line for line in output.splitlines() if f" {username} " in line)


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three failures lock a name for an hour; no back-off before that."""
    monkeypatch.setenv("ECOPATROL_PASSWORD_HASH_PROFILE", "cheapest")
    monkeypatch.setenv("ECOPATROL_LOGIN__FREE_FAILURES", "5")
    monkeypatch.setenv("ECOPATROL_LOGIN__USER_LOCKOUT_AFTER", "3")
    monkeypatch.setenv("ECOPATROL_LOGIN__LOCKOUT_S", "3600")


async def test_a_lockout_survives_a_restart_and_the_cli_lifts_it(pg_cluster, tmp_path, policy):
    """Three wrong passwords lock the name: the right one is refused (429) by the centre and,
    after a restart, by the new centre; `centre-users list` says until when; `centre-users
    unlock` (another process) lets the user in at once, and is recorded with who did it. The
    other users are not affected."""
    db = pg_cluster.create_database()
    r = await _cli("centre-user", "--db", db, "--username", "duty-a", "--station", "river-a",
                   "--password-stdin", stdin=f"{PASSWORD}\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    async with running_centre_web(db, tmp_path, None) as web:
        for _ in range(3):
            assert (await _login(web.url, "duty-a", "wrong-password")).status_code == 401
        refused = await _login(web.url, "duty-a", PASSWORD)
        assert refused.status_code == 429, refused.text
        assert "locked until" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) > 3500
        assert (await _login(web.url, "officer-a", PASSWORD)).status_code == 200

    async with running_centre_web(db, tmp_path, None) as web:  # a restart: the same store
        assert (await _login(web.url, "duty-a", PASSWORD)).status_code == 429
        r = await _cli("centre-users", "list", "--db", db)
        assert r.exit_code == 0, r.output
        assert "locked until" in _row(r.output, "duty-a")
        assert "locked" not in _row(r.output, "officer-a")

        r = await _cli("centre-users", "unlock", "duty-a", "--db", db)
        assert r.exit_code == 0, r.output
        assert "lifted username duty-a (3 failed logins)" in r.output
        ok = await _login(web.url, "duty-a", PASSWORD)
        assert ok.status_code == 200, ok.text
        r = await _cli("centre-users", "list", "--db", db)
        assert "locked" not in _row(r.output, "duty-a")
        r = await _cli("centre-users", "unlock", "duty-a", "--db", db)
        assert "no failed logins to lift" in r.output
        r = await _cli("centre-users", "unlock", "ghost", "--db", db)
        assert r.exit_code == 1
        assert "no centre user 'ghost'" in r.output

        r = await _cli("centre-users", "history", "duty-a", "--db", db)
        assert r.exit_code == 0, r.output
        cells = [line.split("│") for line in r.output.splitlines() if line.count("│") >= 5]
        actions = [c[4].strip() for c in cells if c[4].strip()]  # details may wrap
        assert actions == ["unlock", "unlock", "create"], r.output
        assert f"cli:{getpass.getuser()}" in r.output
        assert "'failures': 3" in "".join(c[5].strip() for c in cells), r.output


async def test_two_centres_on_one_store_count_failures_together(pg_cluster, tmp_path, policy):
    """Failures at two centre services on the same store add up: two at one and one at the
    other lock the name at both (each keeps nothing of it in its own memory)."""
    db = pg_cluster.create_database()
    async with (
        running_centre_web(db, tmp_path / "one", None) as one,
        running_centre_web(db, tmp_path / "two", None) as two,
    ):
        for url in (one.url, one.url, two.url):
            assert (await _login(url, "officer-a", "wrong-password")).status_code == 401
        for url in (one.url, two.url):
            refused = await _login(url, "officer-a", PASSWORD)
            assert refused.status_code == 429, refused.text
            assert refused.json()["fields"]["locked"] is True


async def _change(client: httpx.AsyncClient, current: str, new: str) -> httpx.Response:
    return await client.post(
        "/api/auth/password", json={"current_password": current, "password": new}
    )


async def _live_close(url: str) -> Any:
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd


async def test_a_user_reset_by_the_cli_must_change_the_password(pg_cluster, tmp_path, policy):
    """After `centre-users reset-password` the one-time password signs in, but only /api/me,
    logout and the change are allowed (403 password_change_required elsewhere, the live
    stream closes 1008 with that reason); a wrong current or weak new password is refused and
    changes nothing; the change answers a token that works everywhere, ends the old one, and
    is recorded."""
    db = pg_cluster.create_database()
    async with running_centre_web(db, tmp_path, None) as web:
        r = await _cli("centre-users", "reset-password", "officer-b", "--db", db)
        assert r.exit_code == 0, r.output
        assert "changed at the next sign-in" in r.output
        one_time = r.output.rsplit(": ", 1)[1].strip()
        r = await _cli("centre-users", "list", "--db", db)
        assert "must change password" in _row(r.output, "officer-b")
        assert "must change" not in _row(r.output, "officer-a")

        signed = await _login(web.url, "officer-b", one_time)
        assert signed.status_code == 200, signed.text
        assert signed.json()["user"]["must_change_password"] is True
        token = signed.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=web.url, headers=headers) as client:
            me = await client.get("/api/me")
            assert me.status_code == 200
            assert me.json()["must_change_password"] is True
            for path in ("/api/centre/stations", "/api/centre/vehicles", "/api/freshness",
                         "/api/centre/commands", "/api/map/basemaps"):  # fmt: skip
                refused = await client.get(path)
                assert refused.status_code == 403, (path, refused.text)
                assert refused.json()["fields"] == {"code": "password_change_required"}
            closed = await _live_close(f"{web.ws_url}?token={token}")
            assert closed is not None
            assert (closed.code, closed.reason) == (1008, "password_change_required")

            wrong = await _change(client, "not-the-password", NEW)
            assert wrong.status_code == 403, wrong.text
            assert wrong.json()["fields"]["field"] == "current_password"
            for weak in ("aaaaaaaaaa", one_time):
                refused = await _change(client, one_time, weak)
                assert refused.status_code == 422, refused.text
                assert refused.json()["fields"]["field"] == "password"
            assert (await client.get("/api/me")).json()["must_change_password"] is True

            changed = await _change(client, one_time, NEW)
            assert changed.status_code == 200, changed.text
            assert changed.json()["user"]["must_change_password"] is False
            assert (await client.get("/api/me")).status_code == 401  # the old token ended
        fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
        async with httpx.AsyncClient(base_url=web.url, headers=fresh) as client:
            assert (await client.get("/api/centre/stations")).status_code == 200
        assert (await _login(web.url, "officer-b", one_time)).status_code == 401
        again = await _login(web.url, "officer-b", NEW)
        assert again.json()["user"]["must_change_password"] is False

        r = await _cli("centre-users", "history", "officer-b", "--db", db)
        rows = [[cell.strip() for cell in line.split("│")] for line in r.output.splitlines()
                if line.count("│") >= 5]  # fmt: skip
        assert [(row[2], row[4]) for row in rows if row[4]] == [
            ("user:officer-b", "password_change"),
            ("user:officer-b", "password_change_refused"),
            ("user:officer-b", "password_change_refused"),
            ("user:officer-b", "password_change_refused"),
            (f"cli:{getpass.getuser()}", "password_reset"),
        ]
        assert one_time not in r.output
        assert NEW not in r.output
