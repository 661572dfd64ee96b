"""`ecopatrol mission upload --verify` against a running ArduCopter SITL, N times per loss level.

    # start SITL first (see ../shared/sitl/README.md), e.g. instance 1 on tcp:127.0.0.1:5770
    .venv/bin/python bench/sitl_mission_upload.py /tmp/shore_s01_d1.plan \\
        --connect tcp:127.0.0.1:5770 --loss 0 1 2 --runs 20 --type mission

For each SIM_UART_LOSS value (percent of the bytes the vehicle sends that SITL drops; at 1 % about
half of the vehicle's frames are lost, at 10 % nearly all) the parameter is set with PARAM_SET over
its own connection, then the CLI runs ``--runs`` times, each a fresh process and connection, as a
pilot would. Prints each run's time and outcome and a summary line per loss level; SIM_UART_LOSS
is set back to 0 at the end. Timings are wall-clock and depend on SITL's --speedup.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pymavlink import mavutil


def set_loss(url: str, pct: float) -> None:
    """PARAM_SET SIM_UART_LOSS, confirmed by PARAM_VALUE (SERIAL0 takes one client at a time)."""
    conn = mavutil.mavlink_connection(url, source_system=254, source_component=190)
    try:
        if conn.wait_heartbeat(timeout=30) is None:
            raise SystemExit(f"no heartbeat from {url}")
        for _ in range(20):
            conn.mav.param_set_send(conn.target_system, conn.target_component,
                                    b"SIM_UART_LOSS", float(pct), 9)  # fmt: skip
            msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=1.0)
            if msg is not None and msg.param_id == "SIM_UART_LOSS":
                return
        raise SystemExit(f"SIM_UART_LOSS {pct} not confirmed")
    finally:
        conn.close()


def run_once(cli: list[str]) -> tuple[bool, float, str]:
    start = time.monotonic()
    proc = subprocess.run(cli, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode == 0, elapsed, lines[-1] if lines else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plan", type=Path)
    ap.add_argument("--connect", default="tcp:127.0.0.1:5760")
    ap.add_argument("--loss", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--type", default="mission", help="mission | fence | rally | all")
    ap.add_argument("--ecopatrol", default=str(Path(sys.executable).with_name("ecopatrol")))
    args = ap.parse_args()
    cli = [args.ecopatrol, "mission", "upload", str(args.plan), "--connect", args.connect,
           "--verify", "--type", args.type, "--wait", "30"]  # fmt: skip
    try:
        for pct in args.loss:
            set_loss(args.connect, pct)
            times, ok = [], 0
            for n in range(1, args.runs + 1):
                passed, elapsed, last = run_once(cli)
                ok += passed
                times.append(elapsed)
                print(f"SIM_UART_LOSS {pct:g} run {n}: {elapsed:.1f} s {'ok' if passed else 'FAIL'}"
                      f" {last}", flush=True)  # fmt: skip
                if not passed:
                    time.sleep(2)  # ArduPilot keeps an abandoned upload open for 8 s (simulated)
            median, worst = statistics.median(times), max(times)
            print(f"SUMMARY SIM_UART_LOSS {pct:g}: {ok}/{args.runs} passed; "
                  f"time median {median:.1f} s, max {worst:.1f} s", flush=True)  # fmt: skip
    finally:
        set_loss(args.connect, 0.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
