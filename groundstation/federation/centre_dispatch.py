"""The centre's dispatch: send the nearest free drone of any station (or the one an operator
picks) to an incident's position.

The centre only asks: :func:`dispatch` picks the drone from the merged store
(:meth:`CentreStore.nearest_free`, PostGIS), records the ``dispatch``
command in ``fed_commands`` and sends it to that drone's station. The station decides under its
own rules and answers with an ACK (``done`` with its incident's id, or ``refused`` / ``failed``
with a reason and a reason code), which the centre's subscriber writes into the same row;
:func:`answer` waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

from groundstation.errors import Conflict, InvalidRequest
from groundstation.federation.centre import Centre
from groundstation.federation.protocol import Command, DispatchParams
from groundstation.federation.spatial import nearest_free
from groundstation.federation.store import CommandRecord


@dataclass(frozen=True, slots=True)
class DispatchSent:
    """A dispatch the centre sent: the command, to which station, and how far the drone was
    (None when the operator picked it)."""

    command: Command
    station: str
    distance_m: float | None


async def dispatch(
    centre: Centre,
    params: DispatchParams,
    issued_by: str,
    *,
    station: str | None = None,
    sysid: int | None = None,
    min_battery_pct: float = 50.0,
    stations: Collection[str] | None = None,
) -> DispatchSent:
    """Send a drone to ``params``' position: the operator's (`station` and `sysid` both given)
    or the nearest free one across `stations` (None: all). :class:`Conflict` when no drone is
    free, :class:`InvalidRequest` for half a pick; ``aiomqtt.MqttError`` when the broker is
    away."""
    if (station is None) != (sysid is None):
        raise InvalidRequest("pick a drone with both its station and its system id", field="sysid")
    distance_m: float | None = None
    if station is None or sysid is None:
        free = await nearest_free(
            centre.store.engine, params.lat_deg, params.lon_deg,
            min_battery_pct=min_battery_pct, stations=stations,
        )  # fmt: skip
        if not free:
            raise Conflict("no free drone at any station (disarmed, charged, position known)")
        station, sysid, distance_m = free[0].station, free[0].sysid, free[0].distance_m
    command = Command(kind="dispatch", sysid=sysid, issued_by=issued_by, params=params.model_dump())
    await centre.send(station, command)
    return DispatchSent(command, station, distance_m)


async def answer(centre: Centre, command_id: str, timeout_s: float) -> CommandRecord | None:
    """The centre's record of the command once its station has answered; the record without
    an answer (``result`` None) when none came within `timeout_s`; None for an unknown id."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                async with centre.stored:
                    record = await centre.store.command(command_id)
                    if record is None or record.result is not None:
                        return record
                    await centre.stored.wait()
    except TimeoutError:
        return await centre.store.command(command_id)
