"""Stations and a centre wired to a test broker, for the federation tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from groundstation.config import FederationSettings
from groundstation.federation.outbox import Outbox
from groundstation.federation.protocol import Command, CommandAck
from groundstation.federation.station import Executor, Outcome, StationLink
from tests.integration.federation.broker import Mosquitto


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
