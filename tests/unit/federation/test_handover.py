"""The handover desk between two stations, wired to each other in memory (no broker)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from groundstation.federation.authority import Authority
from groundstation.federation.handover import HandoverDesk
from groundstation.federation.protocol import Handover


@dataclass
class Station:
    """One station's desk, what it audited and told the centre, and a switchboard to others."""

    name: str
    on_duty: bool = True
    hears: bool = True
    silent: bool = False  # receives but never answers (a station whose broker link is gone)
    steps: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    desk: HandoverDesk = field(init=False)
    deliveries: set[asyncio.Task[None]] = field(default_factory=set)

    def wire(self, others: dict[str, Station], guests: list[int]) -> None:
        async def audit(step: str, handover: Handover, result: str) -> None:
            self.steps.append((step, result))

        def send(to: str, kind: str, handover: Handover) -> None:
            if not self.silent:  # delivered later, as through a broker
                task = asyncio.create_task(others[to].desk.receive(kind, handover, self.name))
                self.deliveries.add(task)
                task.add_done_callback(self.deliveries.discard)

        def emit(kind: str, data: dict[str, object]) -> None:
            self.events.append(kind)

        self.desk = HandoverDesk(
            self.name,
            Authority(":memory:", self.name, None, guests=guests),
            send,
            emit,
            audit,
            lambda sysid: None if self.hears else f"vehicle {sysid} is not heard",
            on_duty=lambda: self.on_duty,
            timeout_s=0.3,
        )


def _pair(
    *, on_duty: bool = True, hears: bool = True, silent: bool = False
) -> tuple[Station, Station]:
    a = Station("river-a")
    bb = Station("river-b", on_duty=on_duty, hears=hears, silent=silent)
    stations = {"river-a": a, "river-b": bb}
    a.wire(stations, guests=[])
    bb.wire(stations, guests=[1])
    return a, bb


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_accepted_offer_moves_command_and_never_two_command() -> None:
    """river-b accepts: river-a stops commanding before it releases, river-b commands only once
    the release arrives; each audits its steps and tells the centre."""
    a, b = _pair()
    assert (a.desk.authority.commands(1), b.desk.authority.commands(1)) == (True, False)
    result = await a.desk.offer(1, "river-b", reason="nearing the zone's edge")
    assert result.outcome == "released"
    assert not a.desk.authority.commands(1)  # at this instant nobody commands: not two
    assert a.desk.authority.commander(1) == "river-b"
    await _settle()
    assert b.desk.authority.commands(1)
    assert a.steps == [("offer", "offered to river-b"), ("release", "released to river-b")]
    assert b.steps == [("accept", "accepted from river-a"), ("take", "taken from river-a")]
    assert b.events == ["handover.taken"]


async def test_refused_offer_keeps_command_with_the_reason() -> None:
    """river-b with no pilot on duty refuses: river-a keeps command and says why."""
    a, b = _pair(on_duty=False)
    result = await a.desk.offer(1, "river-b")
    assert (result.outcome, result.reason) == ("refused", "no pilot on duty at the station")
    await _settle()
    assert a.desk.authority.commands(1)
    assert not b.desk.authority.commands(1)
    assert a.events == ["handover.kept"]
    assert b.steps == [("accept", "refused: no pilot on duty at the station")]


async def test_a_station_that_does_not_hear_the_drone_refuses() -> None:
    """river-b does not hear the drone on its own link: it refuses, river-a keeps it."""
    a, _ = _pair(hears=False)
    result = await a.desk.offer(1, "river-b")
    assert (result.outcome, result.reason) == ("refused", "vehicle 1 is not heard")
    assert a.desk.authority.commands(1)


async def test_unanswered_offer_times_out_and_a_late_acceptance_changes_nothing() -> None:
    """river-b's acceptance comes after river-a's deadline: river-a keeps command, and since
    it never releases, river-b never commands either."""
    a, b = _pair(silent=True)
    result = await a.desk.offer(1, "river-b")
    assert result.outcome == "timeout"
    late = result.handover
    await a.desk.receive("handover.accept", late, "river-b")
    await _settle()
    assert a.desk.authority.commands(1)
    assert not b.desk.authority.commands(1)


async def test_messages_from_the_wrong_station_are_dropped() -> None:
    """A release that river-c sends in river-a's name does not give river-b the drone."""
    _, b = _pair()
    forged = Handover(sysid=1, giver="river-a", taker="river-b", expires_at=_future())
    await b.desk.receive("handover.release", forged, "river-c")
    assert not b.desk.authority.commands(1)


def _future() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=10)
