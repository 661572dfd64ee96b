"""The payloads the station's own parts publish on the live stream (docs/live-protocol.md).

One model per payload, validated when built (no NaN or Infinity: browsers cannot parse them)
and encoded once by the hub. :class:`VehicleFrame` is the only vehicle shape the page ever gets:
a live frame, a registry drone never heard and the registry before the link runs all use it
(unknown values are null, and ``link.status`` says which case it is).

The envelope, the snapshot and the incident payloads, which use the HTTP API's schemas, are in
``groundstation.api.live_protocol``.

>>> VehicleFrame.offline(sysid=4, vehicle_id=2, name="drone-4").link.status
'offline'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AlertLevel = Literal["info", "warning", "critical"]
LinkStatus = Literal["ok", "degraded", "lost", "offline"]


class WireModel(BaseModel):
    """A payload of the live stream: immutable, strict JSON, no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class DroppedFrames(WireModel):
    """Frames with the vehicle's system id that the link threw away, by reason."""

    unsigned: int
    bad_signature: int
    replayed: int
    foreign_address: int
    address_changes: int
    total: int


class LinkSecurity(WireModel):
    """The link guard's view of a vehicle (``GET /api/vehicles/{id}/link`` gives the same)."""

    address: str = Field(description="host:port the vehicle is bound to")
    pending_address: str | None = Field(description="an address change waiting for a pilot")
    pending_since_unix: float | None
    held: bool = Field(description="everything sent to the vehicle is held (409) until accepted")
    held_reason: str | None
    signed: bool = Field(description="the vehicle must sign its frames")
    address_silent_s: float
    dropped: DroppedFrames


class VehicleLink(WireModel):
    """The station's link to the vehicle; ``offline``: registered but never heard."""

    status: LinkStatus
    last_heard_s: float | None = Field(None, description="seconds since its last message")
    loss_pct: float | None = None
    security: LinkSecurity | None = None


class VehicleTelemetry(WireModel):
    """``bad`` for a while after the vehicle sent an impossible value (which was dropped)."""

    status: Literal["ok", "bad"]
    rejected: int = Field(description="impossible values dropped since the vehicle was heard")
    last_field: str | None


class VehicleSafety(WireModel):
    """The safety watch's reach-the-shore margin of a flying vehicle (issue 16)."""

    margin_min: float | None = Field(
        description="minutes of flight left after the return to return_to; null: none reachable"
    )
    margin_pct: float | None = Field(description="battery % left over the reserve after it")
    return_to: str | None = Field(description="the cheapest landable point: station, rally N")
    wind_source: Literal["vehicle", "configured"] = Field(
        description="the wind counted: the vehicle's WIND estimate or the configured value"
    )
    returning: str | None = Field(description="why the station commanded the return, if it did")
    pnr_lat_deg: float | None = Field(
        None, description="point of no return along the patrol's route (null: none, no route)"
    )
    pnr_lon_deg: float | None = None


class CommandedBy(WireModel):
    """Another station commands the vehicle (handed over to it, or a guest of this station
    never handed here): this station only watches it (docs/federation.md, Handover)."""

    station: str | None = Field(
        description="the commanding station's id; null: another station, not known which"
    )


