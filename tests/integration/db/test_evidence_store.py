"""Evidence packets from the store, on SQLite and PostgreSQL: sealed, audited, never damaged."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from groundstation.db.models import AuditEntry
from groundstation.errors import StoredFileDamaged
from groundstation.evidence.export import export_incident
from groundstation.evidence.testing import seed_incident
from groundstation.evidence.verify import verify_packet

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


async def test_an_exported_packet_holds_everything_and_verifies(sessions):
    """Photos in their original bytes, the track slice, the audit rows; the seal holds."""
    async with sessions() as session:
        seeded = await seed_incident(session, photos=3, track_s=120)
        out = io.BytesIO()
        manifest = await export_incident(
            session, KEY, seeded.incident_id, out, user=None, actor="officer1", station="test"
        )
    paths = [f["path"] for f in manifest["files"]]
    assert paths[:2] == ["cover.html", "incident.json"]
    assert sum(p.startswith("attachments/") for p in paths) == 3
    assert {"track.geojson", "track.csv", "audit.json"} <= set(paths)
    report = verify_packet(io.BytesIO(out.getvalue()), KEY.public_key())
    assert report.ok, report.problems
    assert report.files_checked == len(paths)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        audit_rows = json.loads(zf.read("audit.json"))
        photo = next(f for f in manifest["files"] if f["path"].startswith("attachments/"))
        assert photo["sha256"] == photo["recorded_sha256"]
        assert [h["action"] for h in photo["history"]] == ["attachment.upload"]
        assert "officer1" in zf.read("cover.html").decode()
    assert [r["command"] for r in audit_rows][-1] == "evidence.export"
    assert manifest["audit_checkpoint"]["seq"] == audit_rows[-1]["seq"]


async def test_a_flipped_byte_in_a_stored_photo_stops_the_export(sessions):
    """A stored photo that no longer matches its upload hash is refused, named and audited."""
    async with sessions() as session:
        seeded = await seed_incident(session, photos=2, track_s=10)
        victim = seeded.attachment_ids[1]
        data = await session.scalar(text("SELECT data FROM attachments WHERE id = :id"),
                                    {"id": victim})  # fmt: skip
        flipped = bytes(data[:100]) + bytes([data[100] ^ 0x01]) + bytes(data[101:])
        await session.execute(
            text("UPDATE attachments SET data = :d WHERE id = :id"), {"d": flipped, "id": victim}
        )
        await session.commit()
        with pytest.raises(StoredFileDamaged, match=f"photo {victim} of incident"):
            await export_incident(session, KEY, seeded.incident_id, io.BytesIO(), user=None)
        row = await session.scalar(
            select(AuditEntry).where(AuditEntry.command == "attachment.integrity")
        )
    assert row is not None
    assert (row.result, row.params["attachment_id"]) == ("mismatch", victim)


async def test_the_store_refuses_to_delete_evidence(sessions):
    """Deleting a photo or an incident with photos fails in the database itself."""
    from sqlalchemy.exc import DBAPIError

    async with sessions() as session:
        seeded = await seed_incident(session, photos=1, track_s=5)
    for statement, row_id in (
        ("DELETE FROM attachments WHERE id = :id", seeded.attachment_ids[0]),
        ("DELETE FROM incidents WHERE id = :id", seeded.incident_id),
    ):
        async with sessions() as session:
            with pytest.raises(DBAPIError, match="never deleted"):
                await session.execute(text(statement), {"id": row_id})


async def test_camera_stills_and_video_around_the_incident_go_in_checked(sessions, tmp_path):
    """The drone's stills and video segments near the incident are packed; a changed video
    file stops the export, audited."""
    import hashlib
    from datetime import timedelta

    from groundstation.db.models import CameraPhoto, VideoSegment
    from groundstation.evidence.testing import T_INCIDENT, jpeg

    still, video = jpeg(7), b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40
    (tmp_path / "s.jpg").write_bytes(still)
    (tmp_path / "v.mp4").write_bytes(video)
    async with sessions() as session:
        seeded = await seed_incident(session, photos=1, track_s=10)
        session.add_all([
            CameraPhoto(sysid=42, image_index=1, taken_at=T_INCIDENT, source_url="http://x",
                        sha256=hashlib.sha256(still).hexdigest(), size_bytes=len(still),
                        path=str(tmp_path / "s.jpg")),
            VideoSegment(sysid=42, started_at=T_INCIDENT - timedelta(seconds=30),
                         ended_at=T_INCIDENT + timedelta(seconds=30), frames=900,
                         sha256=hashlib.sha256(video).hexdigest(), size_bytes=len(video),
                         path=str(tmp_path / "v.mp4")),
            VideoSegment(sysid=42, started_at=T_INCIDENT - timedelta(hours=3),
                         ended_at=T_INCIDENT - timedelta(hours=2), frames=9, sha256="0" * 64,
                         size_bytes=1, path=str(tmp_path / "far-away.mp4")),
        ])  # fmt: skip
        await session.commit()
        out = io.BytesIO()
        manifest = await export_incident(session, KEY, seeded.incident_id, out, user=None)
        media = [f for f in manifest["files"] if f["path"].startswith(("camera/", "video/"))]
        assert [(f["media_type"], f["source"]["sysid"]) for f in media] == [
            ("image/jpeg", 42), ("video/mp4", 42),
        ]  # fmt: skip
        assert verify_packet(io.BytesIO(out.getvalue()), KEY.public_key()).ok
        (tmp_path / "v.mp4").write_bytes(video[:-1] + b"\x01")
        with pytest.raises(StoredFileDamaged, match="video_segments row"):
            await export_incident(session, KEY, seeded.incident_id, io.BytesIO(), user=None)
        row = await session.scalar(
            select(AuditEntry).where(AuditEntry.command == "media.integrity")
        )
    assert row is not None
    assert row.result == "mismatch"


async def test_the_tlog_slice_around_the_incident_goes_in(sessions, tmp_path):
    """Only the drone's .tlog records within the window are packed, byte for byte."""
    import zipfile

    from groundstation.evidence.testing import T_INCIDENT
    from groundstation.link.tlog import TlogWriter, read_tlog

    frame = bytes([0xFE, 0, 7, 42, 1, 0, 0x12, 0x34])
    logs = TlogWriter(tmp_path)
    t0 = T_INCIDENT.timestamp()
    for dt in (-7200.0, -60.0, 0.0, 60.0, 7200.0):  # two far outside the 10-minute margin
        logs.write(42, frame, unix_s=t0 + dt)
    logs.write(43, frame, unix_s=t0)  # another drone
    logs.close()
    async with sessions() as session:
        seeded = await seed_incident(session, photos=1, track_s=10)
        out = io.BytesIO()
        manifest = await export_incident(
            session, KEY, seeded.incident_id, out, user=None, tlog_dir=tmp_path
        )
    [entry] = [f for f in manifest["files"] if f["path"].startswith("tlog/")]
    with zipfile.ZipFile(out) as zf:
        (tmp_path / "out.tlog").write_bytes(zf.read(entry["path"]))
    stamps = [t for t, _ in read_tlog(tmp_path / "out.tlog")]
    assert stamps == [int((t0 + dt) * 1_000_000) for dt in (-60.0, 0.0, 60.0)]
