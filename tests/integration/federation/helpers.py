"""Stations and a centre wired to a test broker, for the federation tests: in-process station
links (:func:`station`, run by :func:`running`); the centre (:func:`centre_of`,
:func:`running_centre`); station services in their own processes, each on a simulated fleet
(:func:`station_service`; two of them and a centre: the ``two_stations`` fixture) or on a
shared one (:func:`station_env`, :func:`station_process`)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from groundstation.config import FederationSettings
from groundstation.federation.centre import Centre
from groundstation.federation.outbox import Outbox
from groundstation.federation.protocol import Command, CommandAck
from groundstation.federation.station import Executor, Outcome, StationLink
from groundstation.federation.store import CentreStore
from simulator.base import LONGYOU_STATION
from simulator.fleet import SimConfig, SimFleet
from tests.e2e.service.station import ADMIN, StationProcess
from tests.integration.federation.broker import Mosquitto

#: river-b's dock, about 5.6 km north of river-a's (the packaged Longyou station)
RIVER_B_HOME = (LONGYOU_STATION[0] + 0.05, LONGYOU_STATION[1], LONGYOU_STATION[2])


@dataclass(frozen=True, slots=True)
class TwoStations:
    """A running centre and two station services, two simulated drones each."""

    centre: Centre
    #: ``river-a`` at the Longyou dock, a pilot on duty
    a: StationProcess
    #: ``river-b`` at :data:`RIVER_B_HOME`, no pilot on duty
    b: StationProcess


class Audit:
    """A station's audit log in a list (the real station writes its audit chain)."""

    def __init__(self) -> None:
        self.entries: list[tuple[Command, CommandAck]] = []

    async def __call__(self, command: Command, ack: CommandAck) -> None:
        self.entries.append((command, ack))


async def _rtl_only(command: Command) -> Outcome:
    if command.kind == "rtl":
        return Outcome("done")
    return Outcome("refused", f"{command.kind} is not carried out here", "bad_params")


def station(
    broker: Mosquitto,
    name: str,
    folder: Path,
    *,
    accept_commands: bool = True,
    execute: Executor = _rtl_only,
    command_max_age_s: float = 60.0,
) -> tuple[StationLink, Audit]:
    settings = FederationSettings(
        enabled=True,
        station_id=name,
        broker_port=broker.port,
        password=SecretStr(broker.logins[name]),
        ca_file=broker.ca,
        accept_commands=accept_commands,
        reconnect_max_s=0.5,
        command_max_age_s=command_max_age_s,
    )
    audit = Audit()
    return StationLink(settings, Outbox(folder / f"{name}-outbox.db"), execute, audit), audit


async def wait_for(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    """Poll an async or plain check until it is truthy (loopback: a few ms per round)."""
    async with asyncio.timeout(timeout_s):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(*services: Centre | StationLink) -> AsyncIterator[None]:
    """Run `services` (in-process) until the block ends, entering it once all are connected."""
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(s.run()) for s in services]
        for s in services:
            async with asyncio.timeout(20):
                await s.connected.wait()
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()


def centre_of(broker: Mosquitto, store: CentreStore) -> Centre:
    """The centre on `store`, logging in to `broker` as ``centre`` (not yet running)."""
    return Centre(
        store, host="127.0.0.1", port=broker.port, password=broker.logins["centre"],
        ca_file=broker.ca,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def running_centre(broker: Mosquitto, store: CentreStore) -> AsyncIterator[Centre]:
    """The centre on `store`, logged in to `broker`, running until the block ends."""
    centre = centre_of(broker, store)
    centre_task = asyncio.create_task(centre.run())
    try:
        yield centre
    finally:
        centre_task.cancel()
        await asyncio.gather(centre_task, return_exceptions=True)


def station_env(
    broker: Mosquitto,
    name: str,
    *,
    broker_port: int | None = None,
    more: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A station service's environment with federation on as `name` (frames at 2 Hz), its
    broker at `broker_port` (default: the broker's own); `more` adds ``ECOPATROL_<key>``."""
    env = {
        "ECOPATROL_FEDERATION__ENABLED": "true",
        "ECOPATROL_FEDERATION__STATION_ID": name,
        "ECOPATROL_FEDERATION__BROKER_PORT": str(broker_port or broker.port),
        "ECOPATROL_FEDERATION__PASSWORD": broker.logins[name],
        "ECOPATROL_FEDERATION__CA_FILE": str(broker.ca),
        "ECOPATROL_FEDERATION__FRAME_RATE_HZ": "2",
    }
    env.update({f"ECOPATROL_{k}": v for k, v in (more or {}).items()})
    return env


@contextlib.asynccontextmanager
async def station_process(
    workdir: Path, sim_port: int, env: dict[str, str], *, enrol: list[int], factor: float = 1.0
) -> AsyncIterator[StationProcess]:
    """A station service in `workdir` (made here) on the simulator at `sim_port`, its systems
    `enrol` accepted and enrolled, running until the block ends."""
    await asyncio.to_thread(workdir.mkdir)
    proc = StationProcess(workdir, [f"udpout:127.0.0.1:{sim_port}"], factor, env=env, enrol=enrol)
    await proc.start()
    try:
        yield proc
    finally:
        await proc.stop()


@contextlib.asynccontextmanager
async def station_service(
    broker: Mosquitto,
    name: str,
    workdir: Path,
    *,
    home: tuple[float, float, float] | None = None,
    duty: bool = True,
    broker_port: int | None = None,
    speedup: float = 5.0,
    factor: float = 1.0,
    more: Mapping[str, str] | None = None,
) -> AsyncIterator[StationProcess]:
    """A station service on its own simulated fleet (2 drones at `home`), federation on; `duty`
    False: no pilot on duty (the centre's commands are refused); `broker_port` and `more` as
    for :func:`station_env`."""
    config = SimConfig(drones=2, listen="udpin:127.0.0.1:0", speedup=speedup, seed=3, home=home)
    duty_env = {"FEDERATION__ACCEPT_COMMANDS": "true" if duty else "false"}
    env = station_env(broker, name, broker_port=broker_port, more={**duty_env, **(more or {})})
    async with (
        SimFleet(config) as sim,
        station_process(workdir, sim.ports[0], env, enrol=[1, 2], factor=factor) as proc,
    ):
        yield proc


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """The bearer header of the station's admin, signed in through `client`."""
    r = await client.post("/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def outbox_state(path: Path) -> tuple[int, int]:
    """(waiting, last seq given) of a station's outbox file, read beside the running station."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        waiting = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(waiting), int(last[0]) if last else 0
