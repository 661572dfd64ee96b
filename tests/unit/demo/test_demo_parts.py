"""The demo's parts without running it: its folder, settings, plans, console and options."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from rich.console import Console
from shapely.geometry import Point, shape
from typer.testing import CliRunner

from geodata.site import Site, load_site
from groundstation.api.flight_schemas import PlanCreate
from groundstation.cli.main import app
from groundstation.config import Settings
from groundstation.demo.console import ChangeLog, DemoStatus, PatrolRow, render
from groundstation.demo.plans import DemoSiteError, demo_plan_bodies, demo_plans
from groundstation.demo.setup import (
    MARKER,
    DemoFolderError,
    demo_credentials,
    demo_folder,
    demo_settings,
)
from groundstation.patrol.planning import make_plan


@pytest.fixture(scope="module")
def longyou() -> Site:
    return load_site(None)


# --- folder and settings --------------------------------------------------------------------------


def test_a_new_folder_is_marked_and_gets_a_reports_folder(tmp_path):
    """A folder that does not exist yet is created, marked as the demo's, with reports/."""
    with demo_folder(tmp_path / "new" / "demo") as folder:
        assert folder.is_absolute()
    assert (folder / MARKER).is_file()
    assert (folder / "reports").is_dir()


def test_an_earlier_demo_folder_is_reset_but_keeps_its_secret(tmp_path):
    """Re-running on a demo folder removes the old database, reports and log, not the secret."""
    with demo_folder(tmp_path / "demo") as folder:
        for name in ("ecopatrol.db", "ecopatrol.db-wal", "demo.log", "jwt-secret"):
            (folder / name).write_text("old")
        (folder / "reports" / "patrol-1.png").write_text("old")
    with demo_folder(folder):
        pass
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "jwt-secret", "reports"]
    assert list((folder / "reports").iterdir()) == []


@pytest.mark.parametrize("content", ["ecopatrol.db", "notes.txt"])
def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path, content):
    """A folder holding files but no demo marker is refused; its files stay as they were."""
    (tmp_path / content).write_text("precious")
    with pytest.raises(DemoFolderError, match="not an ecopatrol demo"), demo_folder(tmp_path):
        pass
    assert (tmp_path / content).read_text() == "precious"
    assert not (tmp_path / MARKER).exists()


def test_a_file_is_not_a_demo_folder(tmp_path):
    """--data-dir naming a file is refused with a message saying so."""
    (tmp_path / "f").write_text("x")
    with pytest.raises(DemoFolderError, match="is a file"), demo_folder(tmp_path / "f"):
        pass


def test_the_folder_of_a_running_demo_is_not_reset_by_a_second_one(tmp_path):
    """While one demo holds the folder a second is refused and the first one's store stays."""
    with demo_folder(tmp_path / "demo") as folder:
        (folder / "ecopatrol.db").write_text("live")
        running = pytest.raises(DemoFolderError, match="another ecopatrol demo is running")
        with running, demo_folder(folder):
            pass
        assert (folder / "ecopatrol.db").read_text() == "live"
    with demo_folder(folder):
        assert not (folder / "ecopatrol.db").exists()


def test_demo_settings_put_the_store_in_the_folder_and_link_to_the_simulator(tmp_path):
    """SQLite in the folder, loopback HTTP, udpout to the simulator, the demo admin; rest kept."""
    base = Settings(password_hash_profile="cheapest", db={"url": "postgresql://x@db/y"})
    admin = next(c for c in demo_credentials() if c.role == "admin")
    s = demo_settings(base, tmp_path, 0, 14560, admin)
    assert s.db.url == f"sqlite:///{tmp_path / 'ecopatrol.db'}"
    assert s.link.mavlink == ["udpout://127.0.0.1:14560"]
    assert (s.host, s.port, s.data_dir) == ("127.0.0.1", 0, tmp_path)
    assert s.admin_username == "admin"
    assert s.admin_password is not None
    assert s.admin_password.get_secret_value() == admin.password
    assert s.password_hash_profile == "cheapest"


def test_each_run_makes_new_passwords():
    """Two runs never share a password."""
    first, second = demo_credentials(), demo_credentials()
    assert not {c.password for c in first} & {c.password for c in second}


# --- plans ----------------------------------------------------------------------------------------


