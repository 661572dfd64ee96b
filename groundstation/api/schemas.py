"""The API's pydantic models, one per direction: ``…Create`` in, ``…Update`` in, ``…Public`` out.

Table rows never leave the API as they are: each ``…Public`` has a ``from_row`` that copies only
the fields meant to be seen (a user's password hash never is).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from groundstation.api.inputs import Id, InputModel
from groundstation.db import models
from groundstation.telemetry.messages import VehicleSafety

T = TypeVar("T")

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[\w.@-]+$"),
]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS84 latitude, degrees")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS84 longitude, degrees")]


class Page(BaseModel, Generic[T]):
    """A list answer: the items and how many there are in all (before limit/offset)."""

    data: list[T]
    count: int


# --- auth and users ------------------------------------------------------------------------------


class LoginRequest(InputModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: str = Field(min_length=8, max_length=1024)
    role: models.Role
    full_name: str = Field("", max_length=128)
    must_change_password: bool = Field(
        False,
        description="the password was made for the user (generated, read out): they must "
        "choose their own at the first sign-in",
    )


class UserUpdate(InputModel):
    model_config = ConfigDict(extra="forbid")

    role: models.Role | None = None
    full_name: str | None = Field(None, max_length=128)
    active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=1024, description="omit to keep")

    @field_validator("password", mode="before")
    @classmethod
    def _no_null_password(cls, value: object) -> object:
        if value is None:
            raise ValueError("a password cannot be null: leave the field out to keep it")
        return value


class UserPublic(BaseModel):
    id: int
    username: str
    full_name: str
    role: models.Role
    active: bool
    created_at: datetime
    #: Signed in with a password an admin set: only changing it is allowed until it is changed.
    must_change_password: bool

    @classmethod
    def from_row(cls, u: models.User) -> UserPublic:
        return cls(
            id=u.id,
            username=u.username,
            full_name=u.full_name,
            role=u.role,
            active=u.active,
            created_at=u.created_at,
            must_change_password=u.must_change_password,
        )


class PasswordReset(InputModel):
    """An admin resets a password: the new one, or none to have the station generate one."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(None, min_length=8, max_length=1024)


class PasswordChange(InputModel):
    """A user chooses their own password: the one they signed in with, and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    password: str = Field(min_length=8, max_length=1024)


class PasswordResetPublic(BaseModel):
    user: UserPublic
    #: The generated password, shown once; None when the admin chose it.
    password: str | None


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserPublic


class UnlockRequest(InputModel):
    """Lift the lockout (and back-off) of a username or of a client address."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, min_length=1, max_length=64)
    address: str | None = Field(None, min_length=1, max_length=255)


class LockoutPublic(BaseModel):
    """A username or client address refused logins for now (``locked_until`` set: locked)."""

    kind: str
    key: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None
    locked_until: datetime | None

    @classmethod
    def from_row(cls, r: models.LoginThrottle) -> LockoutPublic:
        return cls(
            kind=r.kind,
            key=r.key,
            failures=r.failures,
            last_failure_at=r.last_failure_at,
            blocked_until=r.blocked_until,
            locked_until=r.locked_until,
        )


# --- vehicles ------------------------------------------------------------------------------------


class VehicleCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    sysid: int = Field(ge=1, le=254, description="MAVLink system id")
    name: str = Field(min_length=1, max_length=64)
    airframe: str = Field("quadcopter", max_length=64)
    battery_model: str = Field("", max_length=64)
    battery_capacity_mah: int | None = Field(None, gt=0, le=1_000_000)
    endurance_s: float | None = Field(None, gt=0, le=86_400, description="seconds of flight")
    capabilities: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, description="e.g. camera, thermal, speaker, spotlight"
    )
    notes: str = Field("", max_length=2000)


class VehicleUpdate(InputModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=64)
    airframe: str | None = Field(None, max_length=64)
    battery_model: str | None = Field(None, max_length=64)
    battery_capacity_mah: int | None = Field(None, gt=0, le=1_000_000)
    endurance_s: float | None = Field(None, gt=0, le=86_400, description="seconds of flight")
    capabilities: list[Annotated[str, StringConstraints(max_length=32)]] | None = None
    notes: str | None = Field(None, max_length=2000)


class VehiclePublic(BaseModel):
    id: int
    sysid: int
    name: str
    airframe: str
    battery_model: str
    battery_capacity_mah: int | None
    endurance_s: float | None
    capabilities: list[str]
    notes: str
    created_at: datetime
    signing_generation: int | None = Field(
        None, description="MAVLink signing key generation; null = not enrolled"
    )
    signing_enrolled_at: datetime | None = None

    @classmethod
    def from_row(cls, v: models.Vehicle) -> VehiclePublic:
        return cls(
            id=v.id,
            sysid=v.sysid,
            name=v.name,
            airframe=v.airframe,
            battery_model=v.battery_model,
            battery_capacity_mah=v.battery_capacity_mah,
            endurance_s=v.endurance_s,
            capabilities=[str(c) for c in v.capabilities],
            notes=v.notes,
            created_at=v.created_at,
            signing_generation=v.signing_generation,
            signing_enrolled_at=v.signing_enrolled_at,
        )


