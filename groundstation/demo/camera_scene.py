"""What the demo's simulated cameras see: the site's water and things an eco-police drone looks
for, placed around the launch station so the demo's patrols fly over them.

Written as a GeoJSON file (the water polygon in lon/lat plus ``scene_objects``) that
``simulator.camera.scene.Scene.from_geojson`` reads: a dredger and its discharge plume off the
shore nearest the station, a boat and a boat with nets a little further out, two people on the
shore by the station.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from shapely.geometry import Point, mapping
from shapely.ops import nearest_points

from geodata.site import Site
from groundstation.demo.plans import WATER

#: (kind, metres from the shore point nearest the station toward open water, metres along it,
#: heading offset from that direction)
OBJECTS = (
    ("dredger", 60.0, 0.0, 0.0),  # its pipe back to the shore
    ("plume", 8.0, 25.0, 0.0),
    ("boat", 110.0, -40.0, 30.0),
    ("net_boat", 150.0, 50.0, 100.0),
)


def scene_geojson(site: Site) -> dict[str, Any]:
    """The scene of `site` (see the module docstring)."""
    frame = site.frame
    water = site.area(WATER, local=True)
    station = frame.to_local(site.station)
    shore = nearest_points(water.boundary, station)[0]
    dx, dy = shore.x - station.x, shore.y - station.y  # on from the station: out over the water
    norm = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / norm, dy / norm  # toward open water (x east, y north)
    heading = math.degrees(math.atan2(ux, uy))
    objects: list[dict[str, float | str]] = []
    for kind, out_m, along_m, turn in OBJECTS:
        p = Point(shore.x + ux * out_m - uy * along_m, shore.y + uy * out_m + ux * along_m)
        q = frame.to_wgs84(p)
        objects.append({"kind": kind, "lat": q.y, "lon": q.x, "heading": (heading + turn) % 360})
    for along in (-6.0, 5.0):  # on land, just behind the shore
        p = Point(shore.x - ux * 4 - uy * along, shore.y - uy * 4 + ux * along)
        q = frame.to_wgs84(p)
        objects.append({"kind": "person", "lat": q.y, "lon": q.x, "heading": 0.0})
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"layer": WATER},
                "geometry": mapping(site.area(WATER, local=False)),
            }
        ],
        "scene_objects": objects,
    }


def write_scene(site: Site, path: Path) -> Path:
    path.write_text(json.dumps(scene_geojson(site)), encoding="utf-8")
    return path
