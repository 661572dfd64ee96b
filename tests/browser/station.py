"""A real station for browser tests: uvicorn on a loopback port and, optionally, a SimFleet.

Both run on one asyncio loop in a background thread (Playwright's sync API owns the test
thread). The station can be stopped and started again on the same port and data directory, so
a page can be watched while the station restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from groundstation.app import create_app
from groundstation.config import DbSettings, LinkSettings, Settings
from groundstation.safety.config import SafetySettings
from groundstation.video.settings import VideoSettings
from groundstation.web.basemap_settings import BasemapSettings
from simulator.camera.fleet_cameras import CameraConfig, free_udp_ports
from simulator.camera.scene import SceneObject
from simulator.fleet import SimConfig, SimFleet

ADMIN = ("root", "admin-password")
PASSWORD = "reed-kingfisher-42"
START_TIMEOUT_S = 60.0
T = TypeVar("T")


def _listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


@dataclass
class LiveStation:
    """The station (and `drones` simulated vehicles at `speedup`) in a background thread."""

    data_dir: Path
    drones: int = 0
    speedup: float = 10.0
    map_tiles: Path | None = None
    basemap: BasemapSettings = field(default_factory=BasemapSettings)
    rally_points: list[tuple[float, float]] = field(default_factory=list)  # (lon, lat)
    camera_objects: tuple[SceneObject, ...] | None = None
    """Gimbal cameras on the drones (RTP on free ports), seeing these objects; None: none."""
    camera: CameraConfig | None = None
    """The drones' cameras in full (size, rate, scene); overrides `camera_objects`."""
    video: VideoSettings | None = None
    """The station's video settings (e.g. configured streams); None: the defaults."""
    port: int = 0
    sim: SimFleet | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _server: uvicorn.Server | None = None
    _stop: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None
    _server_down: asyncio.Event | None = None
    _server_task: asyncio.Task[None] | None = None
    _sock: socket.socket | None = None
    app: FastAPI | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        mavlink = [f"udpout:127.0.0.1:{self.sim.ports[0]}"] if self.sim is not None else []
        return Settings(
            data_dir=self.data_dir,
            db=DbSettings(url=f"sqlite:///{self.data_dir / 'station.db'}"),
            admin_username=ADMIN[0],
            admin_password=ADMIN[1],
            password_hash_profile="cheapest",
            map_tiles=self.map_tiles,
            basemap=self.basemap,
            link=LinkSettings(mavlink=mavlink, link_lost_s=3.0),
            safety=SafetySettings(rally_points=self.rally_points),
            video=self.video if self.video is not None else VideoSettings(),
        )

    # --- lifecycle (called from the test thread) ------------------------------------------------

    def start(self) -> LiveStation:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="live-station", daemon=True)
        self._thread.start()
        self._wait_ready()
        if self.drones:
            self.accept_drones()
        return self

    def accept_drones(self) -> None:
        """As a pilot does: accept every simulated drone heard and enrol it for signing."""
        admin = {"Authorization": f"Bearer {self.token(*ADMIN)}"}
        done: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.api() as client:
            while len(done) < self.drones:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"simulated drones not heard to accept: {sorted(done)}")
                for seen in client.get("/api/vehicles/heard", headers=admin).json()["data"]:
                    body = {"link_trusted": True}
                    url = f"/api/vehicles/heard/{seen['sysid']}/accept"
                    client.post(url, json=body, headers=admin).raise_for_status()
                    done.add(seen["sysid"])
                time.sleep(0.2)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def stop_server(self) -> None:
        """Stop only the web service (the simulated fleet keeps flying)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._stop_server(), self._loop).result(timeout=30)

    def start_server(self) -> None:
        """Start the web service again on the same port and data."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._start_server(), self._loop).result(
            timeout=START_TIMEOUT_S
        )

    def cut_link(self, sysid: int, sim_seconds: float) -> None:
        """Cut the simulated link of one vehicle (run on the station's loop)."""
        assert self._loop is not None
        assert self.sim is not None
        sim = self.sim
        self._loop.call_soon_threadsafe(sim.faults.cut_link, sysid, sim_seconds)

    def battery_sag(self, sysid: int, pct: float) -> None:
        """Take `pct` % of one vehicle's pack at once (run on the station's loop)."""
        assert self._loop is not None
        assert self.sim is not None
        self._loop.call_soon_threadsafe(self.sim.faults.battery_sag, sysid, pct)

    def call(self, work: Callable[[FastAPI], Coroutine[Any, Any, T]], timeout_s: float = 60) -> T:
        """Run ``work(app)`` on the station's loop (e.g. fire a schedule) and return its result."""
        assert self._loop is not None
        assert self.app is not None
        app = self.app
        return asyncio.run_coroutine_threadsafe(work(app), self._loop).result(timeout=timeout_s)

    def _wait_ready(self) -> None:
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError("the station did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the station failed to start: {self._error!r}") from self._error

    # --- inside the station's loop --------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            if self.drones:
                camera = self.camera
                if camera is None and self.camera_objects is not None:
                    ports = free_udp_ports("127.0.0.1", self.drones)
                    camera = CameraConfig(ports=ports, objects=self.camera_objects)
                config = SimConfig(
                    drones=self.drones,
                    listen="udpin:127.0.0.1:0",
                    speedup=self.speedup,
                    seed=7,
                    camera=camera,
                )
                self.sim = await stack.enter_async_context(SimFleet(config))
            await self._start_server()
            self._ready.set()
            await self._stop.wait()
            await self._stop_server()

    async def _start_server(self) -> None:
        sock = _listening_socket(self.port)
        self.port = sock.getsockname()[1]
        self.app = create_app(self.settings())
        config = uvicorn.Config(
            self.app,
            ws="websockets-sansio",  # as `ecopatrol serve`
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        self._server = server
        self._server_task = asyncio.create_task(server.serve(sockets=[sock]))
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError("uvicorn stopped while starting")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("uvicorn did not start in time")
            await asyncio.sleep(0.05)
        self._sock = sock

    async def _stop_server(self) -> None:
        if self._server is None or self._server_task is None:
            return
        self._server.should_exit = True
        await self._server_task
        if self._sock is not None:
            self._sock.close()
        self._server = None
        self._server_task = None

    # --- API helpers (test thread) --------------------------------------------------------------

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0)

    def token(self, username: str, password: str = PASSWORD) -> str:
        with self.api() as client:
            r = client.post("/api/auth/login", json={"username": username, "password": password})
            r.raise_for_status()
            return str(r.json()["access_token"])

    def add_user(self, username: str, role: str) -> None:
        admin = self.token(*ADMIN)
        with self.api() as client:
            r = client.post(
                "/api/users",
                json={"username": username, "password": PASSWORD, "role": role,
                      "full_name": username},
                headers={"Authorization": f"Bearer {admin}"},
            )  # fmt: skip
            r.raise_for_status()
