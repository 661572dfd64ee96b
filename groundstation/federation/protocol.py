"""The federation protocol, version 1: topics and payloads between stations and a centre.

Described for people in docs/federation.md; this module is its single source for code. Every
message on the broker is one :class:`Envelope` (JSON) whose ``kind`` says what ``data`` holds:

    ecopatrol/v1/<station>/events/<kind>     station -> centre, QoS 1, in the station's order
    ecopatrol/v1/<station>/commands          centre -> station, QoS 1
    ecopatrol/v1/<station>/handover/<to>     station -> station <to> (and the centre), QoS 1

A station's answer to a command is an event of kind ``ack``, so it keeps its place in order.

The broker's ACL lets a station write only under its own ``ecopatrol/v1/<station>/`` and read
only its ``commands``; the centre reads everything and writes only commands.

>>> event_topic("river-a", "vehicle.frame")
'ecopatrol/v1/river-a/events/vehicle.frame'
>>> parse_topic("ecopatrol/v1/river-a/events/alert")
('river-a', 'events', 'alert')
>>> parse_topic(handover_topic("river-a", "river-b"))
('river-a', 'handover', 'river-b')
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VERSION = 1
ROOT = f"ecopatrol/v{VERSION}"

#: What a station reports. ``vehicle.frame`` is rate-limited; the rest are sent as they happen.
EventKind = Literal[
    "station.status",
    "vehicle.frame",
    "patrol.state",
    "incident.created",
    "incident.updated",
    "alert",
    "report.ready",
    "freshness",
    "ack",
    "handover.taken",
    "handover.kept",
]
EVENT_KINDS: frozenset[str] = frozenset(EventKind.__args__)  # type: ignore[attr-defined]

CommandKind = Literal["rtl", "pause", "dispatch"]

#: Why a station refused or failed a command, for machines (the ACK's ``reason`` is for people).
ReasonCode = Literal[
    "no_pilot",  # no pilot on duty at the station
    "expired",  # the command waited too long (the station was offline)
    "handed_over",  # another station commands the vehicle now (see the handover messages)
    "no_fleet",  # the station runs without a MAVLink link
    "unknown_vehicle",  # the station has no such vehicle
    "vehicle_busy",  # not free: flying a patrol, lost, unheard or held
    "vehicle_refused",  # the vehicle refused or did not answer
    "bad_params",  # the command's parameters are not valid
    "error",  # the station failed unexpectedly
]


class ProtocolError(ValueError):
    """A topic or payload that is not federation protocol v1."""


def event_topic(station: str, kind: str) -> str:
    """Where `station` publishes events of `kind`."""
    return f"{ROOT}/{station}/events/{kind}"


def command_topic(station: str) -> str:
    """Where the centre sends `station` its commands."""
    return f"{ROOT}/{station}/commands"


def handover_topic(station: str, to: str) -> str:
    """Where `station` sends station `to` its handover messages (offer, accept, release)."""
    return f"{ROOT}/{station}/handover/{to}"


def handover_inbox(station: str) -> str:
    """The subscription for every handover message sent to `station`."""
    return f"{ROOT}/+/handover/{station}"


def parse_topic(topic: str) -> tuple[str, str, str | None]:
    """``(station, channel, kind)`` of a protocol topic (for ``handover``: the receiving
    station as ``kind``); ProtocolError if it is not one."""
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != ROOT:
        raise ProtocolError(f"not a v{VERSION} topic: {topic!r}")
    station, channel = parts[2], parts[3]
    if channel == "events" and len(parts) == 5:
        return station, channel, parts[4]
    if channel == "commands" and len(parts) == 4:
        return station, channel, None
    if channel == "handover" and len(parts) == 5:
        return station, channel, parts[4]
    raise ProtocolError(f"unknown topic: {topic!r}")


def new_id() -> str:
    """A unique message id (the centre deduplicates on it)."""
    return uuid.uuid4().hex


class Envelope(BaseModel):
    """One message: who sent it, its unique id, the station's sequence number, and the data."""

    model_config = ConfigDict(frozen=True)

    v: Literal[1] = 1
    id: str = Field(default_factory=new_id, min_length=8, max_length=64)
    station: str
    seq: int = Field(ge=0, description="the station's outbox order; 0 for commands")
    kind: str
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any]


class StationStatus(BaseModel):
    """A station's heartbeat: who is on duty, how many drones it has."""

    online: bool
    accept_commands: bool
    vehicles: int


class Command(BaseModel):
    """A request from the centre; the station decides and answers with a :class:`CommandAck`.

    ``id`` is the correlation id the ACK carries back.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id, min_length=8, max_length=64)
    kind: CommandKind
    sysid: int = Field(ge=1, le=255, description="the station's vehicle")
    issued_by: str = Field(description="the centre's officer")
    issued_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    params: dict[str, Any] = Field(default_factory=dict)


class DispatchParams(BaseModel):
    """A ``dispatch`` command's ``params``: where the drone should go and hold, and what for.

    The station records the incident in its own store, then sends the drone there through its
    own dispatch path (arm and take off if on the ground, go and hold at ``alt_rel_m``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_rel_m: float = Field(40.0, ge=10, le=120, description="height to hold above home")
    incident_type: str = Field("other", description="the station's incident type")
    description: str = Field("", max_length=2000)


class CommandAck(BaseModel):
    """The station's answer to a :class:`Command` (``command_id`` = its correlation id).

    ``code`` says why, for machines, when it was not ``done``; ``refs`` names what the station
    made (a dispatch: ``incident_id``, the station's incident; ``vehicle``, the drone's name).
    """

    command_id: str
    kind: CommandKind
    sysid: int
    result: Literal["done", "refused", "failed"]
    reason: str | None = None
    code: ReasonCode | None = None
    refs: dict[str, Any] = Field(default_factory=dict)


#: The handover messages between two stations (``kind`` of their envelopes), in order:
#: offer (giver), then accept or refuse (receiver), then release (giver) once accepted.
HandoverKind = Literal["handover.offer", "handover.accept", "handover.refuse", "handover.release"]
HANDOVER_KINDS: frozenset[str] = frozenset(HandoverKind.__args__)  # type: ignore[attr-defined]


class Handover(BaseModel):
    """One handover of a vehicle from the station that commands it (``giver``) to the next
    (``taker``); every message of it carries the same ``id`` and says where it stands."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id, min_length=8, max_length=64)
    sysid: int = Field(ge=1, le=255)
    giver: str
    taker: str
    expires_at: datetime = Field(description="the giver keeps command if not accepted by then")
    lat_deg: float | None = None
    lon_deg: float | None = None
    reason: str | None = Field(None, description="why it is offered, or refused")
    code: ReasonCode | Literal["not_heard"] | None = None


def decode(payload: bytes) -> Envelope:
    """The envelope in `payload`; ProtocolError if it is not one."""
    try:
        return Envelope.model_validate_json(payload)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None
