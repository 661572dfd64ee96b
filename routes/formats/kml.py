"""KML 2.2 for Google Earth: the area, no-fly zones, station and one path per sortie.

>>> from shapely.geometry import LineString, Point, box
>>> from routes.types import Leg, Plan, PlanStats, Route, Sortie
>>> stats = PlanStats(10, 10, 1, 1, 1, 1, None, 0, 0, 0)
>>> plan = Plan("coverage", box(0, 0, 1, 1), (), Point(0, 0),
...             (Sortie(Route((Leg(LineString([(0, 0), (1, 1)])),))),), stats, 50)
>>> text = dumps(plan, lambda g: g)
>>> text.startswith("<?xml") and "<LineString>" in text and "relativeToGround" in text
True
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from routes.geometry import polygons
from routes.types import Plan

ToWgs84 = Callable[[BaseGeometry], BaseGeometry]
COLOURS = ["ff0000ff", "ff00ff00", "ffff0000", "ff00ffff", "ffff00ff", "ffffff00", "ff0080ff"]


def _coords(xy: list[tuple[float, ...]], alt: float) -> str:
    return " ".join(f"{c[0]:.7f},{c[1]:.7f},{alt:g}" for c in xy)


def _polygon_xml(g: BaseGeometry, to_wgs84: ToWgs84, name: str, style: str) -> list[str]:
    out = []
    for poly in polygons(to_wgs84(g)):
        inner = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{_coords(list(r.coords), 0)}"
            "</coordinates></LinearRing></innerBoundaryIs>"
            for r in poly.interiors
        )
        out.append(
            f"<Placemark><name>{escape(name)}</name><styleUrl>#{style}</styleUrl><Polygon>"
            f"<outerBoundaryIs><LinearRing><coordinates>{_coords(list(poly.exterior.coords), 0)}"
            f"</coordinates></LinearRing></outerBoundaryIs>{inner}</Polygon></Placemark>"
        )
    return out


def dumps(plan: Plan, to_wgs84: ToWgs84) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
        f"<name>ecopatrol {escape(plan.kind)} patrol</name>",
        f"<description>{escape(chr(10).join(plan.comments()))}</description>",
        '<Style id="area"><LineStyle><color>ffffaa00</color><width>2</width></LineStyle>'
        "<PolyStyle><color>33ffaa00</color></PolyStyle></Style>",
        '<Style id="nofly"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle>'
        "<PolyStyle><color>550000ff</color></PolyStyle></Style>",
    ]
    for i, c in enumerate(COLOURS):
        parts.append(
            f'<Style id="sortie{i}"><LineStyle><color>{c}</color><width>3</width>'
            "</LineStyle></Style>"
        )
    parts += _polygon_xml(plan.area, to_wgs84, "patrol area", "area")
    for z in plan.no_fly:
        parts += _polygon_xml(z, to_wgs84, "no-fly zone", "nofly")
    if plan.station is not None:
        p = to_wgs84(plan.station)
        assert isinstance(p, Point)
        parts.append(
            f"<Placemark><name>station</name><Point><coordinates>{p.x:.7f},{p.y:.7f},0"
            "</coordinates></Point></Placemark>"
        )
    for n, s in enumerate(plan.sorties):
        line = to_wgs84(s.route.line())
        assert isinstance(line, LineString)
        parts.append(
            f"<Placemark><name>sortie {n + 1} (drone {s.drone + 1})</name>"
            f"<styleUrl>#sortie{n % len(COLOURS)}</styleUrl><LineString><tessellate>1</tessellate>"
            f"<altitudeMode>relativeToGround</altitudeMode><coordinates>"
            f"{_coords(list(line.coords), plan.altitude_m)}</coordinates></LineString></Placemark>"
        )
    parts.append("</Document></kml>")
    return "\n".join(parts) + "\n"
