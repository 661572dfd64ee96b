"""What the centre's live page gets for a station's vehicle, incident, patrol or alert.

The page keys drones by number and incidents and patrols by id; two stations both have a
drone 1 and an incident 1. So in the centre's views the ids are the centre's ``key`` (see
:mod:`.store`), and the station's own ids ride along: ``station``, ``station_sysid``,
``station_vehicle_id``, ``station_incident_id``, ``station_patrol_id``. Everything else is the
station's payload as it sent it (the live protocol's shapes, docs/live-protocol.md).

>>> vehicle_view("river-a", 7, {"sysid": 1, "vehicle_id": 3, "name": "d1"})["sysid"]
7
>>> alert_view("river-b", {"id": 4, "level": "warning", "text": "x", "sysid": 2}, 9)["id"]
'river-b:4'
"""

from __future__ import annotations

from typing import Any


def vehicle_view(station: str, key: int, frame: dict[str, Any]) -> dict[str, Any]:
    """A station's vehicle frame with the centre's key as its system and registry id."""
    return {
        **frame,
        "sysid": key,
        "vehicle_id": key,
        "station": station,
        "station_sysid": frame.get("sysid"),
        "station_vehicle_id": frame.get("vehicle_id"),
    }


def incident_view(station: str, key: int, incident: dict[str, Any]) -> dict[str, Any]:
    """A station's incident with the centre's key as its id (the station's people and
    patrols are not the centre's: their ids are dropped)."""
    return {
        **incident,
        "id": key,
        "station": station,
        "station_incident_id": incident.get("id"),
        "reported_by": None,
        "assigned_to": None,
        "patrol_id": None,
        "vehicle_id": None,
        "attachments": [],
    }


def patrol_view(
    station: str, key: int, patrol: dict[str, Any], vehicle_key: int | None
) -> dict[str, Any]:
    """A station's patrol with the centre's keys as its id and its vehicle's."""
    return {
        **patrol,
        "id": key,
        "vehicle_id": vehicle_key,
        "station": station,
        "station_patrol_id": patrol.get("id"),
    }


def alert_view(station: str, alert: dict[str, Any], vehicle_key: int | None) -> dict[str, Any]:
    """A station's alert; a stored alert's id is made unique across stations."""
    out = {**alert, "station": station, "sysid": vehicle_key}
    if alert.get("id") is not None:
        out["id"] = f"{station}:{alert['id']}"
    return out
