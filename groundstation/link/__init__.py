"""The station's MAVLink side: links to a fleet of vehicles on one event loop.

>>> from groundstation.link import Fleet, LinkConfig
>>> fleet = Fleet(links=[LinkConfig(url="udpin:127.0.0.1:0")], lost_after_s=3.0)
>>> len(fleet.vehicles)
0
"""

from groundstation.link.command_protocol import CommandTiming
from groundstation.link.fleet import EventBus, Fleet, FleetEvent, Link, LinkConfig
from groundstation.link.handle import VehicleHandle
from groundstation.link.health import LinkHealth
from groundstation.link.mission_client import MissionTiming
from groundstation.link.signing import SigningConfig, key_from_passphrase
from groundstation.link.transport import Backoff
from groundstation.link.vehicle import Position, VehicleState

__all__ = [
    "Backoff",
    "CommandTiming",
    "EventBus",
    "Fleet",
    "FleetEvent",
    "Link",
    "LinkConfig",
    "LinkHealth",
    "MissionTiming",
    "Position",
    "SigningConfig",
    "VehicleHandle",
    "VehicleState",
    "key_from_passphrase",
]
