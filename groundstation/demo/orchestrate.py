"""The demo in one process and one event loop: simulated fleet, station service, schedules.

:meth:`Demo.run` does, in order (the command has claimed and reset the demo folder):

1. binds the HTTP port (a taken port is a clear error, not a traceback);
2. starts :class:`~simulator.fleet.SimFleet` (N copters at the site's station, default wind and
   battery) listening on a free loopback UDP port;
3. starts the station (``create_app`` under a ``uvicorn.Server`` with
   ``ws="websockets-sansio"``) with SQLite in the demo folder and a MAVLink link out to the
   simulator;
4. over the public API: adds the demo users, registers the drones' endurance, the three plans
   (:mod:`groundstation.demo.plans`) and one schedule each, due a few seconds from now;
5. refreshes a :class:`~groundstation.demo.console.DemoStatus` twice a second (live vehicle
   frames, patrols, schedule runs, reports) and writes every filed report as HTML and PNG into
   the folder's ``reports/``;

until it is stopped (Ctrl-C / SIGTERM) or, with ``until_reports``, that many patrols are
reported. A patrol that fails or a run that is skipped ends an ``until_reports`` run with a
:class:`~groundstation.demo.client.DemoError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from groundstation.config import Settings
from groundstation.demo.camera_scene import write_scene
from groundstation.demo.client import DemoError, StationClient
from groundstation.demo.console import DemoStatus, PatrolRow
from groundstation.demo.plans import DemoPlan, demo_plans
from groundstation.demo.server import bind_port, server_for, shut_down, started
from groundstation.demo.setup import LOG_NAME, REPORTS_DIR, Credential, demo_settings
from simulator.camera.fleet_cameras import CameraConfig
from simulator.fleet import SimConfig, SimFleet

log = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_S = 0.5
DRONES_TIMEOUT_S = 60.0
FAILED = ("failed", "aborted")
#: What the registry says of each simulated drone. Its pack (simulator.vehicle.Battery) loses
#: about 11 % in a 6.5 min patrol, so some 55 min to empty; 40 min is what a pilot would plan on.
#: Preflight checks a sortie against this, not against a plan's own (the tour's short) endurance.
DRONE_ENDURANCE_S = 2400.0


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The command line's choices."""

    folder: Path
    port: int = 8000
    drones: int = 3
    speedup: float = 1.0
    until_reports: int | None = None
    timeout_s: float = 900.0
    seed: int = 0


def first_failure(patrols: list[PatrolRow], runs: list[dict[str, Any]]) -> str | None:
    """What went wrong first, if anything: a patrol that failed in flight or a skipped run.

    A scheduled run that could not start aborts its patrol and, with the retry policy, is
    tried again (recorded ``delayed``): that patrol is no failure of the demo by itself.

    >>> runs = [{"status": "delayed", "patrol_id": 2, "reason": "battery"}]
    >>> first_failure([PatrolRow(2, "tour", "drone-1", "aborted", "did not start")], runs)
    >>> first_failure([PatrolRow(3, "tour", "drone-1", "failed", "link lost")], runs)
    'patrol 3 (tour on drone-1) failed: link lost'
    >>> first_failure([], [{"status": "skipped", "patrol_id": None, "reason": "no drone"}])
    'a scheduled run was skipped: no drone'
    """
    not_started = {r.get("patrol_id") for r in runs if r.get("status") != "started"}
    for p in patrols:
        if p.state in FAILED and p.id not in not_started:
            return f"patrol {p.id} ({p.plan} on {p.drone}) {p.state}: {p.reason}"
    for r in runs:
        if r.get("status") == "skipped":
            return f"a scheduled run was skipped: {r.get('reason')}"
    return None


