"""The demo's three patrol plans, small enough to watch: request bodies for ``POST /api/plans``.

All three start and end at the site's station and stay within a few hundred metres of it, so at
1x a drone is in the air within seconds of its launch and each patrol takes a few minutes:

- a **shoreline** patrol: one loop 20 m inside the water's edge, over the reach within
  ``SHORE_HALF_M`` of the station;
- a **hotspot tour** of the high-priority hotspots a short battery (``TOUR_ENDURANCE_S``) reaches
  (the planner drops the far ones and says so in the plan's notes);
- a **coverage** patrol (lawnmower, 50 m swaths) of a square of open water ``COVER_HALF_M`` from
  its centre, placed where the water is at least ``COVER_DEPTH_M`` from the shore nearest the
  station.

Geometry is cut from the site's ``water_surface`` in its metric frame and sent as WGS84 GeoJSON.

>>> names = [body["name"] for body in demo_plan_bodies(_site())]
>>> names
['demo: shoreline', 'demo: hotspot tour', 'demo: open-water coverage']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shapely.geometry import Point, Polygon, box, mapping
from shapely.ops import nearest_points

if TYPE_CHECKING:
    from geodata.site import Site

SHORE_HALF_M = 500.0
COVER_HALF_M = 120.0
COVER_DEPTH_M = 150.0
TOUR_ENDURANCE_S = 600.0
WATER = "water_surface"


class DemoSiteError(ValueError):
    """The site has no water near its station to plan the demo's patrols over."""


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """One plan of the demo: its API body and when (seconds after setup) its schedule fires."""

    body: dict[str, Any]
    launch_after_s: float


#: The simulated drones fly their patrols at 10 m/s, and the demo splits sorties at 25 minutes
#: (not the planner's defaults for a 55-minute airframe), so patrols stay short to watch.
DEMO_AIRFRAME: dict[str, float] = {"speed_m_s": 10.0, "endurance_s": 1500.0}


def demo_plan_bodies(site: Site) -> list[dict[str, Any]]:
    """The ``POST /api/plans`` bodies of the shoreline, tour and coverage patrols."""
    from geodata.errors import GeodataError

    frame = site.frame
    try:
        water = site.area(WATER, local=True)
        station = frame.to_local(site.station)
    except GeodataError as exc:
        raise DemoSiteError(f"the site cannot host the demo: {exc}") from None
    reach = water.intersection(_square(station, SHORE_HALF_M))
    deep = water.buffer(-COVER_DEPTH_M)
    if reach.is_empty or deep.is_empty:
        raise DemoSiteError(
            f"no water within {SHORE_HALF_M:.0f} m of the station (or none {COVER_DEPTH_M:.0f} m "
            "from the shore) to plan the demo's patrols over"
        )
    centre = nearest_points(deep, station)[0]
    square = water.intersection(_square(centre, COVER_HALF_M))
    return [
        {
            "name": "demo: shoreline",
            "kind": "shore",
            "altitude_m": 40,
            "polygon": mapping(frame.to_wgs84(reach)),
            "offset_m": 20,
            "loops": 1,
            **DEMO_AIRFRAME,
        },
        {
            "name": "demo: hotspot tour",
            "kind": "tour",
            "altitude_m": 50,
            "endurance_s": TOUR_ENDURANCE_S,
            "loiter_s": 15,
            "min_priority": 4,
            "speed_m_s": DEMO_AIRFRAME["speed_m_s"],
        },
        {
            "name": "demo: open-water coverage",
            "kind": "coverage",
            "altitude_m": 40,
            "polygon": mapping(frame.to_wgs84(square)),
            "swath_width_m": 50,
            **DEMO_AIRFRAME,
        },
    ]


def demo_plans(site: Site) -> list[DemoPlan]:
    """The three plans with their launch offsets: shore and tour first, coverage last.

    >>> [round(p.launch_after_s) for p in demo_plans(_site())]
    [10, 16, 30]
    """
    offsets = (10.0, 16.0, 30.0)
    return [DemoPlan(b, t) for b, t in zip(demo_plan_bodies(site), offsets, strict=True)]


def _square(centre: Point, half_m: float) -> Polygon:
    return box(centre.x - half_m, centre.y - half_m, centre.x + half_m, centre.y + half_m)


def _site() -> Site:
    """The packaged Longyou site (for the doctests)."""
    from geodata.site import load_site

    return load_site(None)
