"""Builders for every message type of the live protocol (docs/live-protocol.md), in one place.

Publishers call these rather than :func:`make_message` directly, so types and coalescing keys
stay consistent: vehicle frames coalesce per vehicle, everything else is delivered in order.

>>> vehicle_frame({"sysid": 3, "lat_deg": 29.05, "lon_deg": 119.18}).key
'vehicle:3'
>>> patrol_state({"id": 9, "state": "flying"}).key is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from groundstation.telemetry.hub import LiveMessage, make_message

AlertLevel = Literal["info", "warning", "critical"]


def vehicle_key(sysid: int) -> str:
    """The coalescing key of a vehicle's frames."""
    return f"vehicle:{sysid}"


def vehicle_frame(state: Mapping[str, Any]) -> LiveMessage:
    """A vehicle's latest state; `state` must carry its ``sysid``."""
    sysid = state.get("sysid")
    if not isinstance(sysid, int):
        raise ValueError(f"a vehicle frame needs an integer sysid, got {sysid!r}")
    return make_message("vehicle.frame", state, key=vehicle_key(sysid))


def patrol_state(patrol: Mapping[str, Any]) -> LiveMessage:
    """A patrol changed state (never coalesced: every transition is delivered)."""
    return make_message("patrol.state", patrol)


def incident_event(kind: Literal["created", "updated"], incident: Mapping[str, Any]) -> LiveMessage:
    return make_message(f"incident.{kind}", incident)


def alert(level: AlertLevel, text: str, **details: Any) -> LiveMessage:
    """Something a person should look at now (link lost, low battery, geofence breach ...)."""
    return make_message("alert", {"level": level, "text": text, **details})
