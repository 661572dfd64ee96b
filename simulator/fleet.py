"""SimFleet: N simulated copters on one asyncio loop, reachable over UDP/TCP endpoints.

```python
async with SimFleet(SimConfig(drones=3, listen="udpin:127.0.0.1:0", speedup=20)) as sim:
    port = sim.ports[0]                 # where a ground station sends to
    sim.vehicles[2].state.alt_rel_m     # a VehicleSnapshot
    sim.faults.cut_link(2, 20.0)        # simulated seconds
```

All vehicles of an endpoint share it (one parser per remote peer; each message is offered to
every vehicle, which keeps what is addressed to it), unless `per_vehicle_ports` gives each vehicle
its own endpoint (listen port P+i-1, or a fresh free port each when P is 0).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import TracebackType

from simulator.ardupilot_storage import StorageLimits
from simulator.autopilot import LONGYOU_STATION, Autopilot
from simulator.camera.component import CameraComponent, VehiclePose
from simulator.camera.fleet_cameras import CameraConfig, FleetCameras
from simulator.clock import Clock, ManualClock, ScaledClock
from simulator.codec import Encoder, MavMessage, Parser, is_mavlink1
from simulator.faults import FaultControl
from simulator.geo import offset_deg
from simulator.server import Endpoint, Url, open_endpoint, parse_url
from simulator.signing import SigningState
from simulator.state import VehicleSnapshot

TICK_WALL_S = 0.01
MAX_BACKLOG_WALL_S = 1.0  # scheduling hiccups are caught up; longer stalls slip
FRAMES_PER_DATAGRAM = 16  # at most ~1.1 kB: below any loopback or LAN MTU
SPACING_M = 4.0


class SimConfigError(ValueError):
    """A SimConfig that cannot run (no endpoint, bad counts, bad home)."""


@dataclass
class SimConfig:
    drones: int = 3
    listen: str | None = "udpin:127.0.0.1:0"
    connect: str | None = None
    per_vehicle_ports: bool = False
    speedup: float = 1.0
    seed: int = 0
    home: tuple[float, float, float] | None = None
    packet_loss_pct: float = 0.0
    latency_ms: float = 0.0
    signing_key: bytes | None = None
    manual_clock: bool = False
    """True: time moves only with `SimFleet.advance()` (speedup is then ignored)."""
    first_sysid: int = 1
    homes: tuple[tuple[float, float, float], ...] | None = None
    """One start point per vehicle (several launch sites); overrides `home` and the spacing."""
    wind: tuple[float, float, float] | None = None
    """Steady wind for every vehicle: (speed m/s, from degrees, gust m/s); None = the
    SIM_WIND_* defaults. Changeable at run time: `SimFleet.set_wind` or the control port."""
    storage: StorageLimits | tuple[StorageLimits, ...] = field(default_factory=StorageLimits)
    """Mission/fence/rally storage (capacity), ArduCopter SITL's by default; one per vehicle
    with a tuple."""
    camera: CameraConfig | None = None
    """A gimbal camera on every vehicle (MAVLink component 100, RTP/H.264, HTTP photos)."""

    def validate(self) -> None:
        if not 1 <= self.drones <= 250 or not 1 <= self.first_sysid <= 251 - self.drones:
            raise SimConfigError(f"drones must be 1..250 with ids in 1..250, got {self.drones}")
        if self.listen is None and self.connect is None:
            raise SimConfigError("give at least one of listen / connect")
        if not self.manual_clock and not self.speedup > 0:
            raise SimConfigError(f"speedup must be > 0, got {self.speedup}")
        if self.signing_key is not None and len(self.signing_key) != 32:
            raise SimConfigError(f"signing key must be 32 bytes, got {len(self.signing_key)}")
        if isinstance(self.storage, tuple) and len(self.storage) != self.drones:
            raise SimConfigError(f"storage: {len(self.storage)} given for {self.drones} drones")
        if self.homes is not None:
            if len(self.homes) != self.drones:
                raise SimConfigError(f"homes: {len(self.homes)} given for {self.drones} drones")
            for h in self.homes:
                if not (-90 <= h[0] <= 90 and -180 <= h[1] <= 180):
                    raise SimConfigError(f"home {h} is not lat, lon, alt")
        if self.wind is not None and not (
            0 <= self.wind[0] <= 40 and 0 <= self.wind[1] <= 360 and 0 <= self.wind[2] <= 10
        ):
            raise SimConfigError(f"wind {self.wind} is not (0-40 m/s, 0-360 deg, 0-10 m/s gusts)")
        if self.home is not None and not (
            -90 <= self.home[0] <= 90 and -180 <= self.home[1] <= 180
        ):
            raise SimConfigError(f"home {self.home} is not lat, lon, alt")


@dataclass
class SimVehicle:
    """One simulated vehicle: its autopilot, its encoder and the links it is on."""

    autopilot: Autopilot
    encoder: Encoder
    signing: SigningState = field(default_factory=lambda: SigningState(None))
    links: list[_Link] = field(default_factory=list)
    camera: CameraComponent | None = None
    camera_encoder: Encoder | None = None

    def __post_init__(self) -> None:
        self.signing.apply_to(self.encoder)
        if self.camera is not None:
            self.camera_encoder = Encoder(self.sysid, self.camera.mav.srcComponent)
            self.signing.apply_to(self.camera_encoder)
        self.autopilot.on_setup_signing = self.setup_signing

    def setup_signing(self, key: bytes, initial_timestamp: int) -> None:
        """SETUP_SIGNING from a GCS: sign with `key` and require it (all zeros: signing off)."""
        self.signing.set_key(key, initial_timestamp)
        self.signing.apply_to(self.encoder)
        if self.camera_encoder is not None:
            self.signing.apply_to(self.camera_encoder)

    @property
    def sysid(self) -> int:
        return self.autopilot.sysid

    @property
    def state(self) -> VehicleSnapshot:
        return self.autopilot.state

    def lose_gps(self, until_s: float) -> None:
        self.autopilot.gps_lost_until = until_s

    def sag_battery(self, pct: float) -> None:
        self.autopilot.battery.sag(pct)


@dataclass
class _Link:
    url: Url
    endpoint: Endpoint | None = None
    vehicles: list[SimVehicle] = field(default_factory=list)
    parsers: dict[Hashable, Parser] = field(default_factory=dict)


class SimFleet:
    def __init__(self, config: SimConfig) -> None:
        config.validate()
        self.config = config
        self.clock: Clock = ManualClock() if config.manual_clock else ScaledClock(config.speedup)
        home = config.home or LONGYOU_STATION
        self.vehicles: dict[int, SimVehicle] = {}
        autopilots: dict[int, Autopilot] = {}
        for i in range(config.drones):
            sysid = config.first_sysid + i
            if config.homes is not None:
                start = config.homes[i]
            else:  # a row west to east, SPACING_M apart
                lat, lon = offset_deg(home[0], home[1], 0.0, SPACING_M * i)
                start = (lat, lon, home[2])
            storage = config.storage
            if isinstance(storage, tuple):
                storage = storage[i]
            autopilots[sysid] = Autopilot(sysid, start, seed=config.seed, storage=storage)
        self.cameras: FleetCameras | None = None
        if config.camera is not None:
            poses = {sysid: _pose_of(ap) for sysid, ap in autopilots.items()}
            self.cameras = FleetCameras(config.camera, home, poses)
        for sysid, ap in autopilots.items():
            signing = SigningState(config.signing_key)
            cam = self.cameras.components[sysid] if self.cameras is not None else None
            self.vehicles[sysid] = SimVehicle(ap, Encoder(sysid, 1), signing, camera=cam)
        if config.wind is not None:
            self.set_wind(*config.wind)
        self.faults = FaultControl(
            self.clock, self.vehicles, config.seed, config.packet_loss_pct, config.latency_ms
        )
        self.links: list[_Link] = self._plan_links()
        self.ports: list[int] = []
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._sim_now = 0.0
        self._stepped = asyncio.Event()
        self.slipped_s = 0.0
        """Simulated seconds the clock was held back because the CPU could not keep up."""

    def _plan_links(self) -> list[_Link]:
        links: list[_Link] = []
        vehicles = list(self.vehicles.values())
        for text in (self.config.listen, self.config.connect):
            if text is None:
                continue
            url = parse_url(text)
            if not self.config.per_vehicle_ports:
                links.append(_Link(url, vehicles=list(vehicles)))
                continue
            for i, v in enumerate(vehicles):
                port = url.port + i if url.port else 0
                links.append(_Link(url.with_port(port), vehicles=[v]))
        for link in links:
            for v in link.vehicles:
                v.links.append(link)
        return links

    def set_wind(
        self, speed_m_s: float, from_deg: float, gust_m_s: float, sysid: int | None = None
    ) -> None:
        """Set the wind of one vehicle (or all): the SIM_WIND_* parameters, as on ArduPilot."""
        for sid, v in self.vehicles.items():
            if sysid is None or sid == sysid:
                params = v.autopilot.params
                params.set("SIM_WIND_SPD", speed_m_s)
                params.set("SIM_WIND_DIR", from_deg)
                params.set("SIM_WIND_TURB", gust_m_s)

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> SimFleet:
        try:
            for link in self.links:
                link.endpoint = await open_endpoint(link.url, self._receiver(link))
                if link.url.kind in ("udpin", "tcpin"):
                    self.ports.append(link.endpoint.local_port)
            if self.cameras is not None:
                await self.cameras.start()
        except BaseException:
            self._close()
            raise
        if not self.config.manual_clock:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="simfleet")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.cameras is not None:
            await self.cameras.close()
        self._close()

    def _close(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        for link in self.links:
            if link.endpoint is not None:
                link.endpoint.close()
                link.endpoint = None

    async def _run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(TICK_WALL_S)

    def step(self) -> None:
        """Bring every vehicle up to the clock's time and send what they produced.

        When the CPU cannot keep up with the speedup, the clock slips instead of piling up work:
        one step never catches up more than MAX_BACKLOG_WALL_S of wall time.
        """
        now = self.clock.now()
        if isinstance(self.clock, ScaledClock):
            limit = MAX_BACKLOG_WALL_S * self.clock.speedup
            behind = now - self._sim_now
            if behind > limit:
                self.clock.slip(behind - limit)
                self.slipped_s += behind - limit
                now = self.clock.now()
        self._sim_now = now
        for v in self.vehicles.values():
            v.autopilot.update(now)
            if v.camera is not None:
                v.camera.update(now)
            self._flush(v)
        self._stepped.set()

    def advance(self, seconds: float) -> None:
        """With `manual_clock`: move time on by `seconds`, in 0.1 s steps, sending as it goes."""
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError("advance() needs SimConfig(manual_clock=True)")
        remaining = seconds
        while remaining > 1e-9:
            dt = min(0.1, remaining)
            self.clock.advance(dt)
            remaining -= dt
            self.step()

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 600.0) -> float:
        """Wait until `predicate()` holds; return the simulated time then.

        `timeout_s` is simulated seconds: the manual clock is advanced by hand up to it, the
        scaled clock is waited for (re-checked after every simulation step). TimeoutError if the
        condition never holds.
        """
        start = self.clock.now()
        while not predicate():
            if self.clock.now() - start >= timeout_s:
                raise TimeoutError(f"condition not met within {timeout_s:g} simulated seconds")
            if isinstance(self.clock, ManualClock):
                self.advance(0.1)
                await asyncio.sleep(0)  # let the network side run too
            else:
                self._stepped.clear()
                await self._stepped.wait()
        return self.clock.now()

    @property
    def bad_frames(self) -> int:
        """Frames thrown away so far: garbage, wrong CRC, unknown id, bad signature."""
        parsed = sum(p.bad_frames for link in self.links for p in link.parsers.values())
        return parsed + sum(v.signing.rejected for v in self.vehicles.values())

    # ------------------------------------------------------------------ data paths
    def _receiver(self, link: _Link) -> Callable[[Hashable, bytes], None]:
        def receive(peer: Hashable, data: bytes) -> None:
            self._on_data(link, peer, data)

        return receive

    def _on_data(self, link: _Link, peer: Hashable, data: bytes) -> None:
        parser = link.parsers.get(peer)
        if parser is None:
            parser = link.parsers[peer] = Parser()  # signatures are checked per vehicle
        for msg in parser.feed(data):
            for v in link.vehicles:
                if self.faults.blocked(v.sysid) or self.faults.drop():
                    continue
                if not v.signing.accept(msg):
                    continue
                self._later(self._deliver, v, msg)

    def _deliver(self, v: SimVehicle, msg: MavMessage) -> None:
        if self.faults.blocked(v.sysid):
            return
        v.autopilot.update(self.clock.now())
        v.encoder.mavlink1 = is_mavlink1(msg)
        v.autopilot.handle(msg)
        if v.camera is not None and v.camera_encoder is not None:
            v.camera_encoder.mavlink1 = v.encoder.mavlink1
            v.camera.handle(msg)
        self._flush(v)

    def _flush(self, v: SimVehicle) -> None:
        out = v.autopilot.drain()
        cam_out = v.camera.drain() if v.camera is not None else []
        if not (out or cam_out) or self.faults.blocked(v.sysid):
            return
        if not any(link.endpoint is not None and link.endpoint.has_peers for link in v.links):
            return  # nobody to send to: skip the encoding too
        frames = [f for f in map(v.encoder.encode, out) if f is not None]
        if v.camera_encoder is not None:
            frames += [f for f in map(v.camera_encoder.encode, cam_out) if f is not None]
        for link in v.links:
            if link.endpoint is None:
                continue
            kept = [f for f in frames if not self.faults.drop()]
            # several frames per datagram, as ArduPilot does; every MAVLink parser copes
            for start in range(0, len(kept), FRAMES_PER_DATAGRAM):
                self._later(link.endpoint.send, b"".join(kept[start : start + FRAMES_PER_DATAGRAM]))

    def _later(self, fn: object, *args: object) -> None:
        latency_s = self.faults.latency_ms / 1000.0
        if latency_s <= 0 or not isinstance(self.clock, ScaledClock):
            fn(*args)  # type: ignore[operator]
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def _fire() -> None:
            self._pending.discard(handle)
            fn(*args)  # type: ignore[operator]

        handle = loop.call_later(self.clock.to_wall(latency_s), _fire)
        self._pending.add(handle)


def _pose_of(ap: Autopilot) -> Callable[[], VehiclePose]:
    """The vehicle's pose as its camera reads it (from the autopilot's true position)."""

    def pose() -> VehiclePose:
        lat, lon = ap.latlon()
        return VehiclePose(lat, lon, ap.alt_msl_m, ap.alt_rel_m, ap.frame.yaw_deg)

    return pose