class LinkHealthPublic(BaseModel):
    status: Literal["ok", "degraded", "lost"]
    last_heard_s: float
    loss_pct: float


class TelemetryHealthPublic(BaseModel):
    """``bad`` for a while after the vehicle sent an impossible value (which was dropped)."""

    status: Literal["ok", "bad"]
    rejected: int = Field(description="impossible values dropped since the vehicle was heard")
    last_field: str | None


class VehicleLivePublic(BaseModel):
    """A heard vehicle's live state, as in the live stream's ``vehicle.frame``."""

    sysid: int
    vehicle_id: int | None
    name: str | None
    lat_deg: float | None
    lon_deg: float | None
    alt_rel_m: float | None
    alt_msl_m: float | None
    heading_deg: float | None
    speed_m_s: float | None
    battery_pct: float | None
    voltage_v: float | None
    mode: str
    armed: bool
    gps_fix: int
    landed_state: str
    mission_seq: int | None
    paused: bool = Field(False, description="holding after a pause until continued")
    link: LinkHealthPublic
    telemetry: TelemetryHealthPublic
    safety: VehicleSafety | None = None


# --- incidents -----------------------------------------------------------------------------------


class IncidentCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    type: models.IncidentType
    lat_deg: Latitude
    lon_deg: Longitude
    description: str = Field("", max_length=4000)
    patrol_id: Id | None = None
    vehicle_id: Id | None = None


class IncidentUpdate(InputModel):
    """Change status, assignee or description. Assigning someone moves an open incident to
    ``assigned``; ``assigned_to: null`` on an assigned incident sends it back to ``open``."""

    model_config = ConfigDict(extra="forbid")

    status: models.IncidentStatus | None = None
    assigned_to: Id | None = None
    description: str | None = Field(None, max_length=4000)
    type: models.IncidentType | None = None


class AttachmentPublic(BaseModel):
    id: int
    incident_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    lat_deg: float | None
    lon_deg: float | None
    uploaded_by: int | None
    created_at: datetime
    url: str

    @classmethod
    def from_row(cls, a: models.Attachment) -> AttachmentPublic:
        return cls(
            id=a.id,
            incident_id=a.incident_id,
            filename=a.filename,
            content_type=a.content_type,
            size_bytes=a.size_bytes,
            sha256=a.sha256,
            lat_deg=a.lat_deg,
            lon_deg=a.lon_deg,
            uploaded_by=a.uploaded_by,
            created_at=a.created_at,
            url=f"/api/incidents/{a.incident_id}/attachments/{a.id}",
        )


class IncidentPublic(BaseModel):
    id: int
    type: models.IncidentType
    status: models.IncidentStatus
    lat_deg: float
    lon_deg: float
    description: str
    reported_by: int | None
    assigned_to: int | None
    patrol_id: int | None
    vehicle_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    #: under legal hold (admins only set and lift it)
    held: bool = False
    attachments: list[AttachmentPublic] = Field(default_factory=list)

    @classmethod
    def from_row(
        cls, i: models.Incident, attachments: list[models.Attachment] | None = None
    ) -> IncidentPublic:
        return cls(
            id=i.id,
            type=i.type,
            status=i.status,
            lat_deg=i.lat_deg,
            lon_deg=i.lon_deg,
            description=i.description,
            reported_by=i.reported_by,
            assigned_to=i.assigned_to,
            patrol_id=i.patrol_id,
            vehicle_id=i.vehicle_id,
            created_at=i.created_at,
            updated_at=i.updated_at,
            resolved_at=i.resolved_at,
            held=bool(i.held),
            attachments=[AttachmentPublic.from_row(a) for a in attachments or []],
        )


# --- audit ---------------------------------------------------------------------------------------


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    username: str
    vehicle_id: int | None
    vehicle_sysid: int | None
    command: str
    params: dict[str, Any]
    result: str

    @classmethod
    def from_row(cls, e: models.AuditEntry) -> AuditEntryPublic:
        return cls(
            id=e.id,
            at=e.at,
            user_id=e.user_id,
            username=e.username,
            vehicle_id=e.vehicle_id,
            vehicle_sysid=e.vehicle_sysid,
            command=e.command,
            params=dict(e.params),
            result=e.result,
        )


# --- sites ---------------------------------------------------------------------------------------


class LayerSummary(BaseModel):
    name: str
    features: int
    url: str


class SitePublic(BaseModel):
    id: int
    name: str
    crs: str
    station_lon_deg: float | None
    station_lat_deg: float | None
    bbox: list[float] = Field(description="[west, south, east, north] in degrees")
    layers: list[LayerSummary]
    warnings: list[str]
    rally_points: list[tuple[float, float]] = Field(
        default_factory=list,
        description="landable points on shore besides the station, (lon, lat) in degrees "
        "(the safety settings' rally points)",
    )
