"""Handing a drone from the station that commands it to the next one (docs/federation.md).

Two stations, never more than one commanding (:class:`~.authority.Authority`):

1. the giver sends ``handover.offer`` (the vehicle, itself, the taker, a deadline) to the taker
   through the broker (``ecopatrol/v1/<giver>/handover/<taker>``);
2. the taker accepts only if a pilot is on duty there, the offer has not expired, and it hears
   the vehicle on its own MAVLink link (admitted, same system id, signed when it has the key,
   not lost, no address change): ``handover.accept``; else ``handover.refuse`` with a reason
   and a code. Accepting changes nothing yet: the taker still only watches;
3. the giver, if the acceptance arrives before its deadline, stops commanding (its link holds
   every command to the vehicle: "handed over to station B") and only then sends
   ``handover.release``; on a refusal or at the deadline it keeps command (``handover.kept``
   to the centre);
4. the taker, on the release, commands the vehicle (``handover.taken`` to the centre).

So between 3 and 4 nobody commands, never two. Each step is audited in the station's chain
as ``federation.handover.<step>``; the messages also reach the centre (it reads every topic),
which keeps who commands each vehicle. :class:`ZoneWatch` offers a drone when it nears the
station's zone edge, and returns it (RTL) if it reaches the edge still commanded here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from groundstation.errors import Conflict
from groundstation.federation.authority import Authority
from groundstation.federation.protocol import Handover
from groundstation.link import Fleet
from groundstation.patrol.track_recorder import haversine_m

log = logging.getLogger(__name__)

#: Sends one handover message to a station: (taker or giver, kind, the handover).
Send = Callable[[str, str, Handover], object]
#: Tells the centre (an event of the station's own): (kind, data).
Emit = Callable[[str, dict[str, object]], object]
#: Writes one step into the station's audit chain: (step, the handover, result).
StepAudit = Callable[[str, Handover, str], Awaitable[None]]
#: Why this station cannot take vehicle `sysid` now (None: it can).
CanTake = Callable[[int], str | None]

Outcome = Literal["released", "refused", "timeout"]


@dataclass(frozen=True, slots=True)
class OfferResult:
    """How an offer ended: released to the taker, refused by it, or unanswered in time."""

    handover: Handover
    outcome: Outcome
    reason: str | None = None
    code: str | None = None


class HandoverDesk:
    """One station's side of every handover, giving and taking (see the module docstring)."""

    def __init__(
        self,
        station: str,
        authority: Authority,
        send: Send,
        emit: Emit,
        audit: StepAudit,
        can_take: CanTake,
        *,
        on_duty: Callable[[], bool],
        timeout_s: float = 10.0,
    ) -> None:
        self.station = station
        self.authority = authority
        self._send = send
        self._emit = emit
        self._audit = audit
        self._can_take = can_take
        self._on_duty = on_duty
        self.timeout_s = timeout_s
        self._waiting: dict[str, asyncio.Future[Handover]] = {}
        self._offering: set[int] = set()

    def offering(self, sysid: int) -> bool:
        return sysid in self._offering

    def check_offer(self, sysid: int, taker: str) -> None:
        """:class:`Conflict` if vehicle `sysid` cannot be offered to `taker` now."""
        if not self.authority.commands(sysid):
            raise Conflict(f"this station does not command vehicle {sysid}")
        if sysid in self._offering:
            raise Conflict(f"vehicle {sysid} is already being handed over")
        if taker == self.station:
            raise Conflict("a station cannot hand a vehicle to itself")

    async def offer(
        self,
        sysid: int,
        taker: str,
        *,
        reason: str = "",
        position: tuple[float, float] | None = None,
        handover_id: str | None = None,
    ) -> OfferResult:
        """Offer vehicle `sysid` to station `taker` and wait for its answer (at most
        ``timeout_s``); on acceptance this station stops commanding it and releases it.
        :class:`Conflict` if this station does not command it or already offers it.
        `handover_id`: the offer's id, when the caller must know it before the answer."""
        self.check_offer(sysid, taker)
        lat, lon = position if position is not None else (None, None)
        ids = {} if handover_id is None else {"id": handover_id}
        offer = Handover(
            sysid=sysid, giver=self.station, taker=taker, lat_deg=lat, lon_deg=lon,
            expires_at=datetime.now(UTC) + timedelta(seconds=self.timeout_s),
            reason=reason or None, **ids,
        )  # fmt: skip
        answer: asyncio.Future[Handover] = asyncio.get_running_loop().create_future()
        self._waiting[offer.id] = answer
        self._offering.add(sysid)
        try:
            self._send(taker, "handover.offer", offer)
            await self._audit("offer", offer, f"offered to {taker}")
            try:
                reply = await asyncio.wait_for(asyncio.shield(answer), self.timeout_s)
            except TimeoutError:
                reply = None
            if reply is not None and reply.reason is None and self.authority.commands(sysid):
                # stop commanding first, then tell the taker: never two commanders
                self.authority.give(sysid, taker, offer.id)
                self._send(taker, "handover.release", offer)
                await self._audit("release", offer, f"released to {taker}")
                return OfferResult(offer, "released")
            outcome: Outcome = "timeout" if reply is None else "refused"
            why = f"no answer within {self.timeout_s:g} s" if reply is None else reply.reason
            kept = offer.model_copy(update={"reason": why, "code": reply and reply.code})
            self._emit("handover.kept", kept.model_dump(mode="json"))
            await self._audit("offer", kept, f"kept: {why}")
            return OfferResult(offer, outcome, why, reply.code if reply is not None else None)
        finally:
            self._waiting.pop(offer.id, None)
            self._offering.discard(sysid)

    async def receive(self, kind: str, handover: Handover, sender: str) -> None:
        """A handover message from station `sender` (the broker vouches for the name)."""
        if kind in ("handover.offer", "handover.release"):
            if sender != handover.giver or handover.taker != self.station:
                log.warning("handover: %s from %s not for this station: dropped", kind, sender)
                return
            if kind == "handover.offer":
                await self._answer(handover)
            else:
                await self._take(handover)
        elif kind in ("handover.accept", "handover.refuse"):
            if sender != handover.taker or handover.giver != self.station:
                log.warning("handover: %s from %s not for this station: dropped", kind, sender)
                return
            waiting = self._waiting.get(handover.id)
            if waiting is not None and not waiting.done():
                waiting.set_result(handover)
        else:
            log.warning("handover: unknown message %s from %s: dropped", kind, sender)

    async def _answer(self, offer: Handover) -> None:
        why: tuple[str, Literal["no_pilot", "expired", "not_heard"]] | None = None
        if not self._on_duty():
            why = ("no pilot on duty at the station", "no_pilot")
        elif datetime.now(UTC) > offer.expires_at:
            why = ("expired before it arrived", "expired")
        elif (cannot := self._can_take(offer.sysid)) is not None:
            why = (cannot, "not_heard")
        if why is None:
            self._send(offer.giver, "handover.accept", offer.model_copy(update={"reason": None}))
            await self._audit("accept", offer, f"accepted from {offer.giver}")
            return
        refusal = offer.model_copy(update={"reason": why[0], "code": why[1]})
        self._send(offer.giver, "handover.refuse", refusal)
        await self._audit("accept", refusal, f"refused: {why[0]}")

    async def _take(self, release: Handover) -> None:
        if self.authority.commands(release.sysid):
            return  # a release delivered twice
        # The giver has stopped commanding: take it even if the link lost it since accepting
        # (its lost-link alert applies), or nobody would command it.
        self.authority.take(release.sysid, release.id)
        self._emit("handover.taken", release.model_dump(mode="json"))
        await self._audit("take", release, f"taken from {release.giver}")