def test_the_demo_plans_are_valid_small_patrols_from_the_station(longyou):
    """Each body passes the API schema and plans into one sortie of a few minutes by the station."""
    station = longyou.frame.to_local(longyou.station)
    kinds = []
    for body in demo_plan_bodies(longyou):
        request = PlanCreate.model_validate(body).to_request()
        result = make_plan(longyou, request)
        kinds.append(request.kind)
        assert len(result.sorties) == 1, body["name"]
        assert 60 < result.sorties[0].duration_s < 480, (body["name"], result.stats)
        for feature in result.route["features"]:
            if feature["properties"].get("role") is None and feature["geometry"]:
                for xy in shapely.get_coordinates(shape(feature["geometry"])):
                    far = longyou.frame.to_local(Point(xy)).distance(station)
                    assert far < 1500, (body["name"], far)
    assert kinds == ["shore", "tour", "coverage"]


def test_the_first_two_launch_within_a_minute_and_coverage_last(longyou):
    """Shoreline and tour are due within a minute of start, the coverage patrol after them."""
    offsets = [p.launch_after_s for p in demo_plans(longyou)]
    assert max(offsets[:2]) < 60
    assert offsets[2] > max(offsets[:2])


def test_a_station_far_from_water_cannot_host_the_demo(longyou):
    """With the station moved 20 km from the river the demo says there is no water nearby."""
    stations = longyou.layers["stations"].copy()
    x, y = longyou.station.x, longyou.station.y
    stations["geometry"] = [Point(x, y + 20_000 / 111_000)]
    layers = {**longyou.layers, "stations": gpd.GeoDataFrame(stations, crs=4326)}
    moved = dataclasses.replace(longyou, layers=layers)
    assert math.isclose(moved.station.y, y + 20_000 / 111_000)
    with pytest.raises(DemoSiteError, match="no water within"):
        demo_plan_bodies(moved)


# --- console --------------------------------------------------------------------------------------


def _text(status: DemoStatus) -> str:
    console = Console(record=True, width=140)
    console.print(render(status))
    return console.export_text()


def test_the_live_view_shows_drones_patrols_and_reports():
    """Mode, battery, altitude, link of each drone; each patrol's state; reports written."""
    status = DemoStatus("http://127.0.0.1:8000", Path("/tmp/d"), 2.0, sim_time_s=125)
    status.drones = [
        {"name": "drone-1", "mode": "AUTO", "armed": True, "battery_pct": 87.4,
         "alt_rel_m": 40.2, "speed_m_s": 9.8, "link": {"status": "ok"}},
        {"name": "drone-2", "link": {"status": "offline"}},
    ]  # fmt: skip
    status.patrols = [PatrolRow(1, "demo: shoreline", "drone-1", "flying")]
    status.reports = [Path("/tmp/d/reports/patrol-0.html")]
    status.users = [("officer", "s3cret-pass", "officer")]
    text = _text(status)
    assert "02:05 at 2x" in text
    assert "http://127.0.0.1:8000" in text
    assert "officer / s3cret-pass" in text
    for expected in ("drone-1", "AUTO", "armed", "87 %", "40 m", "9.8 m/s", "ok", "offline"):
        assert expected in text, expected
    assert "demo: shoreline" in text
    assert "flying" in text
    assert "Reports written: 1" in text


def test_the_live_view_says_what_it_waits_for():
    """Before drones and patrols exist the tables say what is coming."""
    text = _text(DemoStatus("http://h", Path("/d"), 1.0))
    assert "waiting for the simulated drones" in text
    assert "schedules launch the first patrols" in text


def test_headless_lines_report_each_change_once():
    """A failed patrol's reason, a written report and a skipped run each make one line."""
    log = ChangeLog()
    status = DemoStatus("http://h", Path("/d"), 1.0)
    status.patrols = [PatrolRow(3, "demo: tour", "drone-2", "flying")]
    assert log.lines(status) == ["patrol 3 (demo: tour on drone-2): flying"]
    status.patrols = [PatrolRow(3, "demo: tour", "drone-2", "failed", "link lost")]
    status.reports = [Path("/d/reports/patrol-3.html")]
    status.runs = [{"id": 1, "schedule_id": 2, "status": "skipped", "attempts": 1,
                    "reason": "no drone available"}]  # fmt: skip
    assert log.lines(status) == [
        "patrol 3 (demo: tour on drone-2): failed (link lost)",
        "report written: /d/reports/patrol-3.html",
        "schedule 2 run skipped: no drone available",
    ]
    assert log.lines(status) == []


# --- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--until-reports", "4"], "--until-reports"),
        (["--speedup", "0"], "--speedup"),
        (["--port", "70000"], "--port"),
        (["--drones", "0"], "--drones"),
    ],
)
def test_bad_options_are_refused_before_anything_starts(tmp_path, args, named):
    """An out-of-range option exits 2 naming it, and the demo folder is not even created."""
    result = CliRunner().invoke(
        app, ["demo", "--headless", "--data-dir", str(tmp_path / "d"), *args]
    )
    assert result.exit_code == 2
    assert named in result.output
    assert not (tmp_path / "d").exists()
