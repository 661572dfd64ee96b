"""ArduPilot's ArduCopter SITL as a test peer: find it, start it, wait until it can arm, kill it.

The binary is never part of the repository: tests find it through ``ECOPATROL_SITL_BINARY``
(``.ci/run`` points it at ``../shared/sitl/arducopter``). Without it a test that needs it skips
with the reason; with ``CI=true`` a missing binary fails the test instead, so CI cannot go green
by skipping the real autopilot.

Each instance runs in its own temporary folder (SITL writes ``eeprom.bin``, ``terrain/`` and logs
there) under an instance number from 40 upward whose ports are free: ``-I N`` listens on TCP
5760+10N (SERIAL0, the one the station uses), 5762+10N and 5763+10N (SERIAL1/2) and takes RC input
on UDP 5501+10N. Engineers run instances 1-30 by hand on the same machine, and an ``flock`` per
number keeps two test processes apart. Parameters (``MAV_SYSID``, 4.7's name for SYSID_THISMAV,
and anything a test asks for) go into an extra defaults file, so they hold from the first boot.

``SIM_UART_LOSS`` is a percentage of *bytes* the vehicle drops on every serial port, not of
messages: 1 already loses ~30 % of 40-byte messages, and 10 lets almost nothing through.

SITL does not start simulating until a client connects on SERIAL0, and SERIAL0 takes one client
at a time. :meth:`Sitl.start` connects there, waits until the vehicle is ready to arm the way
ArduPilot's autotest does (``Tools/autotest/vehicle_test_suite.py`` ``wait_ready_to_arm``: EKF
flags with an absolute position and no error bits, GPS present, enabled and healthy, a home
position, then the PREARM_CHECK bit of SYS_STATUS healthy) and lets go of SERIAL0 for the station.
The harness's own later chats (parameters at run time) use SERIAL2.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import pytest
from pymavlink import mavutil

BINARY_ENV = "ECOPATROL_SITL_BINARY"
#: Simulated time per wall second. Measured on this 2-core machine, shared: one instance reaches
#: ~35x flat out (0.65 core); three side by side hold 20x and fall to 23-25x when asked for 30x.
#: With the station and other work on the cores, 10 leaves headroom; ArduPilot's own timers run
#: on simulated time (it re-requests a mission item after 1 s: 100 ms of wall time at 10x).
#: The lifecycle and fleet scenarios passed once at 20 (29 s and 42 s, against ~50 s and
#: 50-86 s at 10); ECOPATROL_SITL_SPEEDUP sets it.
SPEEDUP = float(os.environ.get("ECOPATROL_SITL_SPEEDUP", "10"))
#: The Longyou drone station (lat, lon, alt m AMSL, heading), as the shipped site has it.
HOME = (29.05253, 119.181841, 40.0, 0.0)
FIRST_INSTANCE = 40
LAST_INSTANCE = 99
#: The harness's own MAVLink system id (the station uses 255; ArduPilot ignores neither).
HARNESS_SYSID = 250
_LOCK_DIR = Path(tempfile.gettempdir()) / "ecopatrol-sitl-locks"
#: Wall-clock waits stretch on a slow machine, as in the rest of the suite.
FACTOR = float(os.environ.get("ECOPATROL_TIMEOUT_FACTOR", "1"))
_M = mavutil.mavlink


class SitlError(RuntimeError):
    """SITL did not start, did not become ready or did not take a parameter."""


def sitl_binary() -> Path:
    """The ArduCopter SITL binary; skip without one, or fail when ``CI=true``."""
    value = os.environ.get(BINARY_ENV, "")
    path = Path(value) if value else None
    problem = None
    if path is None:
        problem = f"{BINARY_ENV} is not set (an ArduCopter SITL binary: shared/sitl/arducopter)"
    elif not path.is_file() or not os.access(path, os.X_OK):
        problem = f"{BINARY_ENV}={value} is not an executable file"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real ArduCopter SITL missing in CI: {problem}")
        pytest.skip(problem)
    assert path is not None
    return path.resolve()


def _default_params(binary: Path) -> Path:
    """ArduPilot's copter.parm: beside the binary (shared/sitl ships it there)."""
    parm = binary.parent / "copter.parm"
    if not parm.is_file():
        raise SitlError(f"{parm} missing: SITL needs ArduPilot's default copter parameters")
    return parm