@dataclass(frozen=True, slots=True)
class Zone:
    """A station's zone: a circle around it, ``radius_m`` across to its edge."""

    lat_deg: float
    lon_deg: float
    radius_m: float


class ZoneWatch:
    """Offers a drone this station commands to the nearest neighbouring station when it comes
    within ``margin_m`` of the zone's edge (again every ``retry_s`` while refused), and
    returns it (``rtl``) if it reaches the edge still commanded here."""

    def __init__(
        self,
        desk: HandoverDesk,
        fleet: Fleet,
        zone: Zone,
        neighbours: Mapping[str, tuple[float, float]],
        rtl: Callable[[int, str], Awaitable[None]],
        *,
        margin_m: float = 300.0,
        retry_s: float = 30.0,
        period_s: float = 1.0,
    ) -> None:
        self.desk, self.fleet, self.zone = desk, fleet, zone
        self.neighbours = dict(neighbours)
        self._rtl = rtl
        self.margin_m, self.retry_s, self.period_s = margin_m, retry_s, period_s
        self._last_offer: dict[int, float] = {}
        self._returned: set[int] = set()
        self._tasks: set[asyncio.Task[object]] = set()

    async def run(self) -> None:
        try:
            while True:
                await self.step()
                await asyncio.sleep(self.period_s)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def step(self) -> None:
        """Look at every drone once: offer, return, or nothing."""
        now = time.monotonic()
        for sysid, handle in list(self.fleet.vehicles.items()):
            state = handle.state
            if not self.desk.authority.commands(sysid) or state.position is None:
                continue
            if not state.armed:
                self._returned.discard(sysid)
                continue
            if sysid in self._returned:
                continue  # on its way home
            pos = state.position
            out_m = haversine_m(self.zone.lat_deg, self.zone.lon_deg, pos.lat_deg, pos.lon_deg)
            if out_m < self.zone.radius_m - self.margin_m:
                continue
            taker = self._next_station(pos.lat_deg, pos.lon_deg, out_m)
            due = now - self._last_offer.get(sysid, -self.retry_s) >= self.retry_s
            if taker is not None and due and not self.desk.offering(sysid):
                self._last_offer[sysid] = now
                task = asyncio.create_task(self._offer(sysid, taker, (pos.lat_deg, pos.lon_deg)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif out_m >= self.zone.radius_m and not self.desk.offering(sysid):
                self._returned.add(sysid)
                why = f"at the zone's edge ({out_m:.0f} m out) and no station took it"
                await self._rtl(sysid, why)

    def _next_station(self, lat_deg: float, lon_deg: float, out_m: float) -> str | None:
        """The neighbour nearest the drone, if it is nearer than this station."""
        best: tuple[float, str] | None = None
        for name, (lat, lon) in self.neighbours.items():
            d = haversine_m(lat, lon, lat_deg, lon_deg)
            if d < out_m and (best is None or d < best[0]):
                best = (d, name)
        return best[1] if best else None

    async def _offer(self, sysid: int, taker: str, position: tuple[float, float]) -> None:
        try:
            result = await self.desk.offer(
                sysid, taker, reason="nearing the zone's edge", position=position
            )
        except Conflict as exc:
            log.info("handover of %d not offered: %s", sysid, exc)
            return
        log.info("handover of %d to %s: %s %s", sysid, taker, result.outcome, result.reason or "")
