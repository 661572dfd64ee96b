"""Export time and size of a sealed evidence packet: 50 photos and 10 minutes of track.

    .venv/bin/python bench/evidence_export.py [--photos 50] [--photo-kb 3000] [--track-s 600]
        [--track-hz 5] [--db URL] [--repeat 3]

Seeds a throwaway SQLite store (or the empty database at ``--db``) with one incident, its drone's
track (``--track-s`` seconds at ``--track-hz``) and ``--photos`` photos of ``--photo-kb`` KB
each (a JPEG header and random bytes: a camera photo's size and incompressibility), then times
``export_incident`` (audit row, checkpoint, every photo read and checked against its hash, the
track slice as GeoJSON and CSV, the manifest signed, the zip written) and the offline check of
the packet. Prints each run, the packet's size and the load average: figures measured while
other work shares the machine are not the station's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from groundstation.config import DbSettings
from groundstation.db.migrate import upgrade_to_head
from groundstation.db.session import make_async_engine, make_sessionmaker
from groundstation.evidence.export import export_incident
from groundstation.evidence.testing import seed_incident
from groundstation.evidence.verify import verify_packet


async def run(args: argparse.Namespace, root: Path) -> None:
    url = args.db or f"sqlite:///{root / 'bench.db'}"
    db = DbSettings(url=url)
    await asyncio.to_thread(upgrade_to_head, db)
    engine = make_async_engine(db)
    key = Ed25519PrivateKey.generate()
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            seeded = await seed_incident(
                session,
                photos=args.photos,
                photo_bytes=args.photo_kb * 1024,
                track_s=args.track_s,
                track_hz=args.track_hz,
            )
        print(
            f"incident {seeded.incident_id}: {args.photos} photos of {args.photo_kb} KB,"
            f" {args.track_s} s of track at {args.track_hz} Hz, on {url.split(':')[0]}"
        )
        export_s, verify_s = [], []
        for n in range(args.repeat):
            out = root / f"packet-{n}.zip"
            async with sessions() as session:
                t0 = time.perf_counter()
                manifest = await export_incident(
                    session, key, seeded.incident_id, out, user=None, actor="bench"
                )
                export_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report = await asyncio.to_thread(verify_packet, out, key.public_key())
            verify_s.append(time.perf_counter() - t0)
            assert report.ok, report.problems
            size = out.stat().st_size
            print(
                f"  run {n + 1}: export {export_s[-1]:.2f} s, verify {verify_s[-1]:.2f} s,"
                f" {size / 1e6:.1f} MB, {len(manifest['files'])} files"
            )
        print(
            f"export median {statistics.median(export_s):.2f} s, verify median"
            f" {statistics.median(verify_s):.2f} s, packet {size / 1e6:.1f} MB"
            f" ({size} bytes)"
        )
        print(f"load average while measured: {os.getloadavg()}")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=50)
    parser.add_argument("--photo-kb", type=int, default=3000)
    parser.add_argument("--track-s", type=int, default=600)
    parser.add_argument("--track-hz", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", help="an empty database URL instead of a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
