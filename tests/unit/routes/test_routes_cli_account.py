"""`ecopatrol plan coverage --area FILE`: the site's no-fly zones are applied to any area, and
the console and the files say what they took away, what was covered of what was asked, and how
far the path flew outside the area (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from typer.testing import CliRunner

from geodata.crs import LocalFrame
from geodata.site import load_site
from groundstation.cli.main import app

#: 5 km of the Qu river; its west end lies in the Quzhou airport no-fly zone, and power line
#: HV-1's keep-out corridor crosses it 600 m from its east end
REACH = Path(__file__).parents[2] / "data" / "routes" / "airport_reach.geojson"
AIRPORT = "Quzhou Airport clearance-protection zone"
runner = CliRunner()


def _reach_and_frame() -> tuple[shapely.Polygon, LocalFrame]:
    wgs = shape(json.loads(REACH.read_text())["features"][0]["geometry"])
    frame = LocalFrame.for_geometry(wgs)
    local = frame.to_local(wgs)
    assert isinstance(local, shapely.Polygon)
    return local, frame


def test_area_crossing_a_site_no_fly_zone_says_what_was_removed_and_covered(tmp_path) -> None:
    """The console names the airport zone and the power line with the area each took, gives the
    covered share of the requested area next to that of the planned one, and counts the
    transit flown over land round the power line's corridor; the GeoJSON carries the same."""
    out = tmp_path / "reach.geojson"
    res = runner.invoke(app, ["plan", "coverage", "--area", str(REACH), "--altitude", "60",
                              "--swath-width", "150", "--station", "none", "--format", "geojson",
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    area, frame = _reach_and_frame()
    site = load_site()
    zones = site.layer("no_fly_zones", local=False)
    airport = zones[zones["name"].str.contains(AIRPORT)].geometry.iloc[0]
    taken = area.intersection(frame.to_local(airport).buffer(5)).area  # 5 m clearance kept

    doc = json.loads(out.read_text())
    acc = doc["properties"]["account"]
    assert acc["requested_m2"] == pytest.approx(area.area, rel=1e-3)
    removed = {z["name"]: z for z in acc["removed"]}
    (name,) = [n for n in removed if AIRPORT in n]
    assert removed[name]["area_m2"] == pytest.approx(taken, rel=0.01)
    assert removed[name]["restriction"] == "no-fly"
    assert any("HV-1" in n and z["restriction"] == "keep-out" for n, z in removed.items())
    assert acc["planned_m2"] == pytest.approx(acc["requested_m2"] - acc["removed_m2"], abs=2)
    assert acc["removed_m2"] > 0.3 * acc["requested_m2"]  # about 39 %
    assert acc["covered_planned_frac"] >= 0.995
    assert acc["covered_requested_frac"] < 0.7

    # the transit legs' length outside the outline, measured here from the file
    transits = [frame.to_local(shape(f["geometry"])) for f in doc["features"]
                if f["properties"].get("kind") == "transit"]  # fmt: skip
    over_land = sum(t.difference(area.buffer(0.5)).length for t in transits)
    assert over_land > 1000  # round the 5 km power-line corridor
    assert acc["outside_requested_m"]["transit"] == pytest.approx(over_land, rel=0.01)
    assert acc["outside_requested_m"]["station"] == 0.0
    # passes are flown over the water: only the transits leave it (a loop spliced between two
    # gap passes hopped 1.3 km over land inside a sweep before it was flown on to the second)
    assert acc["outside_requested_m"]["other"] == pytest.approx(0.0, abs=1.0)

    text = res.output
    assert f"{acc['removed_m2'] / 1e6:.3f} km²" in text
    assert f"{AIRPORT} - APPROXIMATE (no-fly): {taken / 1e6:.3f} km²" in text
    covered = f"{acc['covered_planned_frac'] * 100:.2f} % of the planned area, "
    assert covered + f"{acc['covered_requested_frac'] * 100:.2f} % of the requested" in text
    assert f"{over_land / 1000:.2f} km in transit between its parts" in text
    assert "WARNING: no-fly and restricted zones removed" in text
    assert any(AIRPORT in n for n in doc["properties"]["notes"])


def test_mission_file_carries_the_account_as_comments(tmp_path) -> None:
    """A .plan keeps the account in a `comments` list QGC ignores; the ways to and from the
    station are counted apart from transits; the mission still loads."""
    from routes.formats import qgc_plan

    out = tmp_path / "reach.plan"
    res = runner.invoke(app, ["plan", "coverage", "--area", str(REACH), "--altitude", "60",
                              "--swath-width", "150", "--restricted", "cross", "--format", "plan",
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    files = [out] if out.exists() else sorted(tmp_path.glob("reach_s*.plan"))
    doc = json.loads(files[0].read_text())
    comments = "\n".join(doc["comments"])
    assert AIRPORT in comments
    assert "of the requested" in comments
    assert "km to and from the station" in comments
    assert qgc_plan.from_plan(doc).items
    # the station is 4 km east of the reach: its ways there and back are outside it
    line = next(ln for ln in res.output.splitlines() if "outside the requested area" in ln)
    station_km = float(line.split(" in transit between its parts, ")[1].split(" km")[0])
    assert station_km > 2 * 3.0


def test_an_area_far_from_the_site_is_warned_about_by_name(tmp_path) -> None:
    """An area file outside the loaded site's patrol areas plans, with a warning naming the site
    on the console and in the file."""
    sea = tmp_path / "sea.geojson"
    ring = [[122.0, 29.0], [122.01, 29.0], [122.01, 29.01], [122.0, 29.01], [122.0, 29.0]]
    sea.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    out = tmp_path / "sea_plan.geojson"
    res = runner.invoke(app, ["plan", "coverage", "--area", str(sea), "--altitude", "60",
                              "--swath-width", "200", "--station", "none", "--format", "geojson",
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "warning: 100 % of the area lies outside the patrol areas of the site 'longyou'" in (
        res.output
    )
    notes = json.loads(out.read_text())["properties"]["notes"]
    assert any("site 'longyou'" in n for n in notes)
    assert "no no-fly or restricted zone removed any of it" in res.output


def test_an_area_inside_the_site_is_not_warned_about(tmp_path) -> None:
    """An area in the site's patrol areas gets no warning about the site."""
    out = tmp_path / "pond.geojson"
    pond = Path(__file__).parents[2] / "data" / "routes" / "pond.geojson"
    res = runner.invoke(app, ["plan", "coverage", "--area", str(pond), "--altitude", "60",
                              "--swath-width", "60", "--station", "none", "--format", "geojson",
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "lies outside the patrol areas" not in res.output
