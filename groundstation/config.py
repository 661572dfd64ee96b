"""Station settings: one `Settings` object, read from `ECOPATROL_*` environment variables.

Nothing is read at import time: `create_app(settings)` builds a `Settings()` only when none is
passed, so tests hand in their own. Nested groups use a double underscore in the environment,
for example ``ECOPATROL_DB__URL`` or ``ECOPATROL_LINK__MAVLINK='["udpin://0.0.0.0:14550"]'``.

>>> s = Settings(data_dir="/tmp/x", db=DbSettings(url="sqlite:////tmp/x/a.db"))
>>> s.db.async_url
'sqlite+aiosqlite:////tmp/x/a.db'
>>> s.db.sync_url
'sqlite:////tmp/x/a.db'
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from groundstation.errors import ConfigError, InvalidRequest
from groundstation.freshness.grid import (
    DEFAULT_CELL_M,
    DEFAULT_HFOV_DEG,
    DEFAULT_MAX_GAP_S,
    DEFAULT_MIN_ALT_M,
)
from groundstation.safety.config import SafetySettings
from groundstation.video.settings import VideoSettings
from groundstation.weather.settings import WeatherSettings
from groundstation.web.basemap_settings import BasemapSettings

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
_SYNC_DRIVERS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}


def _split_scheme(url: str) -> tuple[str, str]:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"database URL {url!r} has no scheme (expected sqlite:/// or postgresql://)"
        )
    backend = scheme.split("+", 1)[0]
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(f"database URL {url!r}: unsupported backend {backend!r}")
    return backend, rest


#: the fleet's telemetry logs, in the data dir (``link.tlog``)
TLOG_DIR = "tlogs"


def default_data_dir() -> Path:
    """Where the station keeps its database, secret and files when nothing else is configured."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ecopatrol"


class LinkSettings(BaseModel):
    """The MAVLink side: endpoints to open and the station's own identity on the link."""

    mavlink: list[str] = Field(
        default_factory=list, description="endpoints, e.g. udpin://0.0.0.0:14550"
    )
    system_id: int = Field(255, ge=1, le=255, description="the station's MAVLink system id")
    heartbeat_s: float = Field(1.0, gt=0)
    link_lost_s: float = Field(5.0, gt=0, description="silence after which a vehicle is lost")
    reconnect_first_s: float = Field(
        0.25, gt=0, description="a dropped TCP link's first reconnect wait (doubling each time)"
    )
    reconnect_max_s: float = Field(5.0, gt=0, description="the longest wait between reconnects")
    require_signing: bool = Field(
        True,
        description="vehicles get commands only once enrolled for MAVLink 2 signing; false ="
        " an unsigned fleet (vehicles that cannot sign), by explicit choice",
    )
    signing_key: SecretStr | None = Field(
        None,
        description="station signing key, 64 hex digits; None = generated once and kept in"
        " the data dir (mavlink-signing-key, mode 0600). Vehicle keys are derived from it.",
    )
    rebind_after_s: float = Field(
        30.0,
        gt=0,
        description="a vehicle heard from a new address is followed there without a pilot's"
        " confirmation only once its old address has been silent this long",
    )
    tlog: bool = Field(
        False,
        description="record every MAVLink frame in and out, one .tlog per vehicle per UTC day in"
        " data_dir/tlogs (they grow with the telemetry rate and the station never deletes"
        " them); evidence packets then carry the slice around an incident",
    )

    @field_validator("signing_key")
    @classmethod
    def _hex_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            try:
                key = bytes.fromhex(v.get_secret_value())
            except ValueError:
                raise ValueError("the signing key must be 64 hexadecimal digits") from None
            if len(key) != 32:
                raise ValueError(f"the signing key must be 32 bytes, got {len(key)}")
        return v


