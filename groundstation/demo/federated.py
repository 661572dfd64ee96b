"""``ecopatrol demo --stations N``: N stations and a command centre on loopback, in one command.

What :func:`run_federated` starts, in its demo folder, and stops again (in reverse):

1. a throwaway Mosquitto (:mod:`groundstation.federation.local_broker`: TLS with a CA made for
   the run, one login per station and one for the centre, the federation ACL);
2. a throwaway PostgreSQL cluster (:mod:`.local_postgres`) for the centre's merged store, and
   the centre's user ``chief`` (sees every station);
3. the centre (``ecopatrol centre``): the subscriber and the centre's page and API;
4. each station as its own ``ecopatrol demo --headless`` process (its own simulated fleet,
   users, plans and schedules, as the one-station demo), joined to the centre through the
   broker (``ECOPATROL_FEDERATION__*``). Their console lines are shown prefixed with the
   station's id.

It runs until Ctrl-C or, with ``until_reports``, until every station has written that many
reports and the centre has heard from every station. Stations are ``river-a``, ``river-b``...,
each a demo at the packaged Longyou site (the drones of each are numbered from 1; the centre
tells them apart by station).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from groundstation.demo.client import DemoError
from groundstation.demo.local_postgres import LocalPostgres, PostgresMissing
from groundstation.federation.local_broker import Mosquitto, mosquitto_binary

STATION_IDS = ("river-a", "river-b", "river-c", "river-d")
CHIEF = "chief"


@dataclass(frozen=True, slots=True)
class FederatedOptions:
    """The command line's choices for a demo of several stations."""

    folder: Path
    stations: int = 2
    port: int = 8000
    drones: int = 2
    speedup: float = 1.0
    until_reports: int | None = None
    timeout_s: float = 900.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ports(first: int, count: int) -> list[int]:
    """The centre's port, then each station's: `first` and the next ones (0: any free)."""
    return [_free_port() if first == 0 else first + i for i in range(count + 1)]


