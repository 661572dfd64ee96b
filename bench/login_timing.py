"""Login timing: a wrong password for a real user against a name nobody has, over HTTP.

    .venv/bin/python bench/login_timing.py [--samples 40] [--profile default]

Runs the station in-process (the API's test client) with the real argon2 parameters and
throttling out of the way, interleaves the two kinds of failed login, and prints the median,
quartiles and the share of pairs in which the unknown name answered faster (50 % when the two
cannot be told apart). Before the fix the unknown name answered in ~3 ms against ~190 ms.
Timings are indicative (shared 2-core machine); the test suite checks the same comparison with
a statistical margin.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from groundstation.app import create_app
from groundstation.config import DbSettings, LoginSettings, Settings

ADMIN = ("root", "admin-password")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--profile", choices=["default", "cheapest"], default="default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            db=DbSettings(url=f"sqlite:///{Path(tmp) / 'bench.db'}"),
            admin_username=ADMIN[0],
            admin_password=ADMIN[1],
            password_hash_profile=args.profile,
            login=LoginSettings(
                free_failures=10**6, user_lockout_after=10**6, address_lockout_after=10**6
            ),
        )
        known: list[float] = []
        unknown: list[float] = []
        with TestClient(create_app(settings)) as client:
            for i in range(args.samples + 1):
                for name, samples in ((ADMIN[0], known), (f"ghost{i}", unknown)):
                    body = {"username": name, "password": "not-the-password-7"}
                    start = time.perf_counter()
                    assert client.post("/api/auth/login", json=body).status_code == 401
                    if i:  # the first round warms both paths
                        samples.append(time.perf_counter() - start)
    for label, samples in (("real user, wrong password", known), ("unknown user", unknown)):
        q = statistics.quantiles(samples, n=4)
        print(
            f"{label:26} median {statistics.median(samples) * 1e3:7.1f} ms   "
            f"quartiles {q[0] * 1e3:.1f} - {q[2] * 1e3:.1f} ms   n={len(samples)}"
        )
    faster = sum(u < k for u in unknown for k in known) / (len(known) * len(unknown))
    print(f"unknown user faster in {faster:.0%} of pairs (50 % = indistinguishable)")


if __name__ == "__main__":
    main()
