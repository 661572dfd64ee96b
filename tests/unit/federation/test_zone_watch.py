"""The zone watch: when a drone is offered to the next station, and when it is sent home."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import cast

from groundstation.federation.authority import Authority
from groundstation.federation.handover import HandoverDesk, Zone, ZoneWatch
from groundstation.federation.protocol import Handover
from groundstation.link import Fleet
from groundstation.link.vehicle import Position, VehicleState

HOME = (29.05, 119.18)
ZONE = Zone(HOME[0], HOME[1], radius_m=1000.0)
#: about 1.7 km north: nearer than this station to a drone past 850 m north
RIVER_B = (HOME[0] + 0.0153, HOME[1])


@dataclass
class Handle:
    state: VehicleState


@dataclass
class FakeFleet:
    vehicles: dict[int, Handle] = field(default_factory=dict)

    def at(self, sysid: int, north_m: float, *, armed: bool = True) -> None:
        pos = Position(HOME[0] + north_m / 111_195.0, HOME[1], 60.0, 30.0)
        self.vehicles[sysid] = Handle(VehicleState(sysid, 1, position=pos, armed=armed))


_pending: set[asyncio.Task[None]] = set()


def _watch(answer: bool) -> tuple[ZoneWatch, FakeFleet, list[tuple[str, int, str]]]:
    """A watch whose desk's offers are answered at once (accepted or not)."""
    done: list[tuple[str, int, str]] = []
    fleet = FakeFleet()

    def send(to: str, kind: str, handover: Handover) -> None:
        done.append((kind, handover.sysid, to))
        if kind == "handover.offer":
            reply = handover.model_copy(
                update={"reason": None if answer else "no pilot on duty at the station"}
            )
            kind = "handover.accept" if answer else "handover.refuse"
            task = asyncio.create_task(desk.receive(kind, reply, "river-b"))  # as if later
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    async def audit(step: str, handover: Handover, result: str) -> None:
        pass

    async def rtl(sysid: int, why: str) -> None:
        done.append(("rtl", sysid, why))

    desk = HandoverDesk(
        "river-a", Authority(":memory:", "river-a", None), send, lambda k, d: None, audit,
        lambda sysid: None, on_duty=lambda: True, timeout_s=1.0,
    )  # fmt: skip
    watch = ZoneWatch(
        desk, cast(Fleet, fleet), ZONE, {"river-b": RIVER_B}, rtl, margin_m=200.0, retry_s=60.0
    )
    return watch, fleet, done


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_offered_near_the_edge_and_handed_over() -> None:
    """Well inside the zone nothing happens; 900 m out (within the 200 m margin, and nearer
    river-b) the drone is offered to river-b, which takes it: no RTL, this station lets go."""
    watch, fleet, done = _watch(answer=True)
    fleet.at(1, 500.0)
    await watch.step()
    assert done == []
    fleet.at(1, 900.0)
    await watch.step()
    await _settle()
    assert done == [("handover.offer", 1, "river-b"), ("handover.release", 1, "river-b")]
    assert not watch.desk.authority.commands(1)
    fleet.at(1, 1100.0)
    await watch.step()
    assert [d[0] for d in done].count("rtl") == 0  # not ours any more


async def test_refused_then_at_the_edge_it_returns_home_once() -> None:
    """river-b refuses: the drone stays this station's, and at the edge it is sent home, once;
    a drone on the ground is left alone."""
    watch, fleet, done = _watch(answer=False)
    fleet.at(1, 900.0)
    await watch.step()
    await _settle()
    assert done == [("handover.offer", 1, "river-b")]
    assert watch.desk.authority.commands(1)
    fleet.at(1, 1010.0)
    await watch.step()
    await watch.step()
    rtls = [d for d in done if d[0] == "rtl"]
    assert len(rtls) == 1
    assert "zone's edge" in rtls[0][2]
    fleet.at(2, 1200.0, armed=False)
    await watch.step()
    assert not [d for d in done if d[1] == 2]