class VehicleFrame(WireModel):
    """A vehicle's latest state (``vehicle.frame``, an entry of ``vehicle.frames`` and of the
    snapshot's ``vehicles``). Null: not known (never heard, or not sent by the vehicle)."""

    sysid: int = Field(ge=1, le=255, description="MAVLink system id")
    vehicle_id: int | None = Field(description="registry id; null: heard, not registered")
    name: str | None
    lat_deg: float | None
    lon_deg: float | None
    alt_rel_m: float | None = Field(description="above home")
    alt_msl_m: float | None
    heading_deg: float | None
    speed_m_s: float | None
    battery_pct: float | None
    voltage_v: float | None
    mode: str | None
    armed: bool | None
    gps_fix: int | None
    landed_state: str | None
    mission_seq: int | None = Field(description="the mission item the vehicle flies to")
    paused: bool | None = Field(
        None,
        description="holding after a pause (sent by any station's pilot, or reported by the "
        "vehicle) until a continue, a mode change or a disarm; null: not heard",
    )
    link: VehicleLink
    telemetry: VehicleTelemetry | None
    safety: VehicleSafety | None = Field(None, description="margin (armed, with a site)")
    satellites: int | None = Field(None, description="GPS satellites visible")
    hdop: float | None = Field(None, description="GPS horizontal dilution of precision")
    home_lat_deg: float | None = Field(None, description="the vehicle's home (HOME_POSITION)")
    home_lon_deg: float | None = None
    mission_total: int | None = Field(None, description="items in the vehicle's mission")
    flight_time_s: float | None = Field(None, description="armed for, on the vehicle's clock")
    wind_speed_m_s: float | None = Field(None, description="the vehicle's WIND estimate")
    wind_dir_deg: float | None = Field(None, description="where the wind comes from, 0-360")
    radio_rssi_pct: float | None = Field(
        None, description="RADIO_STATUS (sent with the vehicle's system id) local signal, %"
    )
    radio_remrssi_pct: float | None = Field(None, description="RADIO_STATUS remote signal, %")
    commanded_by: CommandedBy | None = Field(
        None,
        description="another station commands the vehicle (this one sends it only what "
        "watches it); null: this station commands it",
    )

    @classmethod
    def offline(
        cls,
        sysid: int,
        vehicle_id: int | None,
        name: str | None,
        commanded_by: CommandedBy | None = None,
    ) -> VehicleFrame:
        """A registered vehicle the station has not heard (or has no link to hear it with)."""
        return cls(
            sysid=sysid,
            vehicle_id=vehicle_id,
            name=name,
            lat_deg=None,
            lon_deg=None,
            alt_rel_m=None,
            alt_msl_m=None,
            heading_deg=None,
            speed_m_s=None,
            battery_pct=None,
            voltage_v=None,
            mode=None,
            armed=None,
            gps_fix=None,
            landed_state=None,
            mission_seq=None,
            paused=None,
            link=VehicleLink(status="offline"),
            telemetry=None,
            safety=None,
            satellites=None,
            hdop=None,
            home_lat_deg=None,
            home_lon_deg=None,
            mission_total=None,
            flight_time_s=None,
            wind_speed_m_s=None,
            wind_dir_deg=None,
            radio_rssi_pct=None,
            radio_remrssi_pct=None,
            commanded_by=commanded_by,
        )


class PatrolStatus(WireModel):
    """A patrol's state (``patrol.state``, and the snapshot's ``patrols``)."""

    id: int
    plan_id: int
    sortie: int = Field(ge=1, description="the plan's sortie this patrol flies, from 1")
    vehicle_id: int | None
    state: str
    from_state: str | None = Field(None, description="the state it left (events only)")
    reason: str = Field(description="the cause of the last transition, in English")
    reason_code: str = Field(
        "", description="the cause as a code for the page to translate ('': none known)"
    )
    reason_params: dict[str, Any] = Field(
        default_factory=dict, description="the code's parameters (JSON values)"
    )
    last_item_reached: int


class PatrolProgress(WireModel):
    """A flying patrol reached a mission item (``patrol.progress``)."""

    id: int
    last_item_reached: int
    items: int
    distance_m: float
    covered_frac: float = Field(ge=0, le=1)


class Alert(WireModel):
    """Something a person should look at now (``alert``). Besides the fields below, an alert
    carries details named after what they are (``field``, ``reason``, ``schedule_id`` ...)."""

    model_config = ConfigDict(extra="allow")

    level: AlertLevel
    text: str
    kind: str | None = Field(None, description="what happened: link_lost, bad_telemetry ...")
    sysid: int | None = Field(None, description="the vehicle it is about")
    patrol_id: int | None = Field(None, description="the patrol it is about")
    id: int | None = Field(None, description="a stored alert's id (the safety watch's)")
    text_zh: str | None = Field(None, description="the reason in Chinese (stored alerts)")
    reason_code: str | None = Field(
        None, description="why, as a code for the page to translate (groundstation.reasons)"
    )
    reason_params: dict[str, Any] | None = Field(None, description="the code's parameters")
    open: bool | None = Field(
        None, description="stored alerts: true until acknowledged; a repeat carries the same id"
    )


class HeardVehicle(WireModel):
    """A system that sent heartbeats but that no pilot has accepted (snapshot's
    ``unknown_vehicles``)."""

    sysid: int
    compid: int
    link_url: str
    address: str
    first_heard_unix: float
    last_heard_unix: float
    heartbeats: int
    mav_type: int
    autopilot: int
    signed: bool


RecordingReason = Literal["settings", "pilot", "disk_full", "offline"]


class RecordingState(WireModel):
    """A drone's video recording started or stopped (``video.recording``), and why; also each
    camera's ``recording_state`` in ``GET /api/video/cameras``."""

    sysid: int = Field(ge=1, le=255, description="MAVLink system id")
    recording: bool
    reason: RecordingReason = Field(
        description="settings: as the settings say (video.record), no pilot chose; pilot: as "
        "a pilot chose (chosen_by, chosen_at); disk_full: the station could not write the "
        "recording (disk or quota full; error says what the system said); offline: the drone's "
        "link was lost (it starts again when the drone is back)"
    )
    chosen_by: str | None = Field(
        None, description="the pilot whose start or stop holds over the settings; null: none"
    )
    chosen_at: datetime | None = Field(None, description="when that pilot chose")
    error: str | None = Field(None, description="disk_full: the system's error, in English")
