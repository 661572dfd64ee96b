"""routes.sizing: the swath, photo spacing and endurance every front end derives the same way."""

from __future__ import annotations

import math

import pytest

from routes.errors import PlanningError
from routes.sizing import Camera, endurance_from_energy


@pytest.mark.parametrize("altitude_m", [20.0, 60.0, 120.0])
def test_swath_and_photo_spacing_grow_with_the_altitude(altitude_m: float) -> None:
    """The footprint is 2 h tan(hfov / 2); the swath and photo spacing keep (1 - overlap) of its
    width and of its height (three quarters of the width) at any altitude."""
    cam = Camera(hfov_deg=90, overlap_frac=0.25)
    assert cam.footprint_m(altitude_m) == pytest.approx(2 * altitude_m)
    assert cam.swath_m(altitude_m) == pytest.approx(1.5 * altitude_m)
    assert cam.photo_spacing_m(altitude_m) == pytest.approx(0.75 * 1.5 * altitude_m)


def test_no_overlap_gives_the_whole_footprint() -> None:
    """Without overlap, passes lie a footprint apart and photos a footprint's height apart."""
    cam = Camera(hfov_deg=60, overlap_frac=0.0)
    footprint = 2 * 100 * math.tan(math.radians(30))
    assert cam.swath_m(100) == pytest.approx(footprint)
    assert cam.photo_spacing_m(100) == pytest.approx(0.75 * footprint)


@pytest.mark.parametrize(
    ("hfov_deg", "overlap_frac", "altitude_m", "match"),
    [
        (0.0, 0.2, 60.0, "field of view"),
        (180.0, 0.2, 60.0, "field of view"),
        (84.0, 1.0, 60.0, "overlap"),
        (84.0, -0.1, 60.0, "overlap"),
        (84.0, 0.2, 0.0, "altitude"),
    ],
)
def test_an_impossible_camera_is_a_planning_error(
    hfov_deg: float, overlap_frac: float, altitude_m: float, match: str
) -> None:
    """A field of view outside (0, 180), an overlap outside [0, 1) or no altitude is refused."""
    with pytest.raises(PlanningError, match=match):
        Camera(hfov_deg, overlap_frac).swath_m(altitude_m)


def test_endurance_is_energy_over_power() -> None:
    """500 Wh drawn at 600 W last 50 minutes; no energy or no power is refused with both."""
    assert endurance_from_energy(500, 600) == pytest.approx(3000.0)
    with pytest.raises(PlanningError) as err:
        endurance_from_energy(0, 600)
    assert err.value.details == {"capacity_wh": 0, "power_w": 600}
