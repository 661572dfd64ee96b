"""`ecopatrol geodata check` and `show`: tables, JSON, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from geodata.cli import app

runner = CliRunner()


def test_check_shipped_site_prints_the_layer_table() -> None:
    """With no PATH, check loads the shipped site and prints every layer with its area."""
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    for name in ("patrol_areas", "no_fly_zones", "points_of_interest", "hotspot_zones", "stations"):
        assert name in result.output
    assert "83.768" in result.output
    assert "EPSG:32650" in result.output
    assert "launch station" in result.output


def test_check_json_is_machine_readable() -> None:
    """--json prints one JSON document with layers, patrol areas, station and warnings."""
    result = runner.invoke(app, ["check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["crs"] == {"wgs84": "EPSG:4326", "local": "EPSG:32650"}
    areas = {a["zone_id"]: a["area_km2"] for a in data["patrol_areas"]}
    assert areas["water_surface"] == 8.194
    counts = {row["layer"]: row["features"] for row in data["layers"]}
    assert counts["points_of_interest"] == 27
    assert data["station"]["lon"] == 119.181841


def test_check_bad_file_exits_nonzero_with_a_message(bad: Path) -> None:
    """A bad file ends with exit code 1 and a one-line message, not a traceback."""
    result = runner.invoke(app, ["check", str(bad / "missing_property.geojson")])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "feature 1, field 'restriction': missing required property" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_bad_file_json_reports_the_error(bad: Path) -> None:
    """--json on a bad file prints the error as data and exits 1."""
    result = runner.invoke(
        app, ["check", str(bad / "bowtie.geojson"), "--layer", "patrol_areas", "--json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["error"]["error"] == "GeometryError"
    assert data["error"]["feature"] == 0


def test_check_repaired_file_lists_the_warning(bad: Path) -> None:
    """A repaired geometry loads (exit 0) and its warning is printed."""
    result = runner.invoke(
        app, ["check", str(bad / "small_twist.geojson"), "--layer", "patrol_areas"]
    )
    assert result.exit_code == 0, result.output
    assert "repaired with make_valid" in result.output


def test_show_writes_a_png(bad: Path, tmp_path: Path) -> None:
    """show draws a site to a PNG file."""
    out = tmp_path / "map.png"
    result = runner.invoke(
        app,
        ["show", str(bad / "small_twist.geojson"), "--layer", "patrol_areas", "--png", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_unwritable_target_is_a_message(tmp_path: Path) -> None:
    """A PNG path in a missing folder gives an error message and exit 1."""
    result = runner.invoke(app, ["show", "--png", str(tmp_path / "no" / "such" / "map.png")])
    assert result.exit_code == 1
    assert "cannot write" in result.output


def test_registered_under_ecopatrol() -> None:
    """The root `ecopatrol` command exposes the sub-app as `geodata`."""
    from groundstation.cli.main import app as root

    result = runner.invoke(root, ["geodata", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["site"] == "longyou"


def test_check_reports_every_failing_layer(bad: Path, tmp_path: Path) -> None:
    """check lists one error per bad layer of a folder, not just the first."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "patrol_areas.geojson").write_text((bad / "projected.geojson").read_text())
    (site / "no_fly_zones.geojson").write_text((bad / "missing_property.geojson").read_text())
    result = runner.invoke(app, ["check", str(site), "--json"])
    assert result.exit_code == 1
    errors = json.loads(result.output)["errors"]
    assert sorted((e["layer"], e["error"]) for e in errors) == [
        ("no_fly_zones", "LayerError"),
        ("patrol_areas", "LayerError"),
    ]
    text = runner.invoke(app, ["check", str(site)])
    assert text.output.count("error:") == 2
