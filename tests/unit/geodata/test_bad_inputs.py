"""Each bad input gets its own error class and a message naming file, layer, feature, field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geodata import validate
from geodata.errors import (
    GeodataError,
    GeometryError,
    LayerError,
    SiteConsistencyError,
    SiteFileError,
)
from geodata.site import load_site


def test_bowtie_with_equal_lobes_is_rejected(bad: Path) -> None:
    """A figure-of-eight whose repair would change its area completely is refused."""
    with pytest.raises(GeometryError) as err:
        load_site(bad / "bowtie.geojson", layer="patrol_areas")
    assert err.value.layer == "patrol_areas"
    assert err.value.feature == 0
    assert str(err.value.path).endswith("bowtie.geojson")
    assert "Self-intersection" in str(err.value)
    assert "change its area by 100%" in str(err.value)


def test_small_self_intersection_is_repaired_with_a_warning(bad: Path) -> None:
    """A small crossed loop is repaired with make_valid and reported as a warning."""
    site = load_site(bad / "small_twist.geojson", layer="patrol_areas")
    geom = site.layers["patrol_areas"].geometry.iloc[0]
    assert geom.is_valid
    warnings = [w for w in site.warnings if w.level == "warning"]
    assert len(warnings) == 1
    assert warnings[0].layer == "patrol_areas"
    assert warnings[0].feature == 0
    assert "repaired with make_valid" in warnings[0].message


def test_repair_that_leaves_nothing_is_rejected(tmp_path: Path) -> None:
    """A polygon collapsed to a line has nothing left after repair and is refused."""
    flat = [[[119.1, 29.0], [119.2, 29.0], [119.15, 29.0], [119.1, 29.0]]]
    path = tmp_path / "patrol_areas.geojson"
    _write(path, [_feature({"name": "flat"}, "Polygon", flat)])
    with pytest.raises(GeometryError, match="repair leaves nothing"):
        load_site(path)


def test_projected_coordinates_are_rejected(bad: Path) -> None:
    """UTM metres in a GeoJSON file are recognised as not lon/lat."""
    with pytest.raises(LayerError, match="not lon/lat") as err:
        load_site(bad / "projected.geojson", layer="patrol_areas")
    assert err.value.feature == 0
    assert "x=714000" in str(err.value)


def test_wrong_geometry_type_is_rejected(bad: Path) -> None:
    """A LineString in the no-fly layer is refused, naming the feature and the types allowed."""
    with pytest.raises(LayerError, match="wrong geometry type LineString") as err:
        load_site(bad / "wrong_type.geojson", layer="no_fly_zones")
    assert err.value.layer == "no_fly_zones"
    assert err.value.feature == 1
    assert "Polygon" in str(err.value)


def test_missing_property_names_feature_and_field(bad: Path) -> None:
    """A no-fly zone without a restriction is refused with feature index and field."""
    with pytest.raises(LayerError) as err:
        load_site(bad / "missing_property.geojson")
    assert (err.value.layer, err.value.feature, err.value.field) == (
        "no_fly_zones",
        1,
        "restriction",
    )
    assert "feature 1, field 'restriction': missing required property" in str(err.value)


def test_missing_column_names_the_field(tmp_path: Path) -> None:
    """A points layer with no category property at all names the field, not a feature."""
    path = tmp_path / "points_of_interest.geojson"
    _write(path, [_feature({"name": "a"}, "Point", [119.1, 29.0])])
    with pytest.raises(LayerError, match="field 'category': missing required property") as err:
        load_site(path)
    assert err.value.feature is None


def test_empty_layer_is_rejected(bad: Path) -> None:
    """A layer file with no features is refused."""
    with pytest.raises(LayerError, match="layer is empty") as err:
        load_site(bad / "empty.geojson")
    assert err.value.layer == "points_of_interest"


def test_station_inside_hard_no_fly_is_rejected(bad: Path) -> None:
    """A launch station inside a hard no-fly zone is a consistency error naming the zone."""
    with pytest.raises(SiteConsistencyError, match="inside hard no-fly zone airport") as err:
        load_site(bad / "station_in_no_fly")
    assert (err.value.layer, err.value.feature) == ("stations", 0)
    assert str(err.value.path).endswith("stations.geojson")


def test_patrol_area_inside_no_fly_is_rejected(bad: Path) -> None:
    """A patrol area covered by two hard no-fly zones together is a consistency error."""
    with pytest.raises(SiteConsistencyError, match="entirely inside hard no-fly zones") as err:
        load_site(bad / "area_in_no_fly")
    assert (err.value.layer, err.value.feature) == ("patrol_areas", 0)


def test_area_inside_restricted_zone_is_only_a_warning(tmp_path: Path, bad: Path) -> None:
    """A patrol area covered by a restricted zone loads, with a warning about approvals."""
    nfz = json.loads((bad / "area_in_no_fly" / "no_fly_zones.geojson").read_text())
    for f in nfz["features"]:
        f["properties"]["restriction"] = "restricted_crowd_overflight"
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    for name in ("patrol_areas", "stations"):
        src = bad / "area_in_no_fly" / f"{name}.geojson"
        (site_dir / src.name).write_text(src.read_text())
    (site_dir / "no_fly_zones.geojson").write_text(json.dumps(nfz))
    site = load_site(site_dir)
    assert any("every patrol needs approval" in w.message for w in site.warnings)


def test_unreadable_file_is_a_file_error(bad: Path) -> None:
    """A truncated GeoJSON file is reported as unreadable, naming the file."""
    with pytest.raises(
        SiteFileError, match=r"not_geojson.geojson: layer patrol_areas: cannot read"
    ):
        load_site(bad / "not_geojson.geojson", layer="patrol_areas")


def test_missing_path_is_a_file_error(tmp_path: Path) -> None:
    """A path that does not exist is reported as such."""
    with pytest.raises(SiteFileError, match="no such file or folder"):
        load_site(tmp_path / "nowhere")


def test_file_of_unknown_layer_needs_layer_option(tmp_path: Path) -> None:
    """A file whose name and content say nothing about its layer asks for --layer."""
    path = tmp_path / "mystery.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_feature({"name": "a"}, "Point", [119.1, 29.0])],
            }
        )
    )
    with pytest.raises(SiteFileError, match="pass --layer"):
        load_site(path)


def test_unknown_layer_option_is_rejected(bad: Path) -> None:
    """--layer must be one of the five layer names."""
    with pytest.raises(LayerError, match="unknown layer name"):
        load_site(bad / "bowtie.geojson", layer="rivers")


def test_folder_without_patrol_areas_is_rejected(tmp_path: Path, bad: Path) -> None:
    """A site folder needs a patrol_areas layer."""
    for name in ("no_fly_zones", "stations"):
        src = bad / "station_in_no_fly" / f"{name}.geojson"
        (tmp_path / src.name).write_text(src.read_text())
    with pytest.raises(LayerError, match="no patrol_areas layer"):
        load_site(tmp_path)


@pytest.mark.parametrize(
    ("props", "field", "message"),
    [
        ({"restriction": "forbidden"}, "restriction", "unknown restriction 'forbidden'"),
        (
            {"restriction": "no_fly", "min_alt_m": 120, "max_alt_m": 60},
            "max_alt_m",
            "band is empty",
        ),
        ({"restriction": "no_fly", "max_alt_m": "high"}, "max_alt_m", "not a number"),
    ],
)
def test_bad_no_fly_values(
    tmp_path: Path, props: dict[str, object], field: str, message: str
) -> None:
    """Unknown restrictions and bad altitude bands are refused naming the field."""
    path = tmp_path / "no_fly_zones.geojson"
    square = [[[119.1, 29.0], [119.2, 29.0], [119.2, 29.1], [119.1, 29.0]]]
    _write(path, [_feature({"name": "z", **props}, "Polygon", square)])
    with pytest.raises(LayerError, match=message) as err:
        load_site(path)
    assert (err.value.feature, err.value.field) == (0, field)


@pytest.mark.parametrize("priority", [0, 6, 2.5, "urgent"])
def test_bad_priority_is_rejected(tmp_path: Path, priority: object) -> None:
    """A priority outside the integers 1..5 is refused."""
    path = tmp_path / "points_of_interest.geojson"
    props = {"name": "a", "category": "fishing_spot", "priority": priority}
    _write(path, [_feature(props, "Point", [119.1, 29.0])])
    with pytest.raises(LayerError, match=r"priority must be an integer 1\.\.5"):
        load_site(path)


def test_errors_share_one_base() -> None:
    """Every geodata error is a GeodataError, so callers can catch one type."""
    for cls in (SiteFileError, LayerError, GeometryError, SiteConsistencyError):
        assert issubclass(cls, GeodataError)


def test_huge_polygon_is_simplified_with_a_warning(tmp_path: Path) -> None:
    """A patrol area above the vertex limit is simplified below it, with a warning."""
    path = tmp_path / "patrol_areas.geojson"
    n = validate.MAX_FEATURE_VERTICES * 2
    _write(path, [_feature({"name": "huge"}, "Polygon", _wiggly_ring(n))])
    site = load_site(path)
    geom = site.layers["patrol_areas"].geometry.iloc[0]
    assert geom.is_valid
    assert len(geom.exterior.coords) <= validate.MAX_FEATURE_VERTICES
    (warning,) = [w for w in site.warnings if w.level == "warning"]
    assert f"simplified from {n + 1:,}" in warning.message
    original = site.frame.to_local(_ring_polygon(n)).area
    assert site.area("huge").area == pytest.approx(original, rel=0.01)


def test_layer_over_the_refusal_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A layer with more vertices than the station accepts is refused with a message."""
    monkeypatch.setattr(validate, "MAX_LAYER_VERTICES", 10_000)
    path = tmp_path / "patrol_areas.geojson"
    _write(path, [_feature({"name": "huge"}, "Polygon", _wiggly_ring(20_000))])
    with pytest.raises(LayerError, match="20,001 vertices, more than the 10,000"):
        load_site(path)


