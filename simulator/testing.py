"""The simulator as a supported test double for other packages' tests."""

from simulator.clock import ManualClock, ScaledClock
from simulator.faults import FaultControl, FaultError
from simulator.fleet import SimConfig, SimFleet, SimVehicle
from simulator.state import VehicleSnapshot

__all__ = [
    "FaultControl",
    "FaultError",
    "ManualClock",
    "ScaledClock",
    "SimConfig",
    "SimFleet",
    "SimVehicle",
    "VehicleSnapshot",
]
