"""Builders for every message type of the live protocol (docs/live-protocol.md), in one place.

Publishers call these rather than :func:`make_message` directly, so types and coalescing keys
stay consistent: vehicle frames coalesce per vehicle, everything else is delivered in order.
A client's sender joins the vehicle frames it finds waiting together into one
``vehicle.frames`` message (:func:`wire_texts`): one websocket send instead of one per vehicle.

The payloads are the models of :mod:`groundstation.telemetry.messages`.

>>> vehicle_frame(VehicleFrame.offline(3, vehicle_id=1, name="drone-3")).key
'vehicle:3'
>>> alert("info", "hi", kind="test").data
{'level': 'info', 'text': 'hi', 'kind': 'test'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from groundstation.telemetry.hub import LiveMessage, batch_text, make_message
from groundstation.telemetry.messages import (
    Alert,
    AlertLevel,
    PatrolProgress,
    PatrolStatus,
    RecordingState,
    VehicleFrame,
)

__all__ = [
    "AlertLevel",
    "alert",
    "incident_event",
    "patrol_progress",
    "patrol_state",
    "recording_state",
    "vehicle_frame",
    "wire_texts",
]

VEHICLE_FRAME = "vehicle.frame"
VEHICLE_FRAMES = "vehicle.frames"


def vehicle_key(sysid: int) -> str:
    """The coalescing key of a vehicle's frames."""
    return f"vehicle:{sysid}"


def vehicle_frame(frame: VehicleFrame) -> LiveMessage:
    """A vehicle's latest state (coalesced per vehicle)."""
    return make_message(VEHICLE_FRAME, frame, key=vehicle_key(frame.sysid))


def wire_texts(msgs: Sequence[LiveMessage]) -> list[str]:
    """The texts to send for `msgs` (in queue order): each run of two or more vehicle frames
    becomes one ``vehicle.frames`` message whose ``data`` lists their states in order; a lone
    frame and every other message go as they are, so events keep their place between frames.

    >>> frames = [vehicle_frame(VehicleFrame.offline(n, None, None)) for n in (1, 2, 3)]
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


def patrol_state(patrol: PatrolStatus) -> LiveMessage:
    """A patrol changed state (never coalesced: every transition is delivered)."""
    return make_message("patrol.state", patrol)


def patrol_progress(progress: PatrolProgress) -> LiveMessage:
    """A flying patrol's progress (coalesced per patrol: only the latest matters)."""
    return make_message("patrol.progress", progress, key=f"patrol:{progress.id}")


def incident_event(kind: Literal["created", "updated"], incident: BaseModel) -> LiveMessage:
    """An incident as the API shows it (``IncidentPublic``)."""
    return make_message(f"incident.{kind}", incident)


def alert(level: AlertLevel, text: str, **details: Any) -> LiveMessage:
    """Something a person should look at now (link lost, low battery, geofence breach ...);
    `details` as in :class:`~groundstation.telemetry.messages.Alert`."""
    return make_message("alert", Alert(level=level, text=text, **details))


def recording_state(state: RecordingState) -> LiveMessage:
    """A drone's recording started or stopped (never coalesced: each change is delivered)."""
    return make_message("video.recording", state)