class Demo:
    """One run of the demo; :meth:`run` is the whole of it."""

    def __init__(
        self,
        options: DemoOptions,
        base: Settings,
        credentials: list[Credential],
        show: Callable[[DemoStatus], None],
        announce: Callable[[DemoStatus, list[Credential]], None],
    ) -> None:
        self.options = options
        self.base = base
        self.credentials = credentials
        self.show = show
        self.announce = announce
        self.stop = asyncio.Event()
        self.status = DemoStatus(url="", folder=options.folder, speedup=options.speedup)
        self.plan_names: dict[int, str] = {}
        self.written: dict[int, Path] = {}
        self.failure: str | None = None
        self.t0 = time.monotonic()

    # --- the run ---------------------------------------------------------------------------

    async def run(self) -> DemoStatus:
        """Run until stopped; :class:`DemoError` if something the demo needs went wrong."""
        self.t0 = time.monotonic()
        sock = bind_port(self.options.port)
        try:
            await self._run(sock)
        finally:
            sock.close()
        self.status.phase = "stopped"
        return self.status

    async def _run(self, sock: socket.socket) -> None:
        port = int(sock.getsockname()[1])
        self.status.url = f"http://127.0.0.1:{port}"
        plans = await asyncio.to_thread(self._plans)
        scene = await asyncio.to_thread(self._camera_scene)
        config = SimConfig(
            drones=self.options.drones,
            listen="udpin:127.0.0.1:0",
            speedup=self.options.speedup,
            seed=self.options.seed,
            # the patrols fly up to ~700 m out: the ground is drawn 800 m around, 0.5 m a texel
            camera=CameraConfig(
                video_base_port=0,
                scene_file=scene,
                scene_half_size_m=800.0,
                scene_m_per_texel=0.5,
            ),
        )
        with self._signals():
            async with SimFleet(config) as sim:
                self.sim = sim
                settings = demo_settings(
                    self.base, self.options.folder, port, sim.ports[0], self._user("admin")
                )
                wind = next(iter(sim.vehicles.values())).autopilot.wind.speed_m_s
                server = server_for(self._app(settings, wind))
                serving = asyncio.create_task(server.serve(sockets=[sock]), name="station")
                try:
                    await started(server, serving, self.options.folder / LOG_NAME)
                    log.info("station serving on %s", self.status.url)
                    async with httpx.AsyncClient(base_url=self.status.url, timeout=60) as http:
                        admin = await self._unless_stopped(self._set_up(http, plans))
                        if admin is not None:
                            await self._watch(admin, server, sim)
                finally:
                    self.status.phase = "stopping"
                    self.show(self.status)
                    await shut_down(server, serving)

    async def _unless_stopped(self, coro: Coroutine[Any, Any, T]) -> T | None:
        """`coro`'s result, or None if the demo is stopped first (`coro` is then cancelled)."""
        task = asyncio.create_task(coro)
        stopped = asyncio.create_task(self.stop.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None

    def _camera_scene(self) -> Path | None:
        """The site's water and a few things to find, for the drones' cameras (None: the
        simulator's synthetic lake, if the site has no water layer to use)."""
        from geodata.errors import GeodataError
        from geodata.site import load_site

        try:
            site = load_site(self.base.site)
            return write_scene(site, self.options.folder / "camera-scene.geojson")
        except GeodataError as exc:
            log.warning("demo cameras: synthetic scene (%s)", exc)
            return None

    def _plans(self) -> list[DemoPlan]:
        from geodata.errors import GeodataError
        from geodata.site import load_site

        try:
            return demo_plans(load_site(self.base.site))
        except (GeodataError, ValueError) as exc:
            raise DemoError(f"cannot plan the demo's patrols: {exc}") from None

    def _app(self, settings: Settings, wind_m_s: float) -> FastAPI:
        from groundstation.app import create_app

        # the demo flies whenever it is started: no daylight rule; the simulator's wind is known
        schedule = settings.schedule.model_copy(update={"check_daylight": False})
        patrol = settings.patrol.model_copy(update={"wind_m_s": wind_m_s})
        app = create_app(settings.model_copy(update={"schedule": schedule, "patrol": patrol}))
        self.app = app
        return app

    def _user(self, role: str) -> Credential:
        return next(c for c in self.credentials if c.role == role)

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)

        def first(sig: signal.Signals) -> None:
            log.info("%s: stopping the demo", sig.name)
            self.stop.set()
            loop.remove_signal_handler(sig)  # a second Ctrl-C interrupts at once

        for sig in handled:
            loop.add_signal_handler(sig, first, sig)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    async def _set_up(self, http: httpx.AsyncClient, plans: list[DemoPlan]) -> StationClient:
        self.status.phase = "adding users"
        self.show(self.status)
        admin_cred = self._user("admin")
        admin = await StationClient.login(http, admin_cred.username, admin_cred.password)
        for c in self.credentials:
            if c.role != "admin":
                await admin.add_user(c.username, c.password, c.role, c.full_name)
        pilot_cred = self._user("pilot")
        pilot = await StationClient.login(http, pilot_cred.username, pilot_cred.password)
        self.status.phase = "waiting for the drones"
        self.show(self.status)
        await self._enrol_drones(pilot)
        await self._drones_ready()
        for drone in self.status.drones:
            await pilot.update_vehicle(int(drone["vehicle_id"]), self._airframe())
        self.status.phase = "planning"
        self.show(self.status)
        rows = [await pilot.add_plan(p.body) for p in plans]
        start = datetime.now(UTC)
        for plan, row in zip(plans, rows, strict=True):
            self.plan_names[int(row["id"])] = str(row["name"])
            due = max(
                start + timedelta(seconds=plan.launch_after_s),
                datetime.now(UTC) + timedelta(seconds=3),
            )
            sched = await pilot.add_schedule(int(row["id"]), str(row["name"]), due)
            self.status.schedules.append((int(sched["id"]), str(row["name"]), due))
            log.info(
                "schedule %s: plan %r due at %s", sched["id"], row["name"], sched["next_run_at"]
            )
        self.status.phase = "running"
        self.status.users = [(c.username, c.password, c.role) for c in self.credentials]
        self.announce(self.status, self.credentials)
        return admin

    def _airframe(self) -> dict[str, Any]:
        pack = next(iter(self.sim.vehicles.values())).autopilot.battery
        return {
            "airframe": "quadcopter (simulated)",
            "battery_model": f"{pack.cells}S LiPo (simulated)",
            "battery_capacity_mah": round(pack.capacity_mah),
            "endurance_s": DRONE_ENDURANCE_S,
        }

    async def _enrol_drones(self, pilot: StationClient) -> None:
        """Accept the simulated drones and enrol them for MAVLink signing, each with its own
        key. The demo may: they are its own, on its loopback link (a real station leaves this
        to a pilot, over a link the pilot trusts)."""
        deadline = time.monotonic() + DRONES_TIMEOUT_S
        wanted = set(self.sim.vehicles) if self.sim is not None else set()
        while wanted:
            for seen in await pilot.heard_vehicles():
                if seen["sysid"] in wanted:
                    self.status.phase = (
                        f"enrolling simulated drone {seen['sysid']} for MAVLink signing"
                        " (its own key, over the demo's loopback link)"
                    )
                    log.info(self.status.phase)
                    self.show(self.status)
                    await pilot.accept_vehicle(int(seen["sysid"]))
                    wanted.discard(seen["sysid"])
            if time.monotonic() > deadline:
                raise DemoError(f"simulated drones {sorted(wanted)} not heard to enrol them")
            await asyncio.sleep(0.2)

    async def _drones_ready(self) -> None:
        """Wait until every simulated drone is heard and registered, with a known battery."""
        deadline = time.monotonic() + DRONES_TIMEOUT_S
        while True:
            await self._read_drones()
            ready = [
                d
                for d in self.status.drones
                if (d.get("link") or {}).get("status") == "ok"
                and d.get("battery_pct") is not None
                and d.get("vehicle_id") is not None
            ]
            if len(ready) >= self.options.drones:
                return
            if time.monotonic() > deadline:
                raise DemoError(
                    f"only {len(ready)} of {self.options.drones} simulated drones heard within "
                    f"{DRONES_TIMEOUT_S:.0f} s"
                )
            self.show(self.status)
            await asyncio.sleep(0.2)

    async def _read_drones(self) -> None:
        from groundstation.app import services_of

        services = services_of(self.app)
        source = services.live_sources["vehicles"]
        async with services.sessions() as session:
            self.status.drones = [v.model_dump(mode="json") for v in await source(session)]

    async def _watch(self, admin: StationClient, server: uvicorn.Server, sim: SimFleet) -> None:
        deadline = self.t0 + self.options.timeout_s
        until = self.options.until_reports
        while not self.stop.is_set():
            if server.should_exit:
                raise DemoError("the station stopped on its own; see the log")
            await self._refresh(admin, sim)
            self.show(self.status)
            if until is not None:
                if self.failure is not None:
                    raise DemoError(self.failure)
                if len(self.written) >= until:
                    log.info("%d report(s) written: done", len(self.written))
                    return
                if time.monotonic() > deadline:
                    raise DemoError(
                        f"timed out after {self.options.timeout_s:.0f} s with "
                        f"{len(self.written)} of {until} reports written"
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), REFRESH_S)

    async def _refresh(self, admin: StationClient, sim: SimFleet) -> None:
        self.status.sim_time_s = float(sim.clock.now())
        await self._read_drones()
        names = {d.get("vehicle_id"): d.get("name") for d in self.status.drones}
        patrols = sorted(await admin.patrols(), key=lambda p: p["id"])
        self.status.patrols = [
            PatrolRow(
                int(p["id"]),
                self.plan_names.get(p["plan_id"], f"plan {p['plan_id']}"),
                str(names.get(p["vehicle_id"]) or "-"),
                str(p["state"]),
                str(p["reason"] or ""),
            )
            for p in patrols
        ]
        self.status.runs = await admin.schedule_runs()
        self.failure = self.failure or first_failure(self.status.patrols, self.status.runs)
        reported = {p.id for p in self.status.patrols if p.state == "reported"}
        for report in await admin.reports():
            pid = int(report["patrol_id"])
            if pid in reported and report.get("summary") and pid not in self.written:
                await self._write_report(admin, pid)
        if self.plan_names and len(self.written) >= len(self.plan_names):
            self.status.phase = "every demo patrol reported; the map stays live"

    async def _write_report(self, admin: StationClient, patrol_id: int) -> None:
        folder = self.options.folder / REPORTS_DIR
        html = await admin.report_file(patrol_id, "html")
        png = await admin.report_file(patrol_id, "png")
        path = folder / f"patrol-{patrol_id}.html"
        await asyncio.to_thread(path.write_bytes, html)
        await asyncio.to_thread((folder / f"patrol-{patrol_id}.png").write_bytes, png)
        self.written[patrol_id] = path
        self.status.reports.append(path)
        log.info("report of patrol %d written to %s", patrol_id, path)
