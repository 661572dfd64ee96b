"""The store's tables as SQLAlchemy 2.0 typed models.

One model per table; no behaviour beyond defaults. Enumerations are stored as short strings
(portable between SQLite and PostgreSQL, readable in a SQL shell) and validated at the API edge.
Track points are not one row each: see :mod:`groundstation.db.track` for the chunked encoding.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from groundstation.db.types import UTCDateTime, utcnow

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Role(enum.StrEnum):
    """What a user may do: admin (users, audit), pilot (drones, patrols), officer (incidents)."""

    ADMIN = "admin"
    PILOT = "pilot"
    OFFICER = "officer"


class IncidentType(enum.StrEnum):
    ILLEGAL_FISHING = "illegal_fishing"
    ILLEGAL_SAND_MINING = "illegal_sand_mining"
    POLLUTION_DISCHARGE = "pollution_discharge"
    FIRE_OR_SMOKE = "fire_or_smoke"
    DROWNING_RISK = "drowning_risk"
    ILLEGAL_DUMPING = "illegal_dumping"
    POACHING = "poaching"
    THEFT = "theft"
    OTHER = "other"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class PatrolState(enum.StrEnum):
    """The patrol lifecycle; ``aborted`` and ``failed`` are reachable from every state."""

    PLANNED = "planned"
    PREFLIGHT = "preflight"
    UPLOADING = "uploading"
    LAUNCHING = "launching"
    FLYING = "flying"
    RETURNING = "returning"
    LANDED = "landed"
    REPORTED = "reported"
    ABORTED = "aborted"
    FAILED = "failed"


#: States a patrol never leaves.
TERMINAL_PATROL_STATES = frozenset({PatrolState.REPORTED, PatrolState.ABORTED, PatrolState.FAILED})


def _str_enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[Role] = mapped_column(_str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: In every token issued; bumped by a logout and a change of password, role or active flag,
    #: which revokes the tokens issued before.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when an admin resets the password or creates the user with a generated one: until
    #: the user chooses their own, their tokens allow only that (``api.deps.current_user``).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class LoginThrottle(Base):
    """Failed logins of one username or one client address (``kind`` user or address).

    Usernames nobody has are counted too, so a lockout says nothing about who exists.
    ``blocked_until`` is the back-off after the latest failure; ``locked_until`` a lockout.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_login_throttle_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class Vehicle(Base):
    """A known drone. Its live state comes from the link, not from this table."""

    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    sysid: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    airframe: Mapped[str] = mapped_column(String(64), default="quadcopter")
    battery_model: Mapped[str] = mapped_column(String(64), default="")
    battery_capacity_mah: Mapped[int | None] = mapped_column(Integer)
    endurance_s: Mapped[float | None] = mapped_column(Float)
    capabilities: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: MAVLink signing key generation (its key is derived from the station key with it);
    #: None = never enrolled. Bumped at every enrolment and rotation.
    signing_generation: Mapped[int | None] = mapped_column(Integer)
    signing_enrolled_at: Mapped[datetime | None] = mapped_column()


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(Text, default="")
    crs: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Plan(Base):
    """A planned route: kind, the parameters it was made from, the route, mission items, stats."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    route: Mapped[dict[str, Any]] = mapped_column(default=dict)  # GeoJSON FeatureCollection
    mission_items: Mapped[list[Any]] = mapped_column(default=list)
    #: one small row per sortie (see `summarise_sorties`), kept with `mission_items`, so the plan
    #: list never loads the routes and items (a whole-zone plan's are hundreds of KB)
    sortie_summaries: Mapped[list[Any]] = mapped_column(default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("mission_items")
    def _keep_summaries(self, _key: str, sorties: list[Any]) -> list[Any]:
        self.sortie_summaries = summarise_sorties(sorties)
        return sorties


def summarise_sorties(sorties: list[Any]) -> list[dict[str, Any]]:
    """Per sortie: its drone (from 0), length, duration, mission and fence item counts."""
    return [
        {
            "drone": int(s["drone"]),
            "length_m": float(s["length_m"]),
            "duration_s": float(s["duration_s"]),
            "mission_items": len(s["items"]),
            "fence_items": len(s.get("fence", [])),
        }
        for s in sorties
    ]


class Patrol(Base):
    """One sortie of a plan flown by one vehicle; ``state`` is the lifecycle state."""

    __tablename__ = "patrols"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    sortie: Mapped[int] = mapped_column(Integer, default=0)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default=PatrolState.PLANNED.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the last transition's reason as a code and its parameters (``groundstation.reasons``)
    reason_code: Mapped[str] = mapped_column(String(48), default="", server_default="")
    reason_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_item_reached: Mapped[int] = mapped_column(Integer, default=-1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class PatrolTransition(Base):
    """One step of a patrol's state machine, with its time and cause."""

    __tablename__ = "patrol_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    cause: Mapped[str] = mapped_column(Text, default="")
    cause_code: Mapped[str] = mapped_column(String(48), default="", server_default="")
    cause_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PatrolEvent(Base):
    """Something that happened during a patrol: item reached, link lost, RTL, fence breach ..."""

    __tablename__ = "patrol_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="info")
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TrackChunk(Base):
    """Up to a few hundred consecutive track points of one vehicle, packed (see db.track)."""

    __tablename__ = "track_chunks"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "t0", name="uq_track_chunks_vehicle_t0"),
        Index("ix_track_chunks_patrol_t0", "patrol_id", "t0"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"))
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"))
    t0: Mapped[datetime]
    t1: Mapped[datetime]
    n_points: Mapped[int] = mapped_column(Integer)
    gap_before: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Flight(Base):
    """One flight of a vehicle (arming to landing), written as it happens (about once a second).

    The battery at arming, the distance flown and the battery used, split into cruise (moving
    at least ``flight_log.CRUISE_MIN_M_S``) and hover (the rest of the time armed): what a
    patrol report states and what the station learns the vehicle's consumption from. The
    airframe is copied at arming, so what was learned stays with the airframe that flew.
    ``mission_seq``, ``last_lat_deg``/``last_lon_deg`` and ``last_boot_s`` are where the flight
    was at the last write: a station restarting mid-flight continues from there.
    """

    __tablename__ = "flights"
    __table_args__ = (Index("ix_flights_vehicle_armed", "vehicle_id", "armed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"))
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrols.id", ondelete="SET NULL"), index=True
    )
    airframe: Mapped[str] = mapped_column(String(64), default="")
    armed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    landed_at: Mapped[datetime | None]
    battery_start_pct: Mapped[float | None] = mapped_column(Float)
    battery_end_pct: Mapped[float | None] = mapped_column(Float)
    consumed_start_mah: Mapped[float | None] = mapped_column(Float)
    consumed_end_mah: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    flight_s: Mapped[float] = mapped_column(Float, default=0.0)
    hover_s: Mapped[float] = mapped_column(Float, default=0.0)
    hover_pct: Mapped[float] = mapped_column(Float, default=0.0)
    hover_mah: Mapped[float] = mapped_column(Float, default=0.0)
    cruise_s: Mapped[float] = mapped_column(Float, default=0.0)
    cruise_m: Mapped[float] = mapped_column(Float, default=0.0)
    cruise_pct: Mapped[float] = mapped_column(Float, default=0.0)
    cruise_mah: Mapped[float] = mapped_column(Float, default=0.0)
    mission_seq: Mapped[int | None] = mapped_column(Integer)
    last_lat_deg: Mapped[float | None] = mapped_column(Float)
    last_lon_deg: Mapped[float | None] = mapped_column(Float)
    #: the vehicle's own clock (time since boot) at the last write: flight times are the
    #: vehicle's, so a simulator at 10x speed-up learns its rates per simulated minute
    last_boot_s: Mapped[float | None] = mapped_column(Float)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[IncidentType] = mapped_column(_str_enum(IncidentType))
    status: Mapped[IncidentStatus] = mapped_column(
        _str_enum(IncidentStatus), default=IncidentStatus.OPEN, index=True
    )
    lat_deg: Mapped[float] = mapped_column(Float)
    lon_deg: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    #: under legal hold (set and lifted by admins, audited); an incident that is held or has
    #: photos is never deleted (a database trigger refuses, see migration 0013)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    held_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_at: Mapped[datetime | None]
    hold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class Attachment(Base):
    """A photo of an incident. The bytes are deferred: listing attachments never loads them."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    lat_deg: Mapped[float | None] = mapped_column(Float)
    lon_deg: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Report(Base):
    """The facts of a finished patrol (track summary, photo positions, events, incidents)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(
        ForeignKey("patrols.id", ondelete="CASCADE"), unique=True
    )
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Schedule(Base):
    """A plan flown automatically: a cron expression or a list of times, in a local time zone.

    ``cron`` is empty when ``times`` ("HH:MM" each) is used. ``start_date`` / ``end_date``
    ("YYYY-MM-DD", inclusive) and ``months`` (1-12, the season) limit when it fires;
    ``vehicle_pool`` lists the vehicle ids it may fly (empty: ``vehicle_id``, else any).
    ``policy`` is ``skip`` (a run that cannot start is skipped) or ``retry`` (tried again
    every ``retry_every_s`` until ``retry_window_s`` after it was due). ``replan`` makes the
    plan a template: each run plans afresh from its parameters on the current site.
    """

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    cron: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    name: Mapped[str] = mapped_column(String(128), default="")
    times: Mapped[list[Any]] = mapped_column(default=list)
    start_date: Mapped[str | None] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))
    months: Mapped[list[Any]] = mapped_column(default=list)
    vehicle_pool: Mapped[list[Any]] = mapped_column(default=list)
    policy: Mapped[str] = mapped_column(String(16), default="skip")
    retry_window_s: Mapped[int] = mapped_column(Integer, default=1800)
    retry_every_s: Mapped[int] = mapped_column(Integer, default=300)
    replan: Mapped[bool] = mapped_column(Boolean, default=False)


