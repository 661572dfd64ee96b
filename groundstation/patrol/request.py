"""The one planning request: what the command line, the API and the scheduler ask a plan of.

A :class:`PlanRequest` is built by each front end from its own input (``ecopatrol plan``'s
options, the API's ``PlanCreate`` body, a stored plan's parameters) and planned by the one path
in :mod:`groundstation.patrol.planning`. Its figures are checked when it is made; the camera and
battery derivations are `routes.sizing`'s.

Messages name the request's fields as the front end does: by their JSON names unless a front end
says otherwise with :func:`naming_fields` (the command line names its options):

>>> PlanRequest(kind="coverage", altitude_m=60, swath_width_m=50, camera_hfov_deg=84)
Traceback (most recent call last):
groundstation.errors.InvalidRequest: give either swath_width_m or camera_hfov_deg with overlap_frac, not both
>>> with naming_fields({"battery_wh": "--battery-wh", "power_w": "--power-w"}):
...     PlanRequest(kind="shore", altitude_m=60, battery_wh=500)
Traceback (most recent call last):
groundstation.errors.InvalidRequest: --battery-wh and --power-w go together
>>> PlanRequest(kind="coverage", altitude_m=80, camera_hfov_deg=84, overlap_frac=0.2).swath_m()
115.25171767012351
"""  # noqa: E501  # a doctest's expected line cannot be wrapped

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

from groundstation.errors import InvalidRequest
from routes.types import DEFAULT_BATTERY

if TYPE_CHECKING:
    from groundstation.patrol.battery import BatteryEstimate
    from routes.pipeline import PatrolParams
    from routes.sizing import Camera

PlanKind = Literal["coverage", "shore", "corridor", "tour"]
RestrictedPolicy = Literal["avoid", "cross", "allow"]
#: which coverage pattern to fly: the cheapest, or one forced (see `routes.coverage`)
Pattern = Literal["auto", "parallel", "channel", "wavefront"]
#: autopilots with a known fence storage (`routes.fence.PROFILES`)
VehicleProfile = Literal["arducopter", "arduplane", "ardurover", "px4"]

#: how messages name a request field; one per thread or task, set by `naming_fields`
_field_names: ContextVar[Mapping[str, str] | None] = ContextVar("field_names", default=None)


def named(field: str) -> str:
    """A request field as messages name it here (its JSON name unless told otherwise)."""
    names = _field_names.get()
    return names.get(field, field) if names is not None else field


@contextmanager
def naming_fields(names: Mapping[str, str]) -> Iterator[None]:
    """Within the block, messages about a request name its fields as ``names`` says."""
    token = _field_names.set(names)
    try:
        yield
    finally:
        _field_names.reset(token)


def refuse(message: str, field: str) -> InvalidRequest:
    """A refusal of the request; ``{name}`` in ``message`` names the field ``name``.

    >>> str(refuse("{drones} is too many", "drones"))
    'drones is too many'
    """
    return InvalidRequest(message.format_map(_Names()), field=field)


