"""Lightweight stations for bench/federation.py: the station's real federation path, fed with
synthetic telemetry, several stations in one process.

Each station is what ``ecopatrol serve`` runs from a frame's receipt to its publish: a live
:class:`~groundstation.telemetry.hub.Hub` (the station's settings), the
:class:`~groundstation.federation.station.StationLink` forwarder on it (rate limit, outbox in
SQLite, QoS 1 publish one at a time after each PUBACK) and its broker connection (TLS, the
station's login). What it does not run is the MAVLink link and the fleet bridge: each drone's
frame is built here and published to the hub as the fleet bridge does (a ``vehicle.frame`` keyed
per vehicle), at
``rate`` per drone, the fleet spread over the period in ten slices. A frame's ``mission_seq``
is its number, so the centre's side can tell every frame apart. Every ``event_every_s`` each
station also publishes, in turn, a patrol state, an incident created, that incident updated, and
an alert, as its services would.

A station may be cut from the broker for a while: its connection goes through a
:class:`~tests.integration.federation.cut.CutProxy` (a TCP relay on loopback) that drops every
connection and refuses new ones during the cut, as a blocked port or a dropped bridge would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from groundstation.api.schemas import IncidentPublic
from groundstation.config import FederationSettings, Settings
from groundstation.db.models import IncidentStatus, IncidentType
from groundstation.federation.outbox import Outbox
from groundstation.federation.protocol import Command, CommandAck, Envelope
from groundstation.federation.station import Outcome, StationLink
from groundstation.telemetry.events import (
    VEHICLE_FRAME,
    alert,
    incident_event,
    patrol_state,
    vehicle_key,
)
from groundstation.telemetry.hub import Hub, LiveMessage, make_message
from groundstation.telemetry.messages import PatrolStatus, VehicleFrame, VehicleLink
from tests.integration.federation.cut import CutProxy

SLICES = 10
EVENT_KINDS = ("patrol.state", "incident.created", "incident.updated", "alert")


@dataclass(frozen=True)
class StationPlan:
    """One station of the run; times are wall-clock (``time.time()``)."""

    name: str
    password: str
    index: int
    drones: int
    rate_hz: float
    feed_from: float
    feed_until: float
    window: tuple[float, float]  # frames made in here are counted
    cut: tuple[float, float] | None = None  # the link is down in here
    drain_s: float = 120.0  # after feeding, how long the outbox may take to empty
    send_rate_max_hz: float | None = None  # the station's send pace (None: the setting's default)


@dataclass
class StationResult:
    """What one station did, for the bench to check the centre against."""

    name: str
    frames_made: int = 0  # frames published to the hub, in the window
    frames_sent: int = 0  # frames the forwarder put in the outbox, made in the window
    events: dict[str, int] = field(default_factory=dict)  # kind -> made in all
    made_in_cut: dict[str, int] = field(default_factory=dict)  # kind -> hub, during the cut
    sent_in_cut: dict[str, int] = field(default_factory=dict)  # kind -> outbox, made in the cut
    last_seq: int = 0  # the outbox's last sequence number
    waiting: int = 0  # still in the outbox at the end
    drained_at: float | None = None  # when the outbox was empty after the cut


class CountingLink(StationLink):
    """The station's link, counting what its forwarder sends by the time each was made."""

    def __init__(self, plan: StationPlan, result: StationResult, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.plan, self.result = plan, result

    def emit(self, kind: str, data: dict[str, Any], *, at: datetime | None = None) -> Envelope:
        env = super().emit(kind, data, at=at)
        made, plan = env.at.timestamp(), self.plan
        if kind == "vehicle.frame" and plan.window[0] <= made < plan.window[1]:
            self.result.frames_sent += 1
        if plan.cut is not None and plan.cut[0] <= made < plan.cut[1]:
            self.result.sent_in_cut[kind] = self.result.sent_in_cut.get(kind, 0) + 1
        return env


async def _refuse(command: Command) -> Outcome:
    return Outcome("refused", "a bench station carries out nothing", "bad_params")


async def _no_audit(command: Command, ack: CommandAck) -> None:
    return None


def frame(plan: StationPlan, sysid: int, n: int) -> VehicleFrame:
    """Drone `sysid` of `plan`'s station at its `n`th frame: flying a slow circle."""
    lat0, lon0 = 29.05 + plan.index * 0.05, 119.18
    return VehicleFrame(
        sysid=sysid, vehicle_id=sysid, name=f"{plan.name}-{sysid}",
        lat_deg=lat0 + 0.001 * sysid, lon_deg=lon0 + 1e-5 * (n % 1000), alt_rel_m=40.0,
        alt_msl_m=90.0, heading_deg=float(n % 360), speed_m_s=8.0, battery_pct=80.0,
        voltage_v=15.8, mode="AUTO", armed=True, gps_fix=3, landed_state="in_air",
        mission_seq=n, paused=False, link=VehicleLink(status="ok", last_heard_s=0.1),
        telemetry=None,
    )  # fmt: skip


def _event(plan: StationPlan, k: int, at: datetime) -> tuple[str, LiveMessage]:
    """The `k`th event of a station: a patrol state, an incident, its update, an alert."""
    kind = EVENT_KINDS[k % len(EVENT_KINDS)]
    incident_id = k // len(EVENT_KINDS) + 1
    if kind == "patrol.state":
        patrol = PatrolStatus(
            id=incident_id, plan_id=1, sortie=1, vehicle_id=1 + k % plan.drones,
            state="flying", from_state="uploading", reason="bench", last_item_reached=k,
        )  # fmt: skip
        return kind, patrol_state(patrol)
    if kind == "alert":
        return kind, alert("warning", f"{plan.name}: bench alert {k}", kind="bench", sysid=1)
    incident = IncidentPublic(
        id=incident_id, type=IncidentType.ILLEGAL_FISHING,
        status=IncidentStatus.OPEN if kind == "incident.created" else IncidentStatus.ASSIGNED,
        lat_deg=29.05 + plan.index * 0.05, lon_deg=119.18, description=f"bench {k}",
        reported_by=None, assigned_to=None, patrol_id=None, vehicle_id=None, created_at=at,
        updated_at=at, resolved_at=None,
    )  # fmt: skip
    return kind, incident_event("created" if kind == "incident.created" else "updated", incident)


def _stamped(msg: LiveMessage, at: datetime) -> LiveMessage:
    """`msg` made at `at` (the station counts what it made during a cut by the same time)."""
    return make_message(msg.type, json.loads(msg.data_text), key=msg.key, ts=at)


async def _sleep_until(wall: float) -> None:
    await asyncio.sleep(max(0.0, wall - time.time()))


async def run_station(
    plan: StationPlan, broker_port: int, ca: Path, workdir: Path, event_every_s: float
) -> StationResult:
    """Run one station through its plan, then until its outbox is empty (or `drain_s`)."""
    live = Settings()
    hub = Hub(
        queue_size=live.live_queue_size, stuck_s=live.live_stuck_s,
        max_rate_hz=live.live_max_rate_hz, batch_interval_s=live.live_batch_ms / 1000,
    )  # fmt: skip
    proxy = CutProxy(broker_port)
    await proxy.open()
    settings = FederationSettings(
        enabled=True, station_id=plan.name, broker_port=proxy.port,
        password=SecretStr(plan.password), ca_file=ca,
        frame_rate_hz=min(10.0, plan.rate_hz * 1.25),  # never drops a frame fed at rate_hz
        reconnect_max_s=1.0,
    )  # fmt: skip
    if plan.send_rate_max_hz is not None:
        settings = settings.model_copy(update={"send_rate_max_hz": plan.send_rate_max_hz})
    result = StationResult(plan.name)
    link = CountingLink(
        plan, result, settings, Outbox(workdir / f"{plan.name}-outbox.db"), _refuse, _no_audit,
        vehicles=lambda: plan.drones,
    )  # fmt: skip
    tasks = [asyncio.create_task(link.run()), asyncio.create_task(link.forward_hub(hub))]
    if plan.cut is not None:
        tasks.append(asyncio.create_task(_cut(plan.cut, proxy)))
        tasks.append(asyncio.create_task(_caught_up(plan.cut, link, result)))
    try:
        await _feed(plan, hub, result, event_every_s)
        deadline = time.time() + plan.drain_s
        while len(link.outbox) and time.time() < deadline:  # noqa: ASYNC110 (a file, polled)
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        result.last_seq = link.outbox.next_seq() - 1
        result.waiting = len(link.outbox)
        link.outbox.close()
    return result


async def _cut(cut: tuple[float, float], proxy: CutProxy) -> None:
    await _sleep_until(cut[0])
    port = proxy.port
    await proxy.cut()
    await _sleep_until(cut[1])
    await proxy.open(port)


async def _caught_up(cut: tuple[float, float], link: StationLink, result: StationResult) -> None:
    """Note when the outbox is down to its live traffic again after the cut (what was left
    then was made after the link came back)."""
    await _sleep_until(cut[1])
    while True:
        await asyncio.sleep(0.05)
        oldest = link.outbox.oldest(1)
        if not oldest:
            break
        made = json.loads(oldest[0].payload)["at"]
        if datetime.fromisoformat(made).timestamp() >= cut[1]:
            break
    result.drained_at = time.time()


async def _feed(plan: StationPlan, hub: Hub, result: StationResult, event_every_s: float) -> None:
    period = 1.0 / plan.rate_hz
    counters = dict.fromkeys(range(1, plan.drones + 1), 0)
    slices = [list(counters)[g::SLICES] for g in range(SLICES)]
    tick, k, next_event = 0, 0, plan.feed_from
    await _sleep_until(plan.feed_from)
    while True:
        for g, sysids in enumerate(slices):
            due = plan.feed_from + tick * period + g * period / SLICES
            if due >= plan.feed_until:
                return
            await _sleep_until(due)
            now = time.time()
            at = datetime.fromtimestamp(now, UTC)
            for sysid in sysids:
                counters[sysid] += 1
                f = frame(plan, sysid, counters[sysid])
                hub.publish(make_message(VEHICLE_FRAME, f, key=vehicle_key(sysid), ts=at))
                if plan.window[0] <= now < plan.window[1]:
                    result.frames_made += 1
                _count_cut(plan, result, "vehicle.frame", now)
            if now >= next_event:
                kind, msg = _event(plan, k, at)
                hub.publish(_stamped(msg, at))
                result.events[kind] = result.events.get(kind, 0) + 1
                _count_cut(plan, result, kind, now)
                k, next_event = k + 1, next_event + event_every_s
        tick += 1


def _count_cut(plan: StationPlan, result: StationResult, kind: str, now: float) -> None:
    if plan.cut is not None and plan.cut[0] <= now < plan.cut[1]:
        result.made_in_cut[kind] = result.made_in_cut.get(kind, 0) + 1


def stations_main(
    plans: list[StationPlan], broker_port: int, ca: str, workdir: str, event_every_s: float,
    out: str,
) -> None:  # fmt: skip
    """The stations process: run every plan, write the results as JSON to `out`."""
    logging.basicConfig(level=logging.ERROR)  # not a line a second per station during a cut

    async def main() -> list[StationResult]:
        return list(
            await asyncio.gather(
                *(run_station(p, broker_port, Path(ca), Path(workdir), event_every_s)
                  for p in plans)
            )
        )  # fmt: skip

    results = asyncio.run(main())
    Path(out).write_text(json.dumps([asdict(r) for r in results]))


def load_results(path: Path) -> list[StationResult]:
    return [StationResult(**r) for r in json.loads(path.read_text())]


def plan_dict(plan: StationPlan) -> dict[str, Any]:
    return asdict(plan)