class LoginSettings(BaseModel):
    """Throttling of failed logins, per username and per client address.

    After ``free_failures`` failures in a row, each further one makes the next attempt wait
    ``backoff_base_s`` doubled per failure (at most ``backoff_max_s``); at ``*_lockout_after``
    failures the username or address is locked for ``lockout_s`` or until an admin unlocks it.
    Failures are forgotten after ``forget_after_s`` without one (a lockout is not).
    """

    free_failures: int = Field(3, ge=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(300.0, ge=0)
    user_lockout_after: int = Field(10, ge=1)
    address_lockout_after: int = Field(50, ge=1)
    lockout_s: float = Field(3600.0, gt=0)
    forget_after_s: float = Field(900.0, gt=0)


class PlanningSettings(BaseModel):
    """The planning workers: how many, how many plans per user at once, how long a plan may take."""

    workers: int = Field(1, ge=1, le=64, description="worker processes (1 leaves a core free)")
    per_user: int = Field(2, ge=1, le=64, description="plans one user may have under way at once")
    time_limit_s: float = Field(120.0, gt=0, le=3600, description="a plan is stopped after this")
    max_tasks_per_worker: int = Field(
        20, ge=1, description="a worker is replaced after this many plans (frees its memory)"
    )


class PatrolSettings(BaseModel):
    """The patrol lifecycle's tunables (``ECOPATROL_PATROL__*``)."""

    wind_m_s: float | None = Field(None, ge=0, description="wind for preflight; None = unknown")
    wind_limit_m_s: float = Field(10.0, gt=0)
    track_interval_s: float = Field(0.2, ge=0, description="least time between track points")
    reattach_timeout_s: float = Field(120.0, gt=0)
    turnaround_s: float = Field(2.0, ge=0, description="pause between sorties of a sequence")
    learn_min_flights: int = Field(
        3, ge=1, description="flights before a vehicle's battery use is learned from them"
    )
    learn_min_minutes: float = Field(
        10.0, ge=0, description="minutes of flight before battery use is learned from them"
    )
    return_reserve_pct: float = Field(
        10.0, ge=0, le=100, description="% over the way home's need at which a patrol returns"
    )


class ScheduleSettings(BaseModel):
    """Unattended launches (``ECOPATROL_SCHEDULE__*``)."""

    min_battery_pct: float = Field(60.0, ge=0, le=100)
    wind_limit_m_s: float = Field(10.0, gt=0)
    check_daylight: bool = True
    misfire_grace_s: int = Field(60, ge=1)


class FreshnessSettings(BaseModel):
    """The freshness grid: cell size, the patrol area it covers and the camera model of the
    sweep (``ECOPATROL_FRESHNESS__*``).

    >>> FreshnessSettings(cell_m=100).cell_m
    100.0
    """

    cell_m: float = Field(DEFAULT_CELL_M, gt=0, le=5000)
    area: str | None = Field(None, description="patrol area zone_id; None = patrol_zone or all")
    hfov_deg: float = Field(DEFAULT_HFOV_DEG, gt=0, lt=180, description="camera field of view")
    min_alt_m: float = Field(DEFAULT_MIN_ALT_M, ge=0, description="lower track points see nothing")
    max_gap_s: float = Field(DEFAULT_MAX_GAP_S, gt=0, description="longer gaps are not swept")
    max_age_h: float = Field(24.0, gt=0, description="older than this is 'not seen' (red)")
    refresh_s: float = Field(10.0, gt=0, description="how often new track chunks are swept")


class ReportsSettings(BaseModel):
    """Where reports notify, and how often ended patrols are looked for
    (``ECOPATROL_REPORTS__*``)."""

    webhook_url: str | None = Field(None, description="POST every notice here as JSON")
    webhook_timeout_s: float = Field(5.0, gt=0)
    poll_s: float = Field(2.0, gt=0, description="how often ended patrols are looked for")


class SimSettings(BaseModel):
    """The simulated fleet started by the demo (never in a real deployment)."""

    vehicles: int = Field(0, ge=0, description="simulated vehicles to start; 0 = none")
    speedup: float = Field(1.0, gt=0, description="simulated seconds per real second")


class EvidenceSettings(BaseModel):
    """The audit chain's signed checkpoints and evidence packets (issue 19)."""

    key_file: Path | None = Field(
        None,
        description="the station's Ed25519 evidence key (PKCS#8 PEM); None = generated once"
        " into the data dir (evidence-signing-key.pem, mode 0600)",
    )
    checkpoint_every_s: float = Field(
        60.0, gt=0, description="how often the audit chain's head is signed (if it moved)"
    )
    station_name: str = Field(
        "", max_length=128, description="named in packets and on their cover; empty = host name"
    )
    track_margin_s: float = Field(
        600.0, ge=0, description="an evidence packet's track: this long either side of the incident"
    )

    def tlog_dir(self, data_dir: Path) -> Path | None:
        """Where the fleet's ``.tlog`` files are (``data_dir/tlogs``), None if there are none."""
        path = data_dir / TLOG_DIR
        return path if path.is_dir() else None

    def journal_path(self, data_dir: Path) -> Path:
        """The file every audit checkpoint is also appended to."""
        from groundstation.evidence.journal import JOURNAL_FILE

        return data_dir / JOURNAL_FILE

    def key_path(self, data_dir: Path) -> Path:
        """Where the key is: `key_file`, else in `data_dir`."""
        from groundstation.evidence.keys import KEY_FILE

        return self.key_file if self.key_file is not None else data_dir / KEY_FILE


class FederationSettings(BaseModel):
    """Joining a command centre through an MQTT broker (docs/federation.md). Off by default."""

    enabled: bool = False
    station_id: str = Field(
        "station", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="topic prefix and login"
    )
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(8883, ge=1, le=65535)
    password: SecretStr | None = Field(None, description="the station's broker password")
    ca_file: Path | None = Field(None, description="CA that signed the broker's certificate")
    frame_rate_hz: float = Field(
        1.0, gt=0, le=10, description="vehicle frames per vehicle sent to the centre"
    )
    accept_commands: bool = Field(
        True, description="a pilot is on duty: the centre's commands may be carried out"
    )
    reconnect_max_s: float = Field(10.0, gt=0, description="longest wait between reconnects")
    send_rate_max_hz: float = Field(
        500.0,
        ge=0,
        description="most events a second sent to the broker: a backlog after an outage goes"
        " at this pace, not ahead of every other station's live frames (0: no limit)",
    )
    command_max_age_s: float = Field(
        60.0, gt=0, description="older centre commands (queued while offline) are refused"
    )
    freshness_every_s: float = Field(
        300.0, gt=0, description="how often the freshness classes are sent if they changed"
    )
    guest_sysids: list[int] = Field(
        default_factory=list,
        description="other stations' drones this station hears: it commands none of them"
        " until one is handed over to it",
    )
    zone_lat_deg: float | None = Field(None, ge=-90, le=90, description="the zone's centre")
    zone_lon_deg: float | None = Field(None, ge=-180, le=180)
    zone_radius_m: float | None = Field(
        None, gt=0, description="the zone's edge; None: no handovers offered by distance"
    )
    neighbours: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description='the stations a drone may be handed to, and where: {"river-b": [lat, lon]}',
    )
    handover_margin_m: float = Field(
        300.0, ge=0, description="offer a drone this far inside the zone's edge"
    )
    handover_timeout_s: float = Field(
        10.0, gt=0, description="keep command if the handover is not accepted by then"
    )
    handover_retry_s: float = Field(30.0, gt=0, description="offer again after a refusal")

    @model_validator(mode="after")
    def _zone_complete(self) -> FederationSettings:
        given = [self.zone_lat_deg, self.zone_lon_deg, self.zone_radius_m]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise ValueError("zone_lat_deg, zone_lon_deg and zone_radius_m go together")
        return self


