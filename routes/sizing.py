"""A plan's figures from the airframe's: the swath and photo spacing from the camera, the
endurance from the battery's energy.

Every front end (the command line, the station's API, the scheduler) derives them here, so the
same camera over the same altitude gives the same passes whichever asked.

>>> cam = Camera(hfov_deg=84, overlap_frac=0.2)
>>> round(cam.footprint_m(80), 1), round(cam.swath_m(80), 1), round(cam.photo_spacing_m(80), 1)
(144.1, 115.3, 86.4)
>>> endurance_from_energy(548, 600)
3288.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from routes.constraints import swath_from_camera
from routes.errors import PlanningError

#: the sensor's height over its width, as the photo spacing assumes (most survey cameras: 4:3)
SENSOR_HEIGHT_FRAC = 0.75


@dataclass(frozen=True, slots=True)
class Camera:
    """A nadir camera: horizontal field of view, and the overlap kept between photos, both side
    (between passes) and front (along a pass)."""

    hfov_deg: float
    overlap_frac: float
    height_frac: float = SENSOR_HEIGHT_FRAC

    def footprint_m(self, altitude_m: float) -> float:
        """The ground width one photo covers across the track (no overlap taken off)."""
        return 2 * altitude_m * math.tan(math.radians(self.hfov_deg) / 2)

    def swath_m(self, altitude_m: float) -> float:
        """The distance between passes: the footprint less the side overlap.

        >>> Camera(hfov_deg=180, overlap_frac=0.2).swath_m(80)
        Traceback (most recent call last):
        routes.errors.PlanningError: camera field of view must be in (0, 180) degrees, got 180
        """
        return swath_from_camera(altitude_m, self.hfov_deg, self.overlap_frac)

    def photo_spacing_m(self, altitude_m: float) -> float:
        """The distance between photos along a pass: the footprint's height (the sensor's short
        side along the track) less the same overlap in front."""
        return self.height_frac * self.footprint_m(altitude_m) * (1 - self.overlap_frac)


def endurance_from_energy(capacity_wh: float, power_w: float) -> float:
    """Seconds of flight on ``capacity_wh`` drawing ``power_w`` in cruise.

    >>> endurance_from_energy(100, 0)
    Traceback (most recent call last):
    routes.errors.PlanningError: battery energy and cruise power must be positive, got 100 Wh, 0 W
    """
    if not (capacity_wh > 0 and power_w > 0):
        raise PlanningError(
            f"battery energy and cruise power must be positive, got {capacity_wh:g} Wh, "
            f"{power_w:g} W",
            capacity_wh=capacity_wh,
            power_w=power_w,
        )
    return capacity_wh / power_w * 3600.0
