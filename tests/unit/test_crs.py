"""The local metric frame: zone choice and round trips."""

import pytest
from shapely.geometry import Polygon

from geodata.crs import LocalFrame, utm_epsg_for


def test_longyou_is_utm_50n() -> None:
    """The Longyou station lies in UTM zone 50N."""
    assert utm_epsg_for(119.18, 29.05) == 32650


def test_round_trip_keeps_coordinates() -> None:
    """A polygon sent to metres and back keeps its coordinates to the micro-degree."""
    poly = Polygon([(119.1, 29.0), (119.2, 29.0), (119.2, 29.1), (119.1, 29.1)])
    frame = LocalFrame.for_geometry(poly)
    back = frame.to_wgs84(frame.to_local(poly))
    assert back.equals_exact(poly, tolerance=1e-7)


def test_local_area_is_metres() -> None:
    """A 0.01 x 0.01 degree square near Longyou is about 1.1 km by 0.97 km."""
    poly = Polygon([(119.1, 29.0), (119.11, 29.0), (119.11, 29.01), (119.1, 29.01)])
    local = LocalFrame.for_geometry(poly).to_local(poly)
    assert local.area == pytest.approx(1.112e3 * 0.973e3, rel=0.01)
