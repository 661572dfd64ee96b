"""QGroundControl ``.plan`` files (JSON, version 1) to and from `routes.mission.Mission`.

Follows QGC's documented "Plan File Format": ``fileType`` "Plan", ``version`` 1, ``mission``
(version 2, firmwareType, vehicleType, cruiseSpeed, hoverSpeed, plannedHomePosition, items of
type SimpleItem), ``geoFence`` (version 2, polygons of version 1, circles of version 1: a
``circle`` with ``center`` [lat, lon] and ``radius`` in metres) and ``rallyPoints`` (version 2,
points). Item 0 of the mission (home) becomes ``plannedHomePosition``; QGC stores
positions as float degrees with frame GLOBAL_RELATIVE_ALT (3), so frame 6 <-> 3 on the way out
and back (and GLOBAL_INT 5 <-> GLOBAL 0): a round trip gives the same items.

>>> from routes.mission import MissionItem
>>> home = MissionItem(0, 0, 16, current=1, x=290525300, y=1191818400)
>>> wp = MissionItem(1, 6, 16, param2=5.0, x=290526000, y=1191819000, z=60.0)
>>> m = Mission((home, wp))
>>> doc = to_plan(m)
>>> doc["fileType"], doc["mission"]["items"][0]["params"][4:]
('Plan', [29.0526, 119.1819, 60])
>>> from_plan(doc) == m
True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from routes.errors import MissionFormatError
from routes.formats.fields import array, e7, integer, number, table
from routes.mission import (
    MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
    MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
    MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
    MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
    MAV_CMD_NAV_RALLY_POINT,
    MAV_CMD_NAV_WAYPOINT,
    MAV_FRAME_GLOBAL,
    MAV_FRAME_GLOBAL_INT,
    MAV_FRAME_GLOBAL_RELATIVE_ALT,
    MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    MAV_FRAME_MISSION,
    MAV_MISSION_TYPE_FENCE,
    MAV_MISSION_TYPE_RALLY,
    Mission,
    MissionItem,
)

MAV_AUTOPILOT_ARDUPILOTMEGA = 3
MAV_TYPE_QUADROTOR = 2
FILE_FRAME = {
    MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: MAV_FRAME_GLOBAL_RELATIVE_ALT,
    MAV_FRAME_GLOBAL_INT: MAV_FRAME_GLOBAL,
}
ITEM_FRAME = {v: k for k, v in FILE_FRAME.items()}


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() and abs(v) < 2**31 else float(v)


def _simple_item(it: MissionItem) -> dict[str, Any]:
    positional = it.frame != MAV_FRAME_MISSION
    lat = it.x / 1e7 if positional else 0
    lon = it.y / 1e7 if positional else 0
    return {
        "AMSLAltAboveTerrain": None,
        "Altitude": _num(it.z),
        "AltitudeMode": 1,
        "autoContinue": bool(it.autocontinue),
        "command": it.command,
        "doJumpId": it.seq,
        "frame": FILE_FRAME.get(it.frame, it.frame),
        "params": [
            _num(it.param1),
            _num(it.param2),
            _num(it.param3),
            _num(it.param4),
            lat,
            lon,
            _num(it.z),
        ],
        "type": "SimpleItem",
    }


def _fence(items: tuple[MissionItem, ...]) -> dict[str, Any]:
    """QGC's geoFence: polygons (a vertex item each) and circles (one item: param1 the radius)."""
    polys: list[dict[str, Any]] = []
    circles: list[dict[str, Any]] = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.command in (MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
            if not it.param1 > 0:
                raise MissionFormatError(f"fence item {it.seq}: circle radius {it.param1} m")
            circles.append(
                {
                    "circle": {"center": [it.x / 1e7, it.y / 1e7], "radius": _num(it.param1)},
                    "inclusion": it.command == MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                    "version": 1,
                }
            )
            i += 1
            continue
        n = int(it.param1)
        if n < 3 or i + n > len(items):
            raise MissionFormatError(f"fence item {it.seq}: polygon of {n} vertices is malformed")
        ring = [[p.x / 1e7, p.y / 1e7] for p in items[i : i + n]]
        polys.append(
            {
                "inclusion": it.command == MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                "polygon": ring,
                "version": 1,
            }
        )
        i += n
    return {"circles": circles, "polygons": polys, "version": 2}


def to_plan(
    mission: Mission,
    *,
    firmware_type: int = MAV_AUTOPILOT_ARDUPILOTMEGA,
    vehicle_type: int = MAV_TYPE_QUADROTOR,
    hover_speed_m_s: float = 5.0,
    comments: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``.plan`` document (a dict ready for ``json.dumps``); ``comments`` (what the plan
    took out of the area, its notes) go in a ``comments`` list, which QGC ignores: it reads
    only the keys it knows (PlanMasterController::_loadPlanJson: mission, geoFence,
    rallyPoints)."""
    home = mission.home
    doc: dict[str, Any] = {
        "fileType": "Plan",
        "geoFence": _fence(mission.fence),
        "groundStation": "ecopatrol",
        "mission": {
            "cruiseSpeed": _num(mission.cruise_speed_m_s),
            "firmwareType": firmware_type,
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": _num(hover_speed_m_s),
            "items": [_simple_item(it) for it in mission.items[1:]],
            "plannedHomePosition": [home.x / 1e7, home.y / 1e7, _num(home.z)],
            "vehicleType": vehicle_type,
            "version": 2,
        },
        "rallyPoints": {
            "points": [[p.x / 1e7, p.y / 1e7, _num(p.z)] for p in mission.rally],
            "version": 2,
        },
        "version": 1,
    }
    if comments:
        doc["comments"] = list(comments)
    return doc


def dumps(mission: Mission, comments: Sequence[str] = ()) -> str:
    return json.dumps(to_plan(mission, comments=comments), indent=2, ensure_ascii=False) + "\n"


def _need(doc: Any, key: str, where: str) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise MissionFormatError(f"{where}: missing key {key!r}", field=key)
    return doc[key]


def from_plan(doc: Any) -> Mission:
    """Parse a ``.plan`` document (dict) back into a `Mission`; errors name the bad field."""
    if _need(doc, "fileType", "plan") != "Plan":
        raise MissionFormatError(f"plan: fileType is {doc['fileType']!r}, expected 'Plan'")
    if _need(doc, "version", "plan") != 1:
        raise MissionFormatError(f"plan: unsupported version {doc['version']!r}", field="version")
    mission = table(_need(doc, "mission", "plan"), "mission")
    where = "mission.plannedHomePosition"
    home_pos = array(_need(mission, "plannedHomePosition", "mission"), where, 3, "numbers")
    items = [
        MissionItem(
            0,
            MAV_FRAME_GLOBAL,
            MAV_CMD_NAV_WAYPOINT,
            current=1,
            x=e7(home_pos[0], where),
            y=e7(home_pos[1], where),
            z=number(home_pos[2], where),
        )
    ]
    for n, raw in enumerate(array(_need(mission, "items", "mission"), "mission.items")):
        where = f"mission.items[{n}]"
        if _need(raw, "type", where) != "SimpleItem":
            raise MissionFormatError(
                f"{where}: item type {raw['type']!r} is not supported (only SimpleItem; "
                "convert survey/complex items to waypoints in QGroundControl first)"
            )
        params = array(_need(raw, "params", where), f"{where}.params", 7, "numbers")
        frame = integer(_need(raw, "frame", where), f"{where}.frame")
        items.append(
            MissionItem(
                len(items),
                ITEM_FRAME.get(frame, frame),
                integer(_need(raw, "command", where), f"{where}.command"),
                0,
                int(bool(raw.get("autoContinue", True))),
                number(params[0], f"{where}.params[0]"),
                number(params[1], f"{where}.params[1]"),
                number(params[2], f"{where}.params[2]"),
                number(params[3], f"{where}.params[3]"),
                x=e7(params[4] or 0, f"{where}.params[4]"),
                y=e7(params[5] or 0, f"{where}.params[5]"),
                z=number(params[6], f"{where}.params[6]"),
            )
        )
    fence: list[MissionItem] = []
    polys = table(doc.get("geoFence", {}), "geoFence").get("polygons", [])
    for n, poly in enumerate(array(polys, "geoFence.polygons")):
        where = f"geoFence.polygons[{n}]"
        ring = array(_need(poly, "polygon", where), f"{where}.polygon")
        cmd = (
            MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
            if _need(poly, "inclusion", where)
            else MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
        )
        for k, vertex in enumerate(ring):
            lat, lon = array(vertex, f"{where}.polygon[{k}]", 2, "numbers")
            fence.append(
                MissionItem(
                    len(fence),
                    MAV_FRAME_GLOBAL_INT,
                    cmd,
                    param1=len(ring),
                    x=e7(lat, where),
                    y=e7(lon, where),
                    mission_type=MAV_MISSION_TYPE_FENCE,
                )
            )
    circles = table(doc.get("geoFence", {}), "geoFence").get("circles", [])
    for n, circ in enumerate(array(circles, "geoFence.circles")):
        where = f"geoFence.circles[{n}]"
        body = table(_need(circ, "circle", where), f"{where}.circle")
        lat, lon = array(_need(body, "center", f"{where}.circle"), f"{where}.circle.center", 2,
                         "numbers")  # fmt: skip
        radius = number(_need(body, "radius", f"{where}.circle"), f"{where}.circle.radius")
        if not radius > 0:
            raise MissionFormatError(f"{where}.circle.radius: must be positive, got {radius}")
        fence.append(
            MissionItem(
                len(fence),
                MAV_FRAME_GLOBAL_INT,
                MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
                if _need(circ, "inclusion", where)
                else MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
                param1=radius,
                x=e7(lat, where),
                y=e7(lon, where),
                mission_type=MAV_MISSION_TYPE_FENCE,
            )
        )
    rally: list[MissionItem] = []
    points = table(doc.get("rallyPoints", {}), "rallyPoints").get("points", [])
    for n, pt in enumerate(array(points, "rallyPoints.points")):
        where = f"rallyPoints.points[{n}]"
        lat, lon, alt = array(pt, where, 3, "numbers")
        rally.append(
            MissionItem(
                len(rally),
                MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                MAV_CMD_NAV_RALLY_POINT,
                x=e7(lat, where),
                y=e7(lon, where),
                z=number(alt, where),
                mission_type=MAV_MISSION_TYPE_RALLY,
            )
        )
    speed = number(mission.get("cruiseSpeed", 10.0), "mission.cruiseSpeed")
    if not speed > 0:
        raise MissionFormatError(f"mission.cruiseSpeed: must be positive, got {speed}")
    return Mission(tuple(items), tuple(fence), tuple(rally), speed)


def loads(text: str) -> Mission:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MissionFormatError(
            f"not JSON: {exc.msg} at line {exc.lineno}", line=exc.lineno
        ) from exc
    return from_plan(doc)
