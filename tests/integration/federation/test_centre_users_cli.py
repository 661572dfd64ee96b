"""``ecopatrol centre-users`` against a running centre on a real PostgreSQL: its users are
listed; one disabled cannot sign in, their tokens and open live stream end; enabled again they
can; a reset password replaces the old one and ends their tokens; every change is recorded with
who made it; bad input is refused with one line and changes nothing."""

from __future__ import annotations

import asyncio
import getpass

import httpx
import pytest
import websockets
from typer.testing import CliRunner, Result

from groundstation.api import centre_live
from groundstation.cli.main import app as cli
from tests.integration.federation.centre_web import PASSWORD, USERS, live, running_centre_web

runner = CliRunner()


async def _cli(*args: str, stdin: str | None = None) -> Result:
    """The command run in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(lambda: runner.invoke(cli, list(args), input=stdin))


async def _login(url: str, username: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=url) as client:
        body = {"username": username, "password": password}
        return (await client.post("/api/auth/login", json=body)).status_code


async def test_centre_users_are_listed_disabled_enabled_and_reset(
    pg_cluster, tmp_path, monkeypatch
):
    """The list shows every user with their station; disabling ends sign-in, tokens and the
    open live stream (1008); enabling restores sign-in; a reset prints a one-time password that
    replaces the old one; the history names each change and the CLI user who made it."""
    monkeypatch.setenv("ECOPATROL_PASSWORD_HASH_PROFILE", "cheapest")
    monkeypatch.setattr(centre_live, "RECHECK_S", 0.2)
    db = pg_cluster.create_database()
    async with running_centre_web(db, tmp_path, None) as web:
        r = await _cli("centre-user", "--db", db, "--username", "duty-a", "--station", "river-a",
                       "--password-stdin", stdin=f"{PASSWORD}\n")  # fmt: skip
        assert r.exit_code == 0, r.output
        r = await _cli("centre-users", "list", "--db", db)
        assert r.exit_code == 0, r.output
        rows = {line.split("│")[2].strip(): line for line in r.output.splitlines() if "│" in line}
        assert set(rows) >= {*USERS, "duty-a"}
        assert "river-a" in rows["officer-a"]
        assert "every station" in rows["chief"]
        assert all("active" in line for line in rows.values())
        r = await _cli("centre-users", "list", "--db", db, "--station", "river-b")
        assert "officer-b" in r.output
        assert "officer-a" not in r.output

        async with live(web, "officer-a") as reader:
            r = await _cli("centre-users", "disable", "officer-a", "--db", db)
            assert r.exit_code == 0, r.output
            assert "disabled" in r.output
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await reader.until(lambda _: False, timeout_s=10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008
        async with web.client("officer-a") as client:
            assert (await client.get("/api/me")).status_code == 401
        assert await _login(web.url, "officer-a", PASSWORD) == 401
        r = await _cli("centre-users", "list", "--db", db)
        assert "disabled" in next(line for line in r.output.splitlines() if "officer-a" in line)
        r = await _cli("centre-users", "disable", "officer-a", "--db", db)
        assert "already disabled" in r.output
        r = await _cli("centre-users", "enable", "officer-a", "--db", db)
        assert r.exit_code == 0, r.output
        assert await _login(web.url, "officer-a", PASSWORD) == 200

        r = await _cli("centre-users", "reset-password", "officer-b", "--db", db)
        assert r.exit_code == 0, r.output
        one_time = r.output.rsplit(": ", 1)[1].strip()
        assert len(one_time) == 19
        assert await _login(web.url, "officer-b", PASSWORD) == 401
        assert await _login(web.url, "officer-b", one_time) == 200
        async with web.client("officer-b") as client:
            assert (await client.get("/api/me")).status_code == 401  # signed in before the reset
        r = await _cli("centre-users", "reset-password", "chief", "--db", db,
                       "--password-stdin", stdin="heron-willow-37-dusk\n")  # fmt: skip
        assert r.exit_code == 0, r.output
        assert "one-time" not in r.output
        assert await _login(web.url, "chief", "heron-willow-37-dusk") == 200

        r = await _cli("centre-users", "history", "--db", db)
        assert r.exit_code == 0, r.output
        actions = [
            (line.split("│")[3].strip(), line.split("│")[4].strip())
            for line in r.output.splitlines()
            if line.count("│") >= 5
        ]
        assert actions == [
            ("chief", "password_reset"),
            ("officer-b", "password_reset"),
            ("officer-a", "enable"),
            ("officer-a", "disable"),
            ("duty-a", "create"),
        ]
        assert f"cli:{getpass.getuser()}" in r.output
        assert one_time not in r.output


async def test_bad_centre_user_changes_are_refused_and_change_nothing(pg_cluster, monkeypatch):
    """An unknown user, a weak password, or a store that is not PostgreSQL stop the command
    with one line and a non-zero status; nothing is recorded."""
    monkeypatch.setenv("ECOPATROL_PASSWORD_HASH_PROFILE", "cheapest")
    db = pg_cluster.create_database()
    for args in (["disable", "ghost"], ["enable", "ghost"], ["reset-password", "ghost"]):
        r = await _cli("centre-users", *args, "--db", db)
        assert r.exit_code == 1, r.output
        assert "no centre user 'ghost'" in r.output
        assert "Traceback" not in r.output
    r = await _cli("centre-users", "reset-password", "ghost", "--db", db, "--password-stdin",
                   stdin="aaaaaaaaaa\n")  # fmt: skip
    assert r.exit_code == 2
    assert "too easy to guess" in r.output
    r = await _cli("centre-users", "list", "--db", "sqlite:///x.db")
    assert r.exit_code == 2
    assert "PostgreSQL" in r.output
    r = await _cli("centre-users", "history", "--db", db)
    assert "no changes recorded" in r.output