def _wiggly_ring(n: int) -> list[list[list[float]]]:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    r = 0.05 * (1.0 + 0.02 * np.sin(t * 97.0))
    ring = np.column_stack([119.18 + r * np.cos(t), 29.05 + r * np.sin(t)])
    ring = np.vstack([ring, ring[:1]])
    return [ring.round(7).tolist()]


def _ring_polygon(n: int):
    from shapely.geometry import Polygon

    return Polygon(_wiggly_ring(n)[0])


def _feature(props: dict[str, object], gtype: str, coords: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": gtype, "coordinates": coords},
    }


def _write(path: Path, features: list[dict[str, object]]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def test_swapped_lat_lon_gets_its_own_hint(tmp_path: Path) -> None:
    """[lat, lon] points are rejected with a hint that the axes are swapped."""
    path = tmp_path / "stations.geojson"
    _write(path, [_feature({"name": "s"}, "Point", [29.05, 119.18])])
    with pytest.raises(LayerError, match="latitude and longitude swapped"):
        load_site(path)


def test_feature_without_geometry_is_rejected(tmp_path: Path) -> None:
    """A feature whose geometry is null is refused, naming its index."""
    path = tmp_path / "points_of_interest.geojson"
    ok = _feature({"name": "a", "category": "landmark"}, "Point", [119.1, 29.0])
    null: dict[str, object] = {
        "type": "Feature",
        "properties": {"name": "b", "category": "landmark"},
        "geometry": None,
    }
    _write(path, [ok, null])
    with pytest.raises(LayerError, match="feature has no geometry") as err:
        load_site(path)
    assert err.value.feature == 1


def test_duplicate_patrol_area_names_warn(tmp_path: Path) -> None:
    """Two patrol areas with the same name load, with a warning that area() takes the first."""
    path = tmp_path / "patrol_areas.geojson"
    square = [[[119.1, 29.0], [119.2, 29.0], [119.2, 29.1], [119.1, 29.0]]]
    _write(path, [_feature({"name": "reach"}, "Polygon", square)] * 2)
    site = load_site(path)
    (warning,) = [w for w in site.warnings if w.level == "warning"]
    assert (warning.feature, warning.field) == (1, "name")
    assert "same name 'reach' as feature 0: area() returns the first" in warning.message


def test_feature_that_cannot_be_simplified_enough_is_refused(tmp_path: Path, monkeypatch) -> None:
    """Many tiny parts no tolerance can merge are refused instead of simplified forever."""
    monkeypatch.setattr(validate, "MAX_FEATURE_VERTICES", 200)
    parts = []
    for k in range(60):  # 60 squares of ~10 m, 5 vertices each: 300 vertices
        x, y = 119.1 + k * 0.001, 29.0
        parts.append([[[x, y], [x + 1e-4, y], [x + 1e-4, y + 1e-4], [x, y + 1e-4], [x, y]]])
    path = tmp_path / "patrol_areas.geojson"
    _write(path, [_feature({"name": "dust"}, "MultiPolygon", parts)])
    with pytest.raises(LayerError, match=r"300 vertices and still \d{3} after .* 64 m") as err:
        load_site(path)
    assert err.value.feature == 0


def test_self_intersection_in_a_huge_outline_is_not_hidden_by_simplifying(
    tmp_path: Path, monkeypatch
) -> None:
    """A small crossing in an outline that is simplified is still repaired and reported.

    Simplifying first (as before) smoothed two swapped vertices away and the crossing in the
    outline as drawn passed silently.
    """
    monkeypatch.setattr(validate, "MAX_FEATURE_VERTICES", 2_000)
    ring = np.array(_wiggly_ring(20_000)[0])
    k = 6_000
    ring[[k, k + 8]] = ring[[k + 8, k]]  # two vertices 8 apart swapped: a small crossed loop
    path = tmp_path / "patrol_areas.geojson"
    _write(path, [_feature({"name": "huge"}, "Polygon", [ring.tolist()])])
    site = load_site(path)
    messages = [w.message for w in site.warnings if w.level == "warning"]
    assert len(messages) == 2, messages
    assert messages[0].startswith("invalid geometry (Self-intersection")
    assert "repaired with make_valid" in messages[0]
    assert messages[1].startswith("simplified from 20,0")
    assert site.layers["patrol_areas"].geometry.iloc[0].is_valid
