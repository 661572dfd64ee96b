"""The service's point of no return: the rest of a patrol's route from the vehicle, on the
shipped site, in the vehicle's wind; none once the route can be flown home."""

from __future__ import annotations

from collections import deque
from functools import cache

from geodata.site import load_site
from groundstation.link.vehicle import Position, VehicleState
from groundstation.patrol.mission_facts import SortieFacts
from groundstation.safety.config import SafetySettings
from groundstation.safety.margin import EnergyRates
from groundstation.safety.service import Registry, SafetyService, Tracked
from groundstation.safety.site_facts import SiteFacts
from groundstation.safety.watch import VehicleWatch
from routes.mission import MissionItem

STATION = (29.05253, 119.181841)
#: out along the river to the east, 8 km, in four legs
LEGS = [(29.0560, 119.20), (29.0640, 119.23), (29.0705, 119.25), (29.0752, 119.255)]
RATES = EnergyRates(100 / 3600, 100 / 3600, 10.0)


@cache
def _facts() -> SiteFacts:
    return SiteFacts.from_site(load_site())


def _tracked() -> Tracked:
    items = [MissionItem(0, 0, 16, x=round(STATION[0] * 1e7), y=round(STATION[1] * 1e7))]
    items += [MissionItem(n, 3, 16, x=round(lat * 1e7), y=round(lon * 1e7), z=30.0)
              for n, (lat, lon) in enumerate(LEGS, start=1)]  # fmt: skip
    route = SortieFacts(1, 0, tuple(items), (), (), 1800.0, 8000.0, 30.0, None, ())
    watch = VehicleWatch(SafetySettings(), _facts(), RATES)
    return Tracked(watch, Registry(), deque(maxlen=8), route=route)


def _state(battery_pct: float, seq: int) -> VehicleState:
    return VehicleState(
        1, 1, position=Position(STATION[0], STATION[1], 70.0, 30.0), battery_pct=battery_pct,
        armed=True, mission_seq=seq, wind_speed_m_s=8.0, wind_dir_deg=250.0,
    )  # fmt: skip


def test_point_of_no_return_on_the_route_and_none_with_battery_to_spare():
    """Half a pack at the station with 8 km to fly out in a west wind: the point of no return
    lies on the route, east of the station; a full pack flies the whole route and back."""
    service = SafetyService(SafetySettings(), None, None, _facts())  # type: ignore[arg-type]
    tracked = _tracked()
    pnr = service._point_of_no_return(tracked, _state(45.0, 1))
    assert pnr is not None
    assert STATION[1] < pnr[1] < LEGS[-1][1]
    assert service._point_of_no_return(tracked, _state(100.0, 1)) is None
