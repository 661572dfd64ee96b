"""GeoJSON (RFC 7946, WGS84 lon/lat) for a plan: its LineStrings, in order, are the path.

Each leg is one LineString feature with ``sortie``, ``drone``, ``kind`` and ``seq`` properties,
except a loiter (a tour's stop over a hotspot), which is a Point with its ``loiter_s`` and
``name``; after them come the area, the no-fly zones and the station, marked by ``role``.

>>> from shapely.geometry import LineString, Point
>>> from routes.types import Leg, Route
>>> fc = route_features(Route((Leg(LineString([(0, 0), (1, 1)])),)), lambda g: g)
>>> fc[0]["geometry"]["type"], fc[0]["properties"]["kind"]
('LineString', 'sweep')
>>> stop = Leg(LineString([(2, 2), (2, 2)]), "loiter", 30.0, "H01")
>>> route_features(Route((stop,)), lambda g: g)[0]["geometry"]
{'type': 'Point', 'coordinates': (2.0, 2.0)}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

from routes.types import Plan, Route

ToWgs84 = Callable[[BaseGeometry], BaseGeometry]


def _geom(g: BaseGeometry, to_wgs84: ToWgs84) -> dict[str, Any]:
    out = shapely.set_precision(to_wgs84(g), 1e-7)
    return dict(mapping(out))


def route_features(
    route: Route, to_wgs84: ToWgs84, sortie: int = 0, drone: int = 0, start_seq: int = 0
) -> list[dict[str, Any]]:
    feats = []
    for i, leg in enumerate(route.legs):
        props: dict[str, Any] = {
            "seq": start_seq + i,
            "sortie": sortie,
            "drone": drone,
            "kind": leg.kind,
        }
        geom: BaseGeometry = leg.line
        if leg.kind == "loiter":
            # a stop, not a line: its two equal points would round to an empty LineString
            props.update(loiter_s=leg.loiter_s, name=leg.name)
            geom = Point(leg.line.coords[0])
        feats.append({"type": "Feature", "properties": props, "geometry": _geom(geom, to_wgs84)})
    return feats


def plan_to_geojson(plan: Plan, to_wgs84: ToWgs84) -> dict[str, Any]:
    feats: list[dict[str, Any]] = []
    for n, s in enumerate(plan.sorties):
        feats += route_features(
            s.route, to_wgs84, sortie=n + 1, drone=s.drone + 1, start_seq=len(feats)
        )
    feats.append(
        {"type": "Feature", "properties": {"role": "area"}, "geometry": _geom(plan.area, to_wgs84)}
    )
    for z in plan.no_fly:
        feats.append(
            {"type": "Feature", "properties": {"role": "no_fly"}, "geometry": _geom(z, to_wgs84)}
        )
    if plan.station is not None:
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "station"},
                "geometry": _geom(plan.station, to_wgs84),
            }
        )
    st = plan.stats
    return {
        "type": "FeatureCollection",
        "properties": {
            "kind": plan.kind,
            "altitude_m": plan.altitude_m,
            "swath_width_m": plan.swath_width_m,
            "length_m": round(st.length_m, 1),
            "flight_time_s": round(st.flight_time_s, 1),
            "sorties": st.sorties,
            "drones": st.drones,
            "covered_frac": st.covered_frac,
            "photos": st.photos,
            "account": st.account.as_dict() if st.account is not None else None,
            "notes": plan.comments(),
        },
        "features": feats,
    }


def dumps(plan: Plan, to_wgs84: ToWgs84) -> str:
    return json.dumps(plan_to_geojson(plan, to_wgs84), ensure_ascii=False) + "\n"
