"""The vehicle's state as the failsafes and the telemetry builders both read it.

:class:`VehicleView` is a narrow Protocol (the simulator's ``Autopilot`` is the one
implementation): :class:`simulator.failsafe.FailsafeVehicle` and
:class:`simulator.telemetry.TelemetrySource` extend it with what each needs besides, so neither
module imports the autopilot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from simulator.mission_protocol import MissionProtocol
    from simulator.params import ParamStore
    from simulator.vehicle import Airframe, Battery, Gps


class VehicleView(Protocol):
    """The vehicle's state, read only: clock, mode, arming, parameters, mission, home, position
    and the airframe, GPS and battery models."""

    @property
    def t(self) -> float: ...
    @property
    def mode(self) -> int: ...
    @property
    def armed(self) -> bool: ...
    @property
    def params(self) -> ParamStore: ...
    @property
    def mission(self) -> MissionProtocol: ...
    @property
    def home(self) -> tuple[float, float, float]: ...
    @property
    def gps(self) -> Gps: ...
    @property
    def frame(self) -> Airframe: ...
    @property
    def battery(self) -> Battery: ...
    @property
    def alt_rel_m(self) -> float: ...

    def latlon(self) -> tuple[float, float]: ...
