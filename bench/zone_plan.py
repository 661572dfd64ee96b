"""Whole-zone coverage planning from the CLI: planning alone vs the command end to end.

    .venv/bin/python bench/zone_plan.py [--altitudes 80,100] [--runs 3] [-- CLI options]

Each run is a fresh process doing what ``ecopatrol plan coverage --area patrol_zone --altitude A
-o zone.plan --camera-hfov 84 --overlap 0.2 --drones 4`` does (the README's plan; options after
``--`` replace the last three), with timers around its phases (the CLI's own code, called
through its typer app; ``plan_on`` is wrapped, not replaced):

- ``planning``: ``groundstation.patrol.planning.plan_on`` alone (swaths, order, sorties, fences:
  the figure the README's "under 2 s" meant);
- ``imports``: loading the CLI and its libraries (shapely, pyproj, pydantic, ...);
- ``rest``: the site, the ground, writing the sortie files and the summary;
- ``end to end``: the process's wall time from start to exit, as a user sees it.

Also the process's peak RSS (``ru_maxrss`` of the child) and the number of sorties written.
Prints min / median / max over ``--runs``. Other work on the machine skews wall times; the CPU
time of the planning is printed beside its wall time for that reason.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from groundstation.cli.main import app
import groundstation.patrol.planning as planning
t_imports = time.perf_counter() - t0
spent = {"wall": 0.0, "cpu": 0.0}
real = planning.plan_on
def timed(*args, **kwargs):
    w, c = time.perf_counter(), time.process_time()
    try:
        return real(*args, **kwargs)
    finally:
        spent["wall"] += time.perf_counter() - w
        spent["cpu"] += time.process_time() - c
planning.plan_on = timed
try:
    code = app(sys.argv[2:], prog_name="ecopatrol", standalone_mode=False) or 0
except SystemExit as exc:
    code = exc.code or 0
total = time.perf_counter() - t0
print("BENCH " + json.dumps({"imports": t_imports, "planning": spent["wall"],
      "planning_cpu": spent["cpu"], "inside": total, "code": code}), file=open(sys.argv[1], "w"))
"""


def one_run(altitude: float, extra: list[str], tmp: Path) -> dict[str, float]:
    out = tmp / f"a{altitude:g}"
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    report = tmp / "report.txt"
    args = ["plan", "coverage", "--area", "patrol_zone", "--altitude", f"{altitude:g}"]
    args += ["-o", str(out / "zone.plan"), *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(report), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stdout is not None
    log = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    if proc.returncode != 0 or not report.exists():
        raise SystemExit(f"the CLI failed ({proc.returncode}):\n{log[-2000:]}")
    inside = json.loads(report.read_text().removeprefix("BENCH "))
    if inside["code"] != 0:
        raise SystemExit(f"the CLI refused the plan ({inside['code']}):\n{log[-2000:]}")
    sorties = len(list(out.glob("zone_s*.plan")))
    return {
        "end to end": wall,
        "imports": inside["imports"],
        "planning": inside["planning"],
        "planning CPU": inside["planning_cpu"],
        "rest": inside["inside"] - inside["imports"] - inside["planning"],
        "peak RSS MB": usage.ru_maxrss / 1024,
        "sorties": sorties,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--altitudes", default="80,100", help="metres, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="options for `ecopatrol plan coverage`")
    args = parser.parse_args()
    args.extra = args.extra or ["--camera-hfov", "84", "--overlap", "0.2", "--drones", "4"]
    load = os.getloadavg()[0]
    print(f"bench/zone_plan.py: {args.runs} runs per altitude, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} (planning CPU time is not inflated by other work)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ecopatrol-zone-") as tmp_text:
        tmp = Path(tmp_text)
        for altitude in (float(a) for a in args.altitudes.split(",")):
            runs = [one_run(altitude, args.extra, tmp) for _ in range(args.runs)]
            print(f"\n  whole zone at {altitude:g} m ({runs[0]['sorties']:.0f} sorties)"
                  f"{'':4}{'min':>8} {'median':>8} {'max':>8}")  # fmt: skip
            rows = [("planning", "s"), ("planning CPU", "s"), ("imports", "s"), ("rest", "s"),
                    ("end to end", "s"), ("peak RSS MB", "MB")]  # fmt: skip
            for key, unit in rows:
                values = [r[key] for r in runs]
                label = f"{key} ({unit})" if unit == "s" else key
                print(f"    {label:34} {min(values):8.2f} {statistics.median(values):8.2f} "
                      f"{max(values):8.2f}")  # fmt: skip
            if len({r["sorties"] for r in runs}) != 1:
                print(f"    (sorties differ between runs: {[r['sorties'] for r in runs]})")


if __name__ == "__main__":
    main()
