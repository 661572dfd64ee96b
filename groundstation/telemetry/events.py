"""Builders for every message type of the live protocol (docs/live-protocol.md), in one place.

Publishers call these rather than :func:`make_message` directly, so types and coalescing keys
stay consistent: vehicle frames coalesce per vehicle, everything else is delivered in order.
A client's sender joins the vehicle frames it finds waiting together into one
``vehicle.frames`` message (:func:`wire_texts`): one websocket send instead of one per vehicle.

>>> vehicle_frame({"sysid": 3, "lat_deg": 29.05, "lon_deg": 119.18}).key
'vehicle:3'
>>> patrol_state({"id": 9, "state": "flying"}).key is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from groundstation.telemetry.hub import LiveMessage, batch_text, make_message

AlertLevel = Literal["info", "warning", "critical"]

VEHICLE_FRAME = "vehicle.frame"
VEHICLE_FRAMES = "vehicle.frames"


def vehicle_key(sysid: int) -> str:
    """The coalescing key of a vehicle's frames."""
    return f"vehicle:{sysid}"


def vehicle_frame(state: Mapping[str, Any]) -> LiveMessage:
    """A vehicle's latest state; `state` must carry its ``sysid``."""
    sysid = state.get("sysid")
    if not isinstance(sysid, int):
        raise ValueError(f"a vehicle frame needs an integer sysid, got {sysid!r}")
    return make_message(VEHICLE_FRAME, state, key=vehicle_key(sysid))


def wire_texts(msgs: Sequence[LiveMessage]) -> list[str]:
    """The texts to send for `msgs` (in queue order): each run of two or more vehicle frames
    becomes one ``vehicle.frames`` message whose ``data`` lists their states in order; a lone
    frame and every other message go as they are, so events keep their place between frames.

    >>> frames = [vehicle_frame({"sysid": n}) for n in (1, 2, 3)]
    >>> import json
    >>> texts = wire_texts([*frames[:2], alert("info", "hi"), frames[2]])
    >>> [json.loads(t)["type"] for t in texts]
    ['vehicle.frames', 'alert', 'vehicle.frame']
    """
    texts: list[str] = []
    run: list[LiveMessage] = []

    def flush() -> None:
        if len(run) == 1:
            texts.append(run[0].text)
        elif run:
            texts.append(batch_text(VEHICLE_FRAMES, run))
        run.clear()

    for msg in msgs:
        if msg.type == VEHICLE_FRAME:
            run.append(msg)
        else:
            flush()
            texts.append(msg.text)
    flush()
    return texts


def patrol_state(patrol: Mapping[str, Any]) -> LiveMessage:
    """A patrol changed state (never coalesced: every transition is delivered)."""
    return make_message("patrol.state", patrol)


def incident_event(kind: Literal["created", "updated"], incident: Mapping[str, Any]) -> LiveMessage:
    return make_message(f"incident.{kind}", incident)


def alert(level: AlertLevel, text: str, **details: Any) -> LiveMessage:
    """Something a person should look at now (link lost, low battery, geofence breach ...)."""
    return make_message("alert", {"level": level, "text": text, **details})