class FederatedDemo:
    """One run (see the module docstring); :meth:`run` returns the exit code."""

    def __init__(self, options: FederatedOptions, echo: Callable[[str], None]) -> None:
        if not 2 <= options.stations <= len(STATION_IDS):
            raise DemoError(f"--stations: 2 to {len(STATION_IDS)}")
        self.options = options
        self.echo = echo
        self.names = list(STATION_IDS[: options.stations])
        self.stop = asyncio.Event()
        self.chief_password = secrets.token_urlsafe(12)
        self._relays: set[asyncio.Task[None]] = set()

    async def run(self) -> int:
        binary = mosquitto_binary()
        if binary is None:
            raise DemoError("mosquitto is not installed: run scripts/install-system-deps.sh")
        folder = self.options.folder
        await asyncio.to_thread(shutil.rmtree, folder / "centre", True)  # the last run's
        centre_port, *station_ports = ports(self.options.port, len(self.names))
        logins = {name: secrets.token_urlsafe(12) for name in [*self.names, "centre"]}
        # in a temp folder: mosquitto and postgres drop root, and the demo folder is private
        broker = Mosquitto(binary, logins)
        with self._signals():
            await asyncio.to_thread(broker.start)
            try:
                return await self._with_broker(broker, centre_port, station_ports)
            finally:
                await asyncio.to_thread(broker.close)

    async def _with_broker(
        self, broker: Mosquitto, centre_port: int, station_ports: list[int]
    ) -> int:
        self.echo(f"broker: mosquitto on 127.0.0.1:{broker.port} (TLS, one login per station)")
        try:
            pg = LocalPostgres(Path(tempfile.mkdtemp(prefix="ecopatrol-demo-pg-")))
        except PostgresMissing as exc:
            raise DemoError(str(exc)) from None
        await asyncio.to_thread(pg.start)
        try:
            db = pg.url()
            self.echo(f"centre store: PostgreSQL on 127.0.0.1:{pg.port}")
            await self._centre_user(db)
            centre_args, centre_env = self._centre_args(db, centre_port), self._centre_env(broker)
            async with self._process("centre", centre_args, centre_env):
                centre_url = f"http://127.0.0.1:{centre_port}"
                token = await self._login(centre_url)
                self.echo(
                    f"centre: {centre_url}  user {CHIEF}, password {self.chief_password} "
                    "(sees every station)"
                )
                async with contextlib.AsyncExitStack() as stack:
                    procs = []
                    for name, port in zip(self.names, station_ports, strict=True):
                        args, env = self._station_args(name, port), self._station_env(broker, name)
                        procs.append(
                            await stack.enter_async_context(self._process(name, args, env))
                        )
                    for name, port in zip(self.names, station_ports, strict=True):
                        self.echo(f"{name}: http://127.0.0.1:{port} (its users below, [{name}])")
                    return await self._watch(procs, centre_url, token)
        finally:
            await asyncio.to_thread(pg.stop)
            await asyncio.to_thread(shutil.rmtree, pg.root, True)

    # --- the processes ---------------------------------------------------------------------

    def _centre_args(self, db: str, port: int) -> list[str]:
        return ["centre", "--db", db, "--host", "127.0.0.1", "--port", str(port)]

    def _centre_env(self, broker: Mosquitto) -> dict[str, str]:
        return {
            "ECOPATROL_DATA_DIR": str(self.options.folder / "centre"),
            "ECOPATROL_FEDERATION__BROKER_PORT": str(broker.port),
            "ECOPATROL_FEDERATION__PASSWORD": broker.logins["centre"],
            "ECOPATROL_FEDERATION__CA_FILE": str(broker.ca),
        }

    def _station_args(self, name: str, port: int) -> list[str]:
        o = self.options
        args = [
            "demo", "--headless", "--port", str(port), "--data-dir", str(o.folder / name),
            "--drones", str(o.drones), "--speedup", str(o.speedup),
        ]  # fmt: skip
        if o.until_reports is not None:
            args += ["--until-reports", str(o.until_reports), "--timeout", str(o.timeout_s)]
        return args

    def _station_env(self, broker: Mosquitto, name: str) -> dict[str, str]:
        return {
            "ECOPATROL_FEDERATION__ENABLED": "true",
            "ECOPATROL_FEDERATION__STATION_ID": name,
            "ECOPATROL_FEDERATION__BROKER_PORT": str(broker.port),
            "ECOPATROL_FEDERATION__PASSWORD": broker.logins[name],
            "ECOPATROL_FEDERATION__CA_FILE": str(broker.ca),
        }

    async def _centre_user(self, db: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "groundstation", "centre-user", "--db", db,
            "--username", CHIEF, "--role", "admin", "--full-name", "Demo chief",
            "--password-stdin",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate(f"{self.chief_password}\n".encode())
        if proc.returncode != 0:
            raise DemoError(f"the centre's user was not added: {out.decode(errors='replace')}")

    @contextlib.asynccontextmanager
    async def _process(
        self, name: str, args: list[str], env: dict[str, str]
    ) -> AsyncIterator[asyncio.subprocess.Process]:
        """A child ``python -m groundstation ...``, its lines echoed as ``[name] ...``;
        stopped with SIGTERM (then SIGKILL) when the block ends."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "groundstation", *args,
            env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        relay = asyncio.create_task(self._relay(name, proc))
        self._relays.add(relay)
        relay.add_done_callback(self._relays.discard)
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await relay

    async def _relay(self, name: str, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            self.echo(f"[{name}] {line.decode(errors='replace').rstrip()}")

    async def _login(self, url: str) -> str:
        """The chief's token once the centre answers (it migrates its store first)."""
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            while True:
                try:
                    r = await http.post(
                        "/api/auth/login",
                        json={"username": CHIEF, "password": self.chief_password},
                    )
                    if r.status_code == 200:
                        return str(r.json()["access_token"])
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise DemoError("the centre did not start within 60 s; see its lines above")
                await asyncio.sleep(0.3)

    # --- watching --------------------------------------------------------------------------

    async def _watch(
        self, procs: list[asyncio.subprocess.Process], centre_url: str, token: str
    ) -> int:
        """Until stopped, or (``until_reports``) until every station is done and the centre
        has heard from each; the exit code."""
        heard: set[str] = set()
        deadline = time.monotonic() + self.options.timeout_s
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=centre_url, headers=headers, timeout=10) as http:
            while not self.stop.is_set():
                r = await http.get("/api/centre/stations")
                if r.status_code == 200 and set(r.json()) - heard:
                    heard = set(r.json())
                    self.echo(f"centre: hears {', '.join(sorted(heard))}")
                codes = [p.returncode for p in procs]
                if any(c not in (None, 0) for c in codes):
                    self.echo("a station's demo failed; see its lines above")
                    return 1
                if self.options.until_reports is not None:
                    if all(c == 0 for c in codes) and heard >= set(self.names):
                        self.echo("every station reported; the centre heard them all: done")
                        return 0
                    if time.monotonic() > deadline:
                        self.echo(f"timed out after {self.options.timeout_s:.0f} s")
                        return 1
                elif all(c is not None for c in codes):
                    return 0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), 1.0)
        return 130

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self.stop.set)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
