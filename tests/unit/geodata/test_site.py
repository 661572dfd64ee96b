"""The shipped Longyou site: layers, normalised columns, areas, station and no-fly helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from geodata.errors import LayerError
from geodata.site import LAYERS, Site

# Areas from geodata/data/longyou/README.md (km², computed in EPSG:32650).
README_AREAS_KM2 = {"water_surface": 8.19, "patrol_zone": 83.77, "shore_band": 75.574}


def test_shipped_site_has_every_layer(longyou: Site) -> None:
    """The shipped site loads with all five layers in WGS84 and its UTM 50N frame."""
    assert longyou.name == "longyou"
    assert tuple(longyou.layers) == LAYERS
    assert longyou.frame.epsg == 32650
    for name in LAYERS:
        assert longyou.layers[name].crs.to_epsg() == 4326
    counts = {name: len(gdf) for name, gdf in longyou.layers.items()}
    assert counts == {
        "patrol_areas": 3,
        "no_fly_zones": 6,
        "points_of_interest": 27,
        "hotspot_zones": 8,
        "stations": 1,
    }


def test_shipped_site_loads_without_warnings(longyou: Site) -> None:
    """The shipped data is valid: nothing repaired, only the ignored centre-line file noted."""
    assert [w for w in longyou.warnings if w.level == "warning"] == []
    assert any("qu_river_centerline" in str(w) for w in longyou.warnings)


@pytest.mark.parametrize(("zone_id", "km2"), sorted(README_AREAS_KM2.items()))
def test_areas_match_the_data_readme(longyou: Site, zone_id: str, km2: float) -> None:
    """Each patrol area's area in metres matches the data README within 0.5%."""
    assert longyou.area(zone_id).area / 1e6 == pytest.approx(km2, rel=0.005)


def test_area_by_name_equals_area_by_zone_id(longyou: Site) -> None:
    """A patrol area can be asked for by its name as well as by its zone id."""
    name = longyou.layers["patrol_areas"].set_index("zone_id").loc["water_surface", "name"]
    assert longyou.area(name).equals(longyou.area("water_surface"))


def test_area_in_wgs84_is_degrees(longyou: Site) -> None:
    """local=False returns the patrol area in lon/lat around Longyou."""
    geom = longyou.area("patrol_zone", local=False)
    assert isinstance(geom, Polygon | MultiPolygon)
    minx, miny, maxx, maxy = geom.bounds
    assert 118.9 < minx < maxx < 119.5
    assert 28.9 < miny < maxy < 29.2


def test_unknown_area_names_the_known_ones(longyou: Site) -> None:
    """Asking for a patrol area that does not exist lists the zone ids that do."""
    with pytest.raises(LayerError, match=r"no patrol area 'lake'.*water_surface"):
        longyou.area("lake")


def test_patrol_area_kinds(longyou: Site) -> None:
    """Zone ids map to the normalised kinds water, patrol_zone and shore."""
    areas = longyou.layers["patrol_areas"]
    kinds = dict(zip(areas["zone_id"], areas["kind"], strict=True))
    assert kinds == {"water_surface": "water", "patrol_zone": "patrol_zone", "shore_band": "shore"}


def test_station_is_the_patrol_station_poi(longyou: Site) -> None:
    """The default launch station is the point of interest with category patrol_station."""
    pois = longyou.layers["points_of_interest"]
    poi = pois[pois["category"] == "patrol_station"].geometry.iloc[0]
    assert isinstance(longyou.station, Point)
    assert longyou.station.equals(poi)
    assert longyou.layers["stations"]["synthetic"].all()


def test_restrictions_are_normalised_and_raw_kept(longyou: Site) -> None:
    """Raw Longyou restrictions map to no_fly / restricted / keep_out; the raw value is kept."""
    nfz = longyou.layers["no_fly_zones"]
    pairs = set(zip(nfz["restriction_raw"], nfz["restriction"], strict=True))
    assert pairs == {
        ("no_fly_without_ATC_approval", "no_fly"),
        ("restricted_crowd_overflight", "restricted"),
        ("keep_out_50m", "keep_out"),
    }


def test_no_fly_hard_only_unless_restricted_asked(longyou: Site) -> None:
    """no_fly() gives the two hard airport polygons; include_restricted adds towns and lines."""
    hard = longyou.no_fly()
    everything = longyou.no_fly(include_restricted=True)
    assert len(hard) == 2
    assert len(everything) == 6
    assert all(isinstance(p, Polygon) for p in everything)
    # In metres: the airport clearance zone is about 850 km².
    assert max(p.area for p in hard) / 1e6 == pytest.approx(850.0, rel=0.005)
    assert max(p.area for p in longyou.no_fly(local=False)) < 1.0  # degrees²


def test_poi_priorities_default_by_category(longyou: Site) -> None:
    """Points without a priority get the category default: drowning 5, outfall 4, fishing 3."""
    pois = longyou.layers["points_of_interest"]
    by_cat = pois.groupby("category")["priority"].agg(set).to_dict()
    assert by_cat["swimming_drowning_risk"] == {5}
    assert by_cat["river_outfall"] == {4}
    assert by_cat["fishing_spot"] == {3}
    assert by_cat["forest_fire_risk"] == {4}
    assert by_cat["settlement"] == {1}
    assert str(pois["priority"].dtype) == "int64"


def test_every_feature_keeps_provenance(longyou: Site) -> None:
    """Every feature of every layer has data_status, synthetic and source."""
    for name, gdf in longyou.layers.items():
        assert {"data_status", "synthetic", "source"} <= set(gdf.columns), name
        assert gdf["data_status"].notna().all(), name
        assert gdf["synthetic"].dtype == bool, name
    pois = longyou.layers["points_of_interest"]
    real = pois[pois["data_status"] == "real"]
    assert len(real) == 3
    assert not real["synthetic"].any()
    assert (real["source"].str.len() > 0).all()


def test_local_layer_is_in_metres(longyou: Site) -> None:
    """layer(local=True) is in EPSG:32650 and leaves the WGS84 layer untouched."""
    local = longyou.layer("hotspot_zones", local=True)
    assert local.crs.to_epsg() == 32650
    assert local.geometry.iloc[0].centroid.x > 100_000
    assert longyou.layers["hotspot_zones"].crs.to_epsg() == 4326
    local.loc[0, "name"] = "changed"
    assert longyou.layer("hotspot_zones", local=True).loc[0, "name"] != "changed"


def test_unknown_layer_is_an_error(longyou: Site) -> None:
    """Asking for a layer that is not one of the five names them."""
    with pytest.raises(LayerError, match="unknown layer; expected one of patrol_areas"):
        longyou.layer("rivers")


def test_unknown_area_lists_names_when_no_zone_ids(bad: Path) -> None:
    """Without zone ids, the error for an unknown area lists the area names instead."""
    from geodata.site import load_site

    site = load_site(bad / "pilot_site.kml")
    with pytest.raises(LayerError, match="known: North bank reach"):
        site.area("south")
