"""`ecopatrol users` and `ecopatrol serve`: accounts made on the command line work in the API."""

from __future__ import annotations

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from groundstation.app import create_app
from groundstation.cli.main import app as cli
from groundstation.config import DbSettings, Settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOPATROL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOPATROL_PASSWORD_HASH_PROFILE", "cheapest")
    return tmp_path


def test_create_admin_then_login_through_the_api(env):
    """An admin created by `users create-admin` can log in to a service on the same store."""
    r = runner.invoke(cli, ["users", "create-admin", "--username", "chief", "--password-stdin"],
                      input="chief-password\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["users", "add", "wang", "--role", "officer", "--password-stdin"],
                      input="wang-heron-dusk\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    listed = runner.invoke(cli, ["users", "list"])
    assert "chief" in listed.output
    assert "officer" in listed.output
    settings = Settings(data_dir=env / "data", password_hash_profile="cheapest")
    with TestClient(create_app(settings)) as client:
        login = client.post(
            "/api/auth/login", json={"username": "wang", "password": "wang-heron-dusk"}
        )
        assert login.status_code == 200
        assert login.json()["user"]["role"] == "officer"
        assert login.json()["user"]["must_change_password"] is False


def test_a_generated_password_is_printed_once_and_must_be_changed(env):
    """`users add --generate-password` prints a one-time password that signs in, with only
    the change of password allowed until it is changed."""
    r = runner.invoke(cli, ["users", "add", "zhao", "--role", "pilot", "--generate-password"])
    assert r.exit_code == 0, r.output
    one_time = r.output.rsplit(": ", 1)[1].strip()
    assert len(one_time) == 19
    both = ["users", "add", "qian", "--role", "pilot", "--generate-password", "--password-stdin"]
    assert runner.invoke(cli, both, input="x\n").exit_code == 2
    settings = Settings(data_dir=env / "data", password_hash_profile="cheapest")
    with TestClient(create_app(settings)) as client:
        login = client.post("/api/auth/login", json={"username": "zhao", "password": one_time})
        assert login.status_code == 200, login.text
        assert login.json()["user"]["must_change_password"] is True
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert client.get("/api/vehicles", headers=headers).status_code == 403


def test_duplicate_user_fails_cleanly(env):
    """Adding an existing username exits non-zero with a message, not a traceback."""
    args = ["users", "add", "li", "--role", "pilot", "--password-stdin"]
    assert runner.invoke(cli, args, input="li-heron-dusk\n").exit_code == 0
    r = runner.invoke(cli, args, input="li-heron-dusk\n")
    assert r.exit_code == 1
    assert "already exists" in r.output
    assert "Traceback" not in r.output


def test_short_password_and_bad_role_are_refused(env):
    """A short password or an unknown role is refused with a clear message."""
    r = runner.invoke(cli, ["users", "add", "li", "--role", "pilot", "--password-stdin"],
                      input="short\n")  # fmt: skip
    assert r.exit_code == 1
    assert "at least 8" in r.output
    r = runner.invoke(cli, ["users", "add", "li", "--role", "captain", "--password-stdin"],
                      input="long-enough\n")  # fmt: skip
    assert r.exit_code == 2


def test_serve_passes_options_to_the_app(env, monkeypatch):
    """`serve` builds the app from its options, keeps the MAVLink endpoints and uses websockets."""
    seen = {}

    def fake_run(app, **kwargs):
        seen["settings"] = app.state.settings
        seen.update(kwargs)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    db = f"sqlite:///{env / 'x.db'}"
    r = runner.invoke(cli, [
        "serve", "--db", db, "--port", "8123",
        "--mavlink", "udpin://0.0.0.0:14550", "--mavlink", "udpout://127.0.0.1:14560",
    ])  # fmt: skip
    assert r.exit_code == 0, r.output
    settings = seen["settings"]
    assert settings.db.url == db
    assert settings.link.mavlink == ["udpin://0.0.0.0:14550", "udpout://127.0.0.1:14560"]
    assert seen["port"] == 8123
    assert seen["ws"] == "websockets-sansio"


def test_serve_rejects_unknown_database_backend(env):
    """An unsupported --db URL stops with a message naming the URL."""
    r = runner.invoke(cli, ["serve", "--db", "mysql://x/y"])
    assert r.exit_code == 2
    assert "mysql" in r.output


def test_settings_from_environment(env, monkeypatch):
    """Nested settings are read from ECOPATROL_* variables with a double underscore."""
    monkeypatch.setenv("ECOPATROL_DB__URL", "postgresql://u@localhost/eco")
    monkeypatch.setenv("ECOPATROL_LINK__MAVLINK", '["udpin://0.0.0.0:14550"]')
    s = Settings()
    assert s.db.async_url == "postgresql+psycopg://u@localhost/eco"
    assert s.link.mavlink == ["udpin://0.0.0.0:14550"]
    assert Settings(db=DbSettings(url=None), data_dir=env).resolved().db.is_sqlite


def test_groups_keep_their_single_underscore_names(monkeypatch, caplog):
    """The names the patrol, schedule, freshness and reports groups had as settings classes of
    their own (ECOPATROL_PATROL_WIND_M_S) are still read, each with one warning naming the new
    name; the nested name wins over them."""
    from groundstation import config

    monkeypatch.setattr(config, "_warned", set())
    monkeypatch.setenv("ECOPATROL_PATROL_WIND_M_S", "4")
    monkeypatch.setenv("ECOPATROL_PATROL_TURNAROUND_S", "9")
    monkeypatch.setenv("ECOPATROL_PATROL__TURNAROUND_S", "5")
    monkeypatch.setenv("ECOPATROL_SCHEDULE_CHECK_DAYLIGHT", "false")
    monkeypatch.setenv("ECOPATROL_FRESHNESS_CELL_M", "100")
    monkeypatch.setenv("ECOPATROL_REPORTS_POLL_S", "7")
    monkeypatch.setenv("ECOPATROL_PATROL_NO_SUCH_FIELD", "1")
    s = Settings()
    assert (s.patrol.wind_m_s, s.patrol.turnaround_s) == (4.0, 5.0)
    assert s.schedule.check_daylight is False
    assert (s.freshness.cell_m, s.reports.poll_s) == (100.0, 7.0)
    warned = [r.getMessage() for r in caplog.records if "old name" in r.getMessage()]
    assert (
        "ECOPATROL_PATROL_WIND_M_S is an old name, still read: rename it ECOPATROL_PATROL__WIND_M_S"
        in warned
    )
    assert len(warned) == 5  # the unknown NO_SUCH_FIELD is not read, so not named
    Settings()
    assert len([r for r in caplog.records if "old name" in r.getMessage()]) == 5  # once each
    monkeypatch.setenv("ECOPATROL_PATROL_WIND_LIMIT_M_S", "-1")
    with pytest.raises(ValueError, match="wind_limit_m_s"):
        Settings()


def test_env_example_names_only_real_settings(monkeypatch):
    """Every variable in .env.example is a setting (nested groups after a double underscore),
    and the example values validate."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / ".env.example"
    names = []
    for line in example.read_text().splitlines():
        entry = line.lstrip("# ").strip()
        if entry.startswith("ECOPATROL_") and "=" in entry:
            name, value = entry.split("=", 1)
            names.append(name)
            monkeypatch.setenv(name, value)
    assert len(names) > 15
    settings = Settings()
    for name in names:
        path = name.removeprefix("ECOPATROL_").lower().split("__")
        target = settings
        for part in path:
            assert hasattr(target, part), name
            target = getattr(target, part)
        assert target is not None, name
    groups = {name.split("__")[0] for name in names if "__" in name}
    for group in ("PATROL", "SCHEDULE", "FRESHNESS", "REPORTS"):
        assert f"ECOPATROL_{group}" in groups, f"no ECOPATROL_{group}__* setting in .env.example"