class DbSettings(BaseModel):
    """The store. `url` None means a SQLite file in the data directory."""

    url: str | None = None
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, v: str | None) -> str | None:
        if v is not None:
            _split_scheme(v)
        return v

    def _url(self, drivers: dict[str, str]) -> str:
        if self.url is None:
            raise ConfigError("database URL not resolved yet; use Settings.resolved()")
        backend, rest = _split_scheme(self.url)
        return f"{drivers[backend]}://{rest}"

    @property
    def async_url(self) -> str:
        """The URL for SQLAlchemy's async engine (aiosqlite or psycopg 3)."""
        return self._url(_ASYNC_DRIVERS)

    @property
    def sync_url(self) -> str:
        """The URL for Alembic and other synchronous tools (pysqlite or psycopg 3)."""
        return self._url(_SYNC_DRIVERS)

    @property
    def is_sqlite(self) -> bool:
        return self.url is not None and self.url.startswith("sqlite")


class Settings(BaseSettings):
    """Every setting of the station service."""

    model_config = SettingsConfigDict(
        env_prefix="ECOPATROL_",
        env_nested_delimiter="__",
        env_file=None,
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    site: Path | None = Field(None, description="site file or folder; None = packaged Longyou")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)

    jwt_secret: SecretStr | None = Field(
        None, description="token signing key; None = generated once and kept in the data dir"
    )
    token_ttl_s: int = Field(12 * 3600, gt=0)
    cors_origins: list[str] = Field(default_factory=list, description="empty = CORS closed")
    admin_username: str | None = Field(None, description="first admin, created if no admin exists")
    admin_password: SecretStr | None = None
    password_hash_profile: Literal["default", "cheapest"] = Field(
        "default", description="argon2 cost; 'cheapest' is for tests only"
    )
    max_photo_bytes: int = Field(8 * 1024 * 1024, gt=0)
    max_photo_pixels: int = Field(
        64_000_000, gt=0, description="width x height of one photo (decompression bombs)"
    )
    max_incident_photo_bytes: int = Field(
        256 * 1024 * 1024, gt=0, description="all the photos of one incident together"
    )
    max_user_photo_bytes: int = Field(
        2 * 1024 * 1024 * 1024, gt=0, description="all the photos one user uploaded together"
    )
    map_tiles: Path | None = Field(
        None,
        description="live map base tiles on this station: a z/x/y folder, an .mbtiles or a"
        " .pmtiles file (offered as the 'local' base map); None = none; more in `basemap`",
    )

    live_queue_size: int = Field(
        256, ge=4, description="events (not vehicle frames) buffered per websocket client"
    )
    live_stuck_s: float = Field(10.0, gt=0, description="a client full for this long is dropped")
    live_auth_timeout_s: float = Field(5.0, gt=0)
    live_max_rate_hz: float = Field(10.0, gt=0, description="frames per vehicle per client")
    live_batch_ms: float = Field(
        40.0, ge=0, le=1000, description="a client's vehicle frames go in batches this far apart"
    )

    login: LoginSettings = Field(default_factory=LoginSettings)
    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    patrol: PatrolSettings = Field(default_factory=PatrolSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    freshness: FreshnessSettings = Field(default_factory=FreshnessSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)
    link: LinkSettings = Field(default_factory=LinkSettings)
    sim: SimSettings = Field(default_factory=SimSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    safety: SafetySettings = Field(default_factory=SafetySettings)
    weather: WeatherSettings = Field(default_factory=WeatherSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    federation: FederationSettings = Field(default_factory=FederationSettings)
    basemap: BasemapSettings = Field(default_factory=BasemapSettings)

    @field_validator("admin_password")
    @classmethod
    def _strong_password(cls, v: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        from groundstation.password_policy import check_password

        if v is not None:
            try:
                check_password(v.get_secret_value(), info.data.get("admin_username") or "")
            except InvalidRequest as exc:
                raise ValueError(f"the admin password: {exc}") from None
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        legacy = _LegacyGroupNames(settings_cls)
        return init_settings, env_settings, legacy, dotenv_settings, file_secret_settings

    def resolved(self) -> Settings:
        """A copy with the defaults that depend on other fields filled in (the SQLite path)."""
        if self.db.url is not None:
            return self
        url = f"sqlite:///{(self.data_dir / 'ecopatrol.db').resolve()}"
        return self.model_copy(update={"db": self.db.model_copy(update={"url": url})})


#: Groups that were settings classes of their own, read from ``ECOPATROL_<GROUP>_<FIELD>``.
LEGACY_GROUPS = ("patrol", "schedule", "freshness", "reports")

log = logging.getLogger(__name__)
#: old names already warned about in this process (settings are read more than once)
_warned: set[str] = set()


class _LegacyGroupNames(PydanticBaseSettingsSource):
    """The names the `LEGACY_GROUPS` had before they joined `Settings`, with one underscore
    (``ECOPATROL_PATROL_WIND_M_S``), still read for stations configured that way; the nested
    name (``ECOPATROL_PATROL__WIND_M_S``) wins when both are set."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for group in LEGACY_GROUPS:
            prefix = f"ECOPATROL_{group.upper()}_"
            model = Settings.model_fields[group].annotation
            assert isinstance(model, type)
            assert issubclass(model, BaseModel)
            for name, value in os.environ.items():
                upper = name.upper()
                if not upper.startswith(prefix) or upper.startswith(prefix + "_"):
                    continue
                field = upper.removeprefix(prefix).lower()
                if field in model.model_fields:
                    found.setdefault(group, {})[field] = value
                    if name not in _warned:
                        _warned.add(name)
                        log.warning(
                            "%s is an old name, still read: rename it %s%s",
                            name,
                            f"ECOPATROL_{group.upper()}__",
                            field.upper(),
                        )
        return found