class ScheduleRun(Base):
    """One firing of a schedule: started (with its patrol), delayed, skipped or failed, and why."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the reason as a code and its parameters (``groundstation.reasons``)
    reason_code: Mapped[str] = mapped_column(String(48), default="", server_default="")
    reason_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """Something a user or the station did. User and vehicle names are copied so the entry
    outlives them.

    ``seq`` numbers the rows 1, 2, 3 ... and ``row_hash`` covers the row's content and
    ``prev_hash``, the hash of row ``seq - 1`` (see :mod:`groundstation.evidence.chain`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_log_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    vehicle_sysid: Mapped[int | None] = mapped_column(Integer)
    command: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[str] = mapped_column(String(255))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The one row (id 1) every audit append updates first: the lock that serialises appends
    (a row lock on PostgreSQL, the write lock on SQLite), the last number and the last hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The station's Ed25519 signature over the audit chain's row ``seq`` and its hash."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    key_fingerprint: Mapped[str] = mapped_column(String(80))
    signature: Mapped[str] = mapped_column(String(128))


class Alert(Base):
    """Something wrong with a vehicle, kept open until a user acknowledges it.

    One open alert per vehicle and kind: a repeat while it is open updates it (``count``,
    ``last_at``, a higher ``level``) instead of adding a row. ``cleared_at`` is when the
    condition went away; the alert still waits for an acknowledgement.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "sysid", "kind", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sysid: Mapped[int | None] = mapped_column(Integer)
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicles.id", ondelete="SET NULL"), index=True
    )
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrols.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_zh: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(Integer, default=1)
    cleared_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(64))
    ack_note: Mapped[str] = mapped_column(Text, default="")


class CameraPhoto(Base):
    """A photo a vehicle's camera took and the station fetched; the JPEG is a file on disk
    (``photos/<sha256>.jpg`` in the data folder), named and checked by its hash."""

    __tablename__ = "camera_photos"
    __table_args__ = (UniqueConstraint("sysid", "image_index", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sysid: Mapped[int] = mapped_column(Integer, index=True)
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrols.id", ondelete="SET NULL"), index=True
    )
    image_index: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column()
    #: where the vehicle said (CAMERA_IMAGE_CAPTURED) and where the JPEG's EXIF says
    lat_deg: Mapped[float | None] = mapped_column(Float)
    lon_deg: Mapped[float | None] = mapped_column(Float)
    alt_msl_m: Mapped[float | None] = mapped_column(Float)
    exif_lat_deg: Mapped[float | None] = mapped_column(Float)
    exif_lon_deg: Mapped[float | None] = mapped_column(Float)
    exif_alt_m: Mapped[float | None] = mapped_column(Float)
    source_url: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(512))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class VideoSegment(Base):
    """A recorded piece of a vehicle's video: an MP4 file on disk and its SHA-256."""

    __tablename__ = "video_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sysid: Mapped[int] = mapped_column(Integer, index=True)
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrols.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime] = mapped_column()
    frames: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(512))


class RecordingChoice(Base):
    """A pilot's start or stop of a drone's video recording, which holds over the settings'
    ``video.record`` (across restarts) until a pilot chooses again. One row per drone."""

    __tablename__ = "recording_choices"

    sysid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recording: Mapped[bool] = mapped_column(Boolean)
    chosen_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    chosen_by_name: Mapped[str] = mapped_column(String(128))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)
