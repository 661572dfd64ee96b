"""`ecopatrol plan ...`: files written, stats printed, errors as one line and exit code 2."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundstation.cli.main import app
from routes.formats import qgc_plan, waypoints

POND = Path(__file__).parents[2] / "data" / "routes" / "pond.geojson"
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["plan", *args])


def test_coverage_geojson_without_station_is_the_bare_path(tmp_path) -> None:
    """With --station none the GeoJSON LineStrings, in order, form one connected path."""
    out = tmp_path / "pond.geojson"
    res = _run("coverage", "--area", str(POND), "--altitude", "60", "--swath-width", "60",
               "--station", "none", "--format", "geojson", "-o", str(out))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "covered" in res.output
    doc = json.loads(out.read_text())
    lines = [f["geometry"]["coordinates"] for f in doc["features"]
             if f["geometry"]["type"] == "LineString"]  # fmt: skip
    assert len(lines) >= 1
    for a, b in itertools.pairwise(lines):
        assert a[-1] == pytest.approx(b[0], abs=1e-7)
    assert doc["properties"]["sorties"] == 1
    assert doc["properties"]["covered_frac"] >= 0.995


def test_coverage_plan_file_with_camera_and_station(tmp_path) -> None:
    """A .plan made from camera settings loads back, home at the given station, photos on."""
    out = tmp_path / "pond.plan"
    png = tmp_path / "pond.png"
    res = _run("coverage", "--area", str(POND), "--altitude", "80", "--camera-hfov", "84",
               "--overlap", "0.3", "--station", "119.2990,29.0795", "--format", "plan",
               "-o", str(out), "--png", str(png))  # fmt: skip
    assert res.exit_code == 0, res.output
    mission = qgc_plan.loads(out.read_text())
    assert mission.home.lat_deg == pytest.approx(29.0795, abs=1e-6)
    assert mission.home.lon_deg == pytest.approx(119.2990, abs=1e-6)
    assert any(it.command == 206 and it.param1 > 0 for it in mission.items)
    assert mission.fence
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_waypoints_per_sortie_when_the_battery_is_short(tmp_path) -> None:
    """A short battery makes several sorties, each its own numbered .waypoints file."""
    out = tmp_path / "pond.waypoints"
    res = _run("coverage", "--area", str(POND), "--altitude", "60", "--swath-width", "40",
               "--station", "119.2990,29.0795", "--endurance", "400", "--speed", "10",
               "--drones", "2", "--format", "waypoints", "-o", str(out))  # fmt: skip
    assert res.exit_code == 0, res.output
    files = sorted(tmp_path.glob("pond_s*_d*.waypoints"))
    assert len(files) >= 2
    assert {f.name.split("_d")[1] for f in files} == {"1.waypoints", "2.waypoints"}
    for f in files:
        items = waypoints.loads(f.read_text())
        assert items[-1].command == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--swath-width", "5000"], "wider than the area"),
        ([], "give --swath-width"),
        (["--swath-width", "60", "--camera-hfov", "80", "--overlap", "0.2"], "either"),
        (["--swath-width", "60", "--altitude", "300"], "above the 120 m limit"),
        (["--swath-width", "60", "--station", "nowhere"], "LON,LAT"),
        (["--swath-width", "60", "--reserve", "1.5"], "reserve"),
        (["--swath-width", "60", "--battery-wh", "500"], "go together"),
        (["--swath-width", "60", "--accel", "-1"], "acceleration"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(tmp_path, args, message) -> None:
    """Impossible requests print a one-line reason (no traceback) and exit with code 2."""
    base = ["coverage", "--area", str(POND), "--altitude", "60", "-o", str(tmp_path / "x.plan")]
    res = _run(*base, *args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_a_sluggish_autopilot_needs_more_sorties(tmp_path) -> None:
    """Time lost braking for corners counts against the battery: with a gentle WPNAV_ACCEL
    (--accel 0.5) and a tight WPNAV_RADIUS the same pond needs more sorties than with a brisk
    one and wide corners."""
    counts = []
    for accel, radius in (("5", "10"), ("0.5", "0.5")):
        out = tmp_path / f"pond_{accel}.geojson"
        res = _run("coverage", "--area", str(POND), "--altitude", "60", "--swath-width", "30",
                   "--station", "119.2990,29.0795", "--endurance", "500", "--speed", "10",
                   "--accel", accel, "--wp-radius", radius, "--format", "geojson",
                   "-o", str(out))  # fmt: skip
        assert res.exit_code == 0, res.output
        counts.append(json.loads(out.read_text())["properties"]["sorties"])
    assert counts[1] > counts[0]


@pytest.mark.parametrize("pattern", ["parallel", "channel", "wavefront"])
def test_pattern_can_be_forced(tmp_path, pattern) -> None:
    """--pattern parallel / channel / wavefront plans with that pattern and says so."""
    out = tmp_path / "p.geojson"
    res = _run("coverage", "--area", str(POND), "--altitude", "60", "--swath-width", "60",
               "--station", "none", "--pattern", pattern, "--format", "geojson",
               "-o", str(out))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"coverage strategy: {pattern}" in res.output


def test_battery_from_energy_and_power(tmp_path) -> None:
    """--battery-wh with --power-w sets the endurance: a small battery makes more sorties."""
    counts = []
    for wh in ("600", "60"):
        res = _run("coverage", "--area", str(POND), "--altitude", "60", "--swath-width", "60",
                   "--station", "119.2990,29.0795", "--battery-wh", wh, "--power-w", "500",
                   "--speed", "10", "--format", "geojson",
                   "-o", str(tmp_path / "b.geojson"))  # fmt: skip
        assert res.exit_code == 0, res.output
        counts.append(json.loads((tmp_path / "b.geojson").read_text())["properties"]["sorties"])
    assert counts[1] > counts[0]


def test_missing_area_file_is_named(tmp_path) -> None:
    """An --area file that does not exist is named in the error."""
    res = _run("coverage", "--area", str(tmp_path / "none.geojson"), "--altitude", "60",
               "--swath-width", "60", "-o", str(tmp_path / "x.plan"))  # fmt: skip
    assert res.exit_code == 2
    assert "none.geojson: no such file" in res.output


def test_unreadable_area_file_is_named(tmp_path) -> None:
    """An --area file that is not a map layer is named, without a traceback."""
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    res = _run("coverage", "--area", str(bad), "--altitude", "60", "--swath-width", "60",
               "-o", str(tmp_path / "x.plan"))  # fmt: skip
    assert res.exit_code == 2
    assert "bad.geojson: cannot be read as a map layer" in res.output
    assert "Traceback" not in res.output


def _polygon_file(tmp_path: Path, ring: list[list[float]]) -> Path:
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    return path


def test_swapped_coordinates_are_refused_with_a_hint(tmp_path) -> None:
    """An area file written [latitude, longitude] is refused, naming the first bad pair and
    suggesting the swap; nothing is written."""
    ring = [[29.05, 119.18], [29.053, 119.18], [29.053, 119.183], [29.05, 119.183], [29.05, 119.18]]
    out = tmp_path / "x.plan"
    res = _run("coverage", "--area", str(_polygon_file(tmp_path, ring)), "--altitude", "60",
               "--swath-width", "60", "-o", str(out))  # fmt: skip
    assert res.exit_code == 2
    assert "(found 29.05, 119.18)" in res.output
    assert "swapped" in res.output
    assert not out.exists()


def test_a_crossed_outline_is_refused_naming_the_crossing(tmp_path) -> None:
    """A bow-tie outline (crossing itself) is refused as the API refuses it, naming where it
    crosses; nothing is written."""
    ring = [[119.18, 29.05], [119.183, 29.053], [119.183, 29.05], [119.18, 29.053], [119.18, 29.05]]
    out = tmp_path / "x.plan"
    res = _run("coverage", "--area", str(_polygon_file(tmp_path, ring)), "--altitude", "60",
               "--swath-width", "60", "--station", "none", "-o", str(out))  # fmt: skip
    assert res.exit_code == 2
    assert "Self-intersection[119.1815" in res.output
    assert "Fix Geometries" in res.output
    assert not out.exists()


def test_tour_over_the_longyou_site(tmp_path) -> None:
    """A hotspot tour over the shipped site writes a .plan with loiters and a preview."""
    out = tmp_path / "tour.plan"
    png = tmp_path / "tour.png"
    res = _run("tour", "--altitude", "80", "--format", "plan", "-o", str(out), "--png", str(png))
    assert res.exit_code == 0, res.output
    mission = qgc_plan.loads(out.read_text())
    assert sum(1 for it in mission.items if it.command == 19) >= 3
    assert "dropped" in res.output
    assert png.exists()


def test_shore_loops_and_offset_reach_the_planner(tmp_path) -> None:
    """`plan shore` flies the asked number of loops at the asked offset: two loops fly further."""
    lengths = []
    for loops in ("1", "2"):
        out = tmp_path / f"shore{loops}.geojson"
        res = _run("shore", "--area", str(POND), "--altitude", "50", "--loops", loops,
                   "--offset", "15", "--station", "none", "--format", "geojson",
                   "-o", str(out))  # fmt: skip
        assert res.exit_code == 0, res.output
        doc = json.loads(out.read_text())
        assert f"{loops} loop(s) at 15 m from the shore" in doc["properties"]["notes"]
        lengths.append(doc["properties"]["length_m"])
    assert lengths[1] > lengths[0]


def test_corridor_passes_follow_the_swath_width(tmp_path) -> None:
    """`plan corridor` along the area's centre line flies more passes when they are narrower."""
    passes = []
    for swath in ("20", "60"):
        out = tmp_path / f"corridor{swath}.geojson"
        res = _run("corridor", "--area", str(POND), "--altitude", "50", "--swath-width", swath,
                   "--station", "none", "--format", "geojson", "-o", str(out))  # fmt: skip
        assert res.exit_code == 0, res.output
        (note,) = [n for n in json.loads(out.read_text())["properties"]["notes"] if "pass" in n]
        passes.append(int(note.split()[0]))
    assert passes[0] > passes[1] >= 2


@pytest.mark.parametrize("command", ["coverage", "shore", "corridor", "tour"])
def test_every_subcommand_checks_the_shared_options(tmp_path, command) -> None:
    """The shared battery options are checked the same way by every plan subcommand."""
    res = _run(command, "--altitude", "60", "--swath-width", "60", "--battery-wh", "500",
               "-o", str(tmp_path / "x.plan"))  # fmt: skip
    assert res.exit_code == 2
    assert "--battery-wh and --power-w go together" in res.output