class _Names(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return named(key)


#: parameters older plans were stored with that no longer exist (ignored when read back)
_RETIRED = frozenset({"turn_s"})


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """A patrol to plan; geometries are GeoJSON dicts in WGS84, lengths in metres.

    The area is a site area's name (``area``) or a drawn ``polygon``; the swath is given, or
    follows from the camera (``camera_hfov_deg`` with ``overlap_frac``); the endurance is given,
    or follows from the battery's energy (``battery_wh`` with ``power_w``).
    """

    kind: PlanKind
    altitude_m: float
    area: str | None = None
    polygon: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    swath_width_m: float | None = None
    drones: int = 1
    speed_m_s: float = DEFAULT_BATTERY.cruise_speed_m_s
    endurance_s: float = DEFAULT_BATTERY.endurance_s
    reserve_frac: float = DEFAULT_BATTERY.reserve_frac
    accel_m_s2: float = DEFAULT_BATTERY.accel_m_s2
    wp_radius_m: float = DEFAULT_BATTERY.wp_radius_m
    max_items: int = DEFAULT_BATTERY.max_mission_items
    use_station: bool = True
    restricted: RestrictedPolicy = "avoid"
    offset_m: float = 20.0
    loops: int = 1
    width_m: float | None = None
    loiter_s: float = 30.0
    min_priority: int = 1
    vehicle: VehicleProfile = "arducopter"
    fence_points: int | None = None
    #: the drone meant to fly it (its learned battery use splits the sorties), and that model
    #: (:meth:`groundstation.patrol.battery.BatteryEstimate.as_dict` plus ``endurance_s_used``)
    vehicle_id: int | None = None
    battery: dict[str, Any] | None = None
    camera_hfov_deg: float | None = None
    overlap_frac: float | None = None
    battery_wh: float | None = None
    power_w: float | None = None
    pattern: Pattern = "auto"

    def __post_init__(self) -> None:
        camera = self.camera_hfov_deg is not None or self.overlap_frac is not None
        if self.swath_width_m is not None and camera:
            raise refuse(
                "give either {swath_width_m} or {camera_hfov_deg} with {overlap_frac}, not both",
                "swath_width_m",
            )
        if self.camera_hfov_deg is not None and self.overlap_frac is None:
            raise refuse("{camera_hfov_deg} needs {overlap_frac}", "overlap_frac")
        if self.overlap_frac is not None and self.camera_hfov_deg is None:
            raise refuse("{overlap_frac} needs {camera_hfov_deg}", "camera_hfov_deg")
        if (self.battery_wh is None) != (self.power_w is None):
            missing = "power_w" if self.power_w is None else "battery_wh"
            raise refuse("{battery_wh} and {power_w} go together", missing)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PlanRequest:
        """The request stored as a plan's parameters (:meth:`as_params`), as it was made."""
        known = {f.name for f in fields(cls)}
        # plans stored before flight time was estimated by the speed profile priced each
        # sharp turn at ``turn_s`` seconds; the vehicle's defaults price them now
        params = {k: v for k, v in params.items() if k not in _RETIRED}
        unknown = sorted(set(params) - known)
        if unknown:
            raise InvalidRequest(f"unknown plan parameters: {', '.join(unknown)}", field=unknown[0])
        try:
            return cls(**params)
        except TypeError as exc:
            raise InvalidRequest(f"the plan's parameters are not usable: {exc}") from None

    def as_params(self) -> dict[str, Any]:
        """The request as stored with its plan (plain JSON)."""
        return asdict(self)

    @property
    def camera(self) -> Camera | None:
        from routes.sizing import Camera

        if self.camera_hfov_deg is None or self.overlap_frac is None:
            return None
        return Camera(self.camera_hfov_deg, self.overlap_frac)

    def swath_m(self) -> float | None:
        """The distance between passes: as given, or from the camera at this altitude."""
        camera = self.camera
        return camera.swath_m(self.altitude_m) if camera is not None else self.swath_width_m

    @property
    def configured_endurance_s(self) -> float:
        """The endurance the request gives: from the battery's energy, else ``endurance_s``."""
        from routes.sizing import endurance_from_energy

        if self.battery_wh is not None and self.power_w is not None:
            return endurance_from_energy(self.battery_wh, self.power_w)
        return self.endurance_s

    @property
    def endurance_used_s(self) -> float:
        """The endurance sorties are split by: the learned model's, else the configured one."""
        if self.battery is not None and self.battery.get("source") == "learned":
            return float(self.battery["endurance_s_used"])
        return self.configured_endurance_s

    def with_battery(self, estimate: BatteryEstimate) -> PlanRequest:
        """This request planned with `estimate` (learned: its endurance at our speed)."""
        used = (
            estimate.endurance_at(self.speed_m_s)
            if estimate.learned
            else self.configured_endurance_s
        )
        return replace(self, battery={**estimate.as_dict(), "endurance_s_used": round(used, 1)})

    def patrol_params(self) -> PatrolParams:
        """What `routes` plans with: swath, photo spacing and battery derived where asked."""
        from routes.pipeline import PatrolParams
        from routes.types import BatteryModel

        battery = BatteryModel(
            self.speed_m_s, self.endurance_used_s, self.reserve_frac, self.max_items,
            accel_m_s2=self.accel_m_s2, wp_radius_m=self.wp_radius_m,
        )  # fmt: skip
        swath = self.swath_m()
        camera = self.camera
        photo = camera.photo_spacing_m(self.altitude_m) if camera is not None else swath
        return PatrolParams(
            altitude_m=self.altitude_m, swath_width_m=swath, drones=self.drones, battery=battery,
            photo_spacing_m=photo, restricted=self.restricted,
        )  # fmt: skip
