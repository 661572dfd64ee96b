"""A pilot hands a drone to a neighbouring station by hand (docs/federation.md, Handover).

The zone watch offers a drone only near the zone's edge; a pilot may offer one this station
commands to any configured neighbour at any time. The offer runs in the background (up to
the desk's ``timeout_s``): :meth:`PilotHandovers.start` checks it can be made and answers at
once with the offer's id, :meth:`PilotHandovers.status` says later how it ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from groundstation.errors import InvalidRequest
from groundstation.federation.handover import HandoverDesk
from groundstation.federation.protocol import new_id

log = logging.getLogger(__name__)

State = Literal["offered", "released", "refused", "timeout"]

#: how many offers' outcomes are kept for the page to ask about
KEPT = 200


@dataclass(frozen=True, slots=True)
class PilotOffer:
    """One offer made by a pilot and where it stands."""

    id: str
    sysid: int
    taker: str
    by: str
    state: State = "offered"
    reason: str | None = None
    code: str | None = None


class PilotHandovers:
    """Offers made by the station's pilots to its neighbours, and their outcomes."""

    def __init__(self, desk: HandoverDesk, neighbours: Iterable[str]) -> None:
        self.desk = desk
        self.neighbours = sorted(set(neighbours) - {desk.station})
        self._offers: OrderedDict[str, PilotOffer] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self, sysid: int, taker: str, by: str, position: tuple[float, float] | None = None
    ) -> PilotOffer:
        """Offer vehicle `sysid` to station `taker` on behalf of user `by`; the offer goes out
        now and is answered later. :class:`InvalidRequest` for a station that is not a
        neighbour, :class:`~groundstation.errors.Conflict` if it cannot be offered now."""
        if taker not in self.neighbours:
            raise InvalidRequest(
                f"{taker!r} is not a neighbouring station", field="to", reason="unknown_station"
            )
        self.desk.check_offer(sysid, taker)
        offer = PilotOffer(new_id(), sysid, taker, by)
        self._keep(offer)
        task = asyncio.create_task(self._run(offer, position))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return offer

    def status(self, offer_id: str) -> PilotOffer | None:
        return self._offers.get(offer_id)

    async def close(self) -> None:
        """Stop waiting for answers (the station shuts down: it keeps command)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, offer: PilotOffer, position: tuple[float, float] | None) -> None:
        try:
            result = await self.desk.offer(
                offer.sysid,
                offer.taker,
                reason=f"offered by {offer.by}",
                position=position,
                handover_id=offer.id,
            )
        except Exception as exc:  # a Conflict raced in since start(): the desk kept command
            log.warning("pilot handover %s of %d: %s", offer.id, offer.sysid, exc)
            self._keep(replace(offer, state="refused", reason=str(exc), code="conflict"))
            return
        self._keep(replace(offer, state=result.outcome, reason=result.reason, code=result.code))

    def _keep(self, offer: PilotOffer) -> None:
        self._offers[offer.id] = offer
        self._offers.move_to_end(offer.id)
        while len(self._offers) > KEPT:
            self._offers.popitem(last=False)