def _ports(instance: int) -> list[tuple[int, int]]:
    base = 10 * instance
    tcp = [(socket.SOCK_STREAM, 5760 + base + i) for i in range(4)]
    return [*tcp, (socket.SOCK_DGRAM, 5501 + base)]


def _free(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        # SITL binds with SO_REUSEADDR too: a port in TIME_WAIT from the last run is usable.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _claim_instance() -> tuple[int, IO[str]]:
    """The first instance number from 40 up that no other test holds and whose ports are free."""
    _LOCK_DIR.mkdir(exist_ok=True)
    for n in range(FIRST_INSTANCE, LAST_INSTANCE + 1):
        lock = (_LOCK_DIR / f"{n}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if all(_free(kind, port) for kind, port in _ports(n)):
            return n, lock
        lock.close()
    raise SitlError(f"no free SITL instance in {FIRST_INSTANCE}..{LAST_INSTANCE}")


def _format_value(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Sitl:
    """One ArduCopter SITL process in its own folder; use as a context manager or start/stop."""

    def __init__(
        self,
        workdir: Path,
        sysid: int = 1,
        params: Mapping[str, float] | None = None,
        speedup: float = SPEEDUP,
        home: tuple[float, float, float, float] = HOME,
        binary: Path | None = None,
    ) -> None:
        self.binary = binary if binary is not None else sitl_binary()
        self.workdir = workdir
        self.sysid = sysid
        self.params = dict(params or {})
        self.speedup = speedup
        self.home = home
        self.instance: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._lock: IO[str] | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """SERIAL0's TCP port: the station connects here."""
        if self.instance is None:
            raise SitlError("SITL has no instance number before start()")
        return 5760 + 10 * self.instance

    @property
    def url(self) -> str:
        """The station's link URL for this vehicle."""
        return f"tcp:127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"sitl{self.starts}.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Sitl:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout_s: float = 60.0) -> None:
        """Launch with a wiped EEPROM, then wait until the vehicle is ready to arm."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.instance is None:
            self.instance, self._lock = _claim_instance()
        self._launch(wipe=True)
        self.wait_ready_to_arm(timeout_s)

    def restart(self, kill: bool = True) -> None:
        """Kill the process (a power cut) and boot it again on the same EEPROM and ports.

        The new process waits for a client on SERIAL0 before it simulates anything, so it is
        the station, reconnecting, that lets it boot; nothing here waits for it.
        """
        self._terminate(signal.SIGKILL if kill else signal.SIGTERM)
        self._launch(wipe=False)

    def stop(self) -> None:
        """Kill the process (and only it) and release the instance number."""
        self._terminate(signal.SIGTERM)
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self.instance = None

    def _terminate(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _launch(self, wipe: bool) -> None:
        assert self.instance is not None
        extra = self.workdir / "ecopatrol.parm"
        # ArduPilot 4.7 renamed SYSID_THISMAV to MAV_SYSID (a defaults file naming the old one
        # is ignored: every instance would be system 1); mavlink() checks the heartbeat's id.
        lines = {"MAV_SYSID": float(self.sysid), **self.params}
        extra.write_text("".join(f"{k} {_format_value(v)}\n" for k, v in lines.items()))
        defaults = f"{_default_params(self.binary)},{extra}"
        home = ",".join(str(v) for v in self.home)
        args = [str(self.binary), "--model", "+", "--speedup", str(self.speedup)]
        args += ["--defaults", defaults, "--home", home, f"-I{self.instance}"]
        if wipe:
            args.insert(1, "-w")
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        # (SITL listens on SERIAL0 within milliseconds and blocks there until a client comes;
        # connecting to SERIAL0 retries, and a crash at start is seen in the log by the wait.)

    # -- talking to it -----------------------------------------------------------------------

    @contextlib.contextmanager
    def mavlink(self, serial: int = 2) -> Iterator[Any]:
        """A pymavlink connection to SERIAL0/1/2 (2 unless the harness must wake it up)."""
        offset = {0: 0, 1: 2, 2: 3}[serial]
        try:
            conn = mavutil.mavlink_connection(
                f"tcp:127.0.0.1:{self.port + offset}",
                source_system=HARNESS_SYSID,
                autoreconnect=False,
                retries=int(100 * FACTOR),
                reconnect_delay=0.1,
            )
        except OSError as exc:
            raise SitlError(f"cannot connect to SERIAL{serial}: {exc}: {self.log_text()}") from exc
        try:
            beat = _autopilot_heartbeat(conn, timeout_s=10 * FACTOR)
            if beat is None:
                raise SitlError(f"no heartbeat on SERIAL{serial}: {self.log_text()}")
            if beat.get_srcSystem() != self.sysid:
                raise SitlError(f"SITL is system {beat.get_srcSystem()}, not {self.sysid}")
            conn.target_system = self.sysid
            conn.target_component = 1
            yield conn
        finally:
            conn.close()

    def wait_ready_to_arm(self, timeout_s: float = 60.0, serial: int = 0) -> None:
        """Connect on SERIAL0 (which starts the simulation) and wait as ArduPilot's autotest does.

        ``serial=2`` waits on SERIAL2 instead, while the station holds SERIAL0 (after
        :meth:`restart`, the station reconnecting is what boots it).

        Checks, in order: EKF_STATUS_REPORT with attitude, velocities, relative and absolute
        positions and no constant-position/accel/GPS-glitch error bits; SYS_STATUS with GPS
        present, enabled and healthy; a HOME_POSITION; SYS_STATUS's PREARM_CHECK bit healthy.
        """
        need_ekf = (
            _M.EKF_ATTITUDE
            | _M.ESTIMATOR_VELOCITY_HORIZ
            | _M.ESTIMATOR_VELOCITY_VERT
            | _M.ESTIMATOR_POS_HORIZ_REL
            | _M.ESTIMATOR_PRED_POS_HORIZ_REL
            | _M.ESTIMATOR_POS_HORIZ_ABS
            | _M.ESTIMATOR_POS_VERT_ABS
            | _M.ESTIMATOR_PRED_POS_HORIZ_ABS
        )
        ekf_errors = (
            _M.ESTIMATOR_CONST_POS_MODE | _M.ESTIMATOR_ACCEL_ERROR | _M.ESTIMATOR_GPS_GLITCH
        )
        gps = _M.MAV_SYS_STATUS_SENSOR_GPS
        prearm = _M.MAV_SYS_STATUS_PREARM_CHECK
        deadline = time.monotonic() + timeout_s * FACTOR
        with self.mavlink(serial=serial) as conn:
            ekf_ok = gps_ok = prearm_ok = False
            home_ok = streaming = False
            last_home_request = last_stream_request = 0.0
            texts: list[str] = []
            while not (ekf_ok and gps_ok and home_ok and prearm_ok):
                if time.monotonic() > deadline:
                    state = f"ekf={ekf_ok} gps={gps_ok} home={home_ok} prearm={prearm_ok}"
                    raise SitlError(f"SITL not ready to arm ({state}); said: {texts[-5:]}")
                if not streaming and time.monotonic() - last_stream_request > 1:
                    # (a request made while it boots can be lost: ask until streams flow)
                    last_stream_request = time.monotonic()
                    conn.mav.request_data_stream_send(self.sysid, 1, _M.MAV_DATA_STREAM_ALL, 4, 1)
                if ekf_ok and not home_ok and time.monotonic() - last_home_request > 0.5:
                    last_home_request = time.monotonic()
                    conn.mav.command_long_send(
                        self.sysid, 1, _M.MAV_CMD_REQUEST_MESSAGE, 0,
                        _M.MAVLINK_MSG_ID_HOME_POSITION, 0, 0, 0, 0, 0, 0,
                    )  # fmt: skip
                msg = conn.recv_match(
                    type=["EKF_STATUS_REPORT", "SYS_STATUS", "HOME_POSITION", "STATUSTEXT"],
                    blocking=True,
                    timeout=1,
                )
                if msg is None:
                    if self.proc is None or self.proc.poll() is not None:
                        raise SitlError(f"SITL died while starting: {self.log_text()}")
                    continue
                kind = msg.get_type()
                if kind == "STATUSTEXT":
                    texts.append(msg.text)
                elif kind == "EKF_STATUS_REPORT":
                    streaming = True
                    ekf_ok = msg.flags & need_ekf == need_ekf and not msg.flags & ekf_errors
                elif kind == "HOME_POSITION":
                    home_ok = ekf_ok
                elif kind == "SYS_STATUS":
                    sensors = (
                        msg.onboard_control_sensors_present,
                        msg.onboard_control_sensors_enabled,
                        msg.onboard_control_sensors_health,
                    )
                    gps_ok = all(s & gps for s in sensors)
                    prearm_ok = gps_ok and home_ok and all(s & prearm for s in sensors)

    def set_params(self, params: Mapping[str, float], timeout_s: float = 20.0) -> None:
        """PARAM_SET each one on SERIAL2 until PARAM_VALUE echoes it (survives SIM_UART_LOSS)."""
        deadline = time.monotonic() + timeout_s * FACTOR
        with self.mavlink() as conn:
            for name, value in params.items():
                while True:
                    if time.monotonic() > deadline:
                        raise SitlError(f"SITL did not take {name}={value}")
                    conn.mav.param_set_send(
                        self.sysid, 1, name.encode(), float(value), _M.MAV_PARAM_TYPE_REAL32
                    )
                    msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=0.5)
                    if (
                        msg is not None
                        and msg.param_id == name
                        and abs(msg.param_value - float(value)) < 1e-3
                    ):
                        break
        self.params.update(params)


class SitlFactory:
    """Starts instances for one test and kills every one of them at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.binary = sitl_binary()
        self.started: list[Sitl] = []

    def __call__(self, sysid: int = 1, **kwargs: Any) -> Sitl:
        """One instance, started and ready to arm."""
        return self.many([sysid], **kwargs)[0]

    def many(self, sysids: list[int], **kwargs: Any) -> list[Sitl]:
        """Several instances (one per system id), started side by side, all ready to arm."""
        made = [
            Sitl(self.root / f"sitl-{sysid}", sysid=sysid, binary=self.binary, **kwargs)
            for sysid in sysids
        ]
        self.started += made
        threads = [_Starter(s) for s in made]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        errors = [t.error for t in threads if t.error is not None]
        if errors:
            raise errors[0]
        return made

    def stop_all(self) -> None:
        for sitl in self.started:
            sitl.stop()


class _Starter(threading.Thread):
    def __init__(self, sitl: Sitl) -> None:
        super().__init__(daemon=True)
        self.sitl = sitl
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.sitl.start()
        except BaseException as exc:  # (handed to the test's thread)
            self.error = exc


@pytest.fixture
def sitl_factory(tmp_path: Path) -> Iterator[SitlFactory]:
    """``sitl_factory(sysid=1, params={...})`` -> a ready :class:`Sitl`; all killed at teardown.

    Skips (or fails under ``CI=true``) when ``ECOPATROL_SITL_BINARY`` is missing.
    """
    factory = SitlFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


def _autopilot_heartbeat(conn: Any, timeout_s: float) -> Any:
    """The vehicle's own HEARTBEAT, or None. ArduPilot routes between its serial ports, so a
    station already on SERIAL0 has its GCS heartbeats (system 255) forwarded here too."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        beat = conn.wait_heartbeat(timeout=left)
        if beat is not None and beat.autopilot != mavutil.mavlink.MAV_AUTOPILOT_INVALID:
            return beat
    return None
