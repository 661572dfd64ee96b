"""``/ws/live``, typed: every message the station sends and the client may send, as pydantic
models, and their JSON Schema (generated into docs/live-protocol.md by
``scripts/live_protocol_doc.py``; a test checks the committed doc against these models).

The payloads the station's parts publish are in :mod:`groundstation.telemetry.messages`; this
module adds the envelope, the snapshot and the incident payloads (the HTTP API's
``IncidentPublic``). The hub encodes each message once (``telemetry.hub.make_message``): these
envelope models describe the wire, they are not built per message.

>>> sorted(SERVER_MESSAGE_TYPES)[:3]
['alert', 'incident.created', 'incident.updated']
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from groundstation.api.schemas import IncidentPublic
from groundstation.telemetry.hub import PROTOCOL_VERSION
from groundstation.telemetry.messages import (
    Alert,
    HeardVehicle,
    PatrolProgress,
    PatrolStatus,
    RecordingState,
    VehicleFrame,
    WireModel,
)


class LiveUser(WireModel):
    """Who the stream is for (the token's user)."""

    id: int
    username: str
    role: str
    full_name: str = Field("", description="the name the page shows (empty: the username)")


class Snapshot(WireModel):
    """The first message after authentication: what is true now."""

    user: LiveUser
    vehicles: list[VehicleFrame] = Field(
        description="live state once the link runs; registry drones never heard are offline"
    )
    patrols: list[PatrolStatus] = Field(description="patrols not yet finished")
    incidents: list[IncidentPublic] = Field(description="incidents not resolved")
    unknown_vehicles: list[HeardVehicle] | None = Field(
        None, description="systems heard that no pilot has accepted (when the link runs)"
    )
    alerts: list[Alert] | None = Field(
        None, description="open alerts, newest first (when the safety watch runs)"
    )


class Pong(WireModel):
    """The answer to a ``ping``: no data."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = Field(description="protocol version")
    ts: datetime = Field(description="when the station produced the message (UTC)")


class SnapshotMessage(_Envelope):
    type: Literal["snapshot"]
    data: Snapshot


class VehicleFrameMessage(_Envelope):
    type: Literal["vehicle.frame"]
    data: VehicleFrame


class VehicleFramesMessage(_Envelope):
    """Frames that waited for the client together, at most one per vehicle, in queue order."""

    type: Literal["vehicle.frames"]
    data: list[VehicleFrame]


class PatrolStateMessage(_Envelope):
    type: Literal["patrol.state"]
    data: PatrolStatus


class PatrolProgressMessage(_Envelope):
    type: Literal["patrol.progress"]
    data: PatrolProgress


class IncidentCreatedMessage(_Envelope):
    type: Literal["incident.created"]
    data: IncidentPublic


class IncidentUpdatedMessage(_Envelope):
    type: Literal["incident.updated"]
    data: IncidentPublic


class AlertMessage(_Envelope):
    type: Literal["alert"]
    data: Alert


class RecordingStateMessage(_Envelope):
    type: Literal["video.recording"]
    data: RecordingState


class PongMessage(_Envelope):
    type: Literal["pong"]
    data: Pong


#: Every message the station sends, by ``type``.
SERVER_MESSAGE_MODELS: tuple[type[_Envelope], ...] = (
    SnapshotMessage,
    VehicleFrameMessage,
    VehicleFramesMessage,
    PatrolStateMessage,
    PatrolProgressMessage,
    IncidentCreatedMessage,
    IncidentUpdatedMessage,
    AlertMessage,
    RecordingStateMessage,
    PongMessage,
)
ServerMessage = Annotated[
    SnapshotMessage
    | VehicleFrameMessage
    | VehicleFramesMessage
    | PatrolStateMessage
    | PatrolProgressMessage
    | IncidentCreatedMessage
    | IncidentUpdatedMessage
    | AlertMessage
    | RecordingStateMessage
    | PongMessage,
    Field(discriminator="type"),
]
SERVER_MESSAGE_TYPES = frozenset(
    get_args(m.model_fields["type"].annotation)[0] for m in SERVER_MESSAGE_MODELS
)


class AuthMessage(BaseModel):
    """The first message, when the token is not in the URL."""

    type: Literal["auth"]
    token: str


class PingMessage(BaseModel):
    """Asks for a ``pong``."""

    type: Literal["ping"]


ClientMessage = Annotated[AuthMessage | PingMessage, Field(discriminator="type")]

SERVER_MESSAGES: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
CLIENT_MESSAGES: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
assert PROTOCOL_VERSION == 1, "bump the envelope's `v` literal with the protocol version"


def protocol_schema() -> dict[str, Any]:
    """The JSON Schema of the stream: a message is a ``ServerMessage`` (station to client) or a
    ``ClientMessage``; both are in ``$defs`` with every payload they use."""
    ref = "#/$defs/{model}"
    server = SERVER_MESSAGES.json_schema(mode="serialization", ref_template=ref)
    client = CLIENT_MESSAGES.json_schema(mode="validation", ref_template=ref)
    defs = {
        **server.pop("$defs"),
        **client.pop("$defs"),
        "ServerMessage": server,
        "ClientMessage": client,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"ecopatrol /ws/live, protocol version {PROTOCOL_VERSION}",
        "anyOf": [{"$ref": "#/$defs/ServerMessage"}, {"$ref": "#/$defs/ClientMessage"}],
        "$defs": dict(sorted(defs.items())),
    }


DOC_BEGIN = "<!-- BEGIN generated by scripts/live_protocol_doc.py: do not edit -->"
DOC_END = "<!-- END generated -->"


def with_schema(doc: str) -> str:
    """`doc` (docs/live-protocol.md) with its generated section holding the current schema;
    the section is appended if the doc has none."""
    block = json.dumps(protocol_schema(), indent=2, ensure_ascii=False)
    section = f"{DOC_BEGIN}\n\n```json\n{block}\n```\n\n{DOC_END}"
    begin, end = doc.find(DOC_BEGIN), doc.find(DOC_END)
    if begin < 0 or end < begin:
        return f"{doc.rstrip()}\n\n{section}\n"
    return doc[:begin] + section + doc[end + len(DOC_END) :]
