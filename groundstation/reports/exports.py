"""The patrol's geometry for other tools: GeoJSON, KML (Google Earth) and CSV (the track points).

>>> from groundstation.db.track import TRACK_DTYPE, Track
>>> import numpy as np
>>> pts = np.zeros(2, dtype=TRACK_DTYPE)
>>> pts["time_s"] = [1.78e9, 1.78e9 + 1]
>>> pts["lat_deg"], pts["lon_deg"], pts["alt_m"] = 29.05, 119.18, 60.0
>>> print(track_csv(Track(pts, (0,))).splitlines()[1])
2026-05-28T20:26:40+00:00,29.0500000,119.1800000,60.0,0.0,0.0,0
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from shapely.geometry import mapping

from groundstation.db.track import Track, track_geojson
from groundstation.reports.facts import PatrolFacts

KML_NS = "http://www.opengis.net/kml/2.2"


def report_geojson(facts: PatrolFacts, summary: dict[str, Any]) -> str:
    """A FeatureCollection: flown track, planned route and area, photos and incidents."""
    feats: list[dict[str, Any]] = []
    flown = track_geojson(facts.track, {"role": "track", "patrol_id": facts.patrol_id})
    feats.append(flown)
    if facts.planned_lines:
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "planned_route"},
                "geometry": {"type": "MultiLineString", "coordinates": facts.planned_lines},
            }
        )
    if facts.planned_area is not None:
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "planned_area"},
                "geometry": mapping(facts.planned_area),
            }
        )
    for p in facts.photos:
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "photo", "time": p.time},
                "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]},
            }
        )
    for i in facts.incidents:
        feats.append(
            {
                "type": "Feature",
                "properties": {"role": "incident", **{k: i[k] for k in i if "_deg" not in k}},
                "geometry": {"type": "Point", "coordinates": [i["lon_deg"], i["lat_deg"]]},
            }
        )
    doc = {"type": "FeatureCollection", "properties": summary, "features": feats}
    return json.dumps(doc, ensure_ascii=False, default=str) + "\n"


def _placemark(folder: ET.Element, name: str, geom: ET.Element, style: str = "") -> None:
    pm = ET.SubElement(folder, "Placemark")
    ET.SubElement(pm, "name").text = name
    if style:
        ET.SubElement(pm, "styleUrl").text = style
    pm.append(geom)


def _line(coords: Sequence[Sequence[float]], absolute: bool) -> ET.Element:
    ls = ET.Element("LineString")
    if absolute:
        ET.SubElement(ls, "altitudeMode").text = "relativeToGround"
    ET.SubElement(ls, "coordinates").text = " ".join(
        ",".join(f"{v:.7f}" for v in c) for c in coords
    )
    return ls


def _point(lon: float, lat: float) -> ET.Element:
    pt = ET.Element("Point")
    ET.SubElement(pt, "coordinates").text = f"{lon:.7f},{lat:.7f}"
    return pt


def report_kml(facts: PatrolFacts) -> str:
    """KML: folders for the flown track (3D, above ground), planned route, photos, incidents."""
    kml = ET.Element("kml", xmlns=KML_NS)
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = f"Patrol {facts.patrol_id}"
    for sid, colour, width in (("track", "ff0d55e6", "3"), ("route", "ffbd8231", "1.5")):
        style = ET.SubElement(doc, "Style", id=sid)
        ls = ET.SubElement(style, "LineStyle")
        ET.SubElement(ls, "color").text = colour
        ET.SubElement(ls, "width").text = width
    folder = ET.SubElement(doc, "Folder")
    ET.SubElement(folder, "name").text = "Flown track"
    for n, seg in enumerate(facts.track.segments()):
        coords = [
            (float(a), float(b), float(c))
            for a, b, c in zip(seg["lon_deg"], seg["lat_deg"], seg["alt_m"], strict=True)
        ]
        if len(coords) > 1:
            _placemark(folder, f"segment {n + 1}", _line(coords, True), "#track")
    folder = ET.SubElement(doc, "Folder")
    ET.SubElement(folder, "name").text = "Planned route"
    for n, line in enumerate(facts.planned_lines):
        _placemark(folder, f"route {n + 1}", _line(list(line), False), "#route")
    folder = ET.SubElement(doc, "Folder")
    ET.SubElement(folder, "name").text = "Photos"
    for n, p in enumerate(facts.photos):
        _placemark(folder, f"photo {n + 1} {p.time}", _point(p.lon_deg, p.lat_deg))
    folder = ET.SubElement(doc, "Folder")
    ET.SubElement(folder, "name").text = "Incidents"
    for i in facts.incidents:
        _placemark(
            folder, f"#{i['id']} {i['type']} ({i['status']})", _point(i["lon_deg"], i["lat_deg"])
        )
    return ET.tostring(kml, encoding="unicode", xml_declaration=True) + "\n"


def track_csv(track: Track) -> str:
    """One line per track point: UTC time, lat, lon, altitude, speed, heading, segment number."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["time_utc", "lat_deg", "lon_deg", "alt_m", "speed_m_s", "heading_deg", "segment"])
    for n, seg in enumerate(track.segments()):
        for p in seg:
            w.writerow(
                [
                    datetime.fromtimestamp(float(p["time_s"]), UTC).isoformat(),
                    f"{p['lat_deg']:.7f}",
                    f"{p['lon_deg']:.7f}",
                    f"{p['alt_m']:.1f}",
                    f"{p['speed_m_s']:.1f}",
                    f"{p['heading_deg']:.1f}",
                    n,
                ]
            )
    return out.getvalue()
