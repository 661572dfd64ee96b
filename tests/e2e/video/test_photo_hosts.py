"""The video service fetches photos only from the vehicle's own address (or an allowed host),
and says so in the log and the audit log, with no alert, when it refuses one; a photo it cannot
store (a full disk) raises an alert."""

from __future__ import annotations

import logging

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2
from sqlalchemy import func, select

from groundstation.db import camera_media
from groundstation.db.models import Alert, AuditEntry, CameraPhoto
from tests.e2e.video.conftest import FACTOR, Rig

pytestmark = pytest.mark.e2e


def captured(url: str, index: int = 7) -> mavlink2.MAVLink_camera_image_captured_message:
    return mavlink2.MAVLink_camera_image_captured_message(
        0, 0, 0, 290525300, 1191818410, 40000, 0, [1, 0, 0, 0], index, 1, url.encode()
    )


async def test_a_photo_url_on_another_host_is_refused_and_audited(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """file_url on a host that is not the vehicle's link address (127.0.0.1 here): nothing is
    requested or stored, an error is logged and one audit row is written (twice the same host:
    still one row), and no alert is raised."""
    await rig.video.wait_for_camera(1, 10 * FACTOR)
    assert rig.fleet.vehicle(1).peer[0] == "127.0.0.1"
    with caplog.at_level(logging.ERROR, "groundstation.video.service"):
        await rig.video._fetch_photo(1, captured("http://169.254.169.254/latest/meta-data/"))
        await rig.video._fetch_photo(1, captured("http://169.254.169.254/other"))
    assert rig.video.photos_refused == 2
    assert "169.254.169.254 is neither the vehicle's link address" in caplog.text
    async with rig.sessions() as session:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.command == "video.photo_refused")
            )
        ).all()
        alerts = await session.scalar(select(func.count()).select_from(Alert))
        stored = await camera_media.list_photos(session, sysid=1)
    assert [(r.vehicle_sysid, r.params["host"]) for r in rows] == [(1, "169.254.169.254")]
    assert rows[0].result.startswith("refused: host 169.254.169.254")
    assert alerts == 0
    assert stored == []


async def test_an_allow_listed_host_is_fetched(rig: Rig) -> None:
    """A host in video.photo_hosts is fetched even though it is not the link address: the
    simulator's camera named as "localhost" fails the address check until it is listed."""
    await rig.video.wait_for_camera(1, 10 * FACTOR)
    await rig.video.clients[1].capture()
    await rig.video.wait_for_photos(1, 15 * FACTOR)
    (photo,) = await _photos(rig)
    url = photo.source_url.replace("127.0.0.1", "localhost")
    await rig.video._fetch_photo(1, captured(url))
    assert rig.video.photos_refused == 1
    rig.video.settings.photo_hosts.append("localhost")
    await rig.video._fetch_photo(1, captured(url))
    assert rig.video.photos_refused == 1
    assert rig.video.photos_stored == 2


async def _photos(rig: Rig) -> list[CameraPhoto]:
    async with rig.sessions() as session:
        return list(await camera_media.list_photos(session, sysid=1))


async def test_a_full_disk_loses_no_photo_silently(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing a fetched photo fails (ENOSPC): an alert says the photo is still on the camera,
    nothing half-stored is recorded, and the camera goes on answering."""
    import asyncio
    import errno

    from groundstation.video import photos

    def full(jpeg: bytes, photos_dir: object) -> photos.StoredPhoto:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photos, "store", full)
    await rig.video.wait_for_camera(1, 10 * FACTOR)
    await rig.video.clients[1].capture()
    async with asyncio.timeout(15 * FACTOR):
        while True:
            async with rig.sessions() as session:
                alert = await session.scalar(select(Alert).where(Alert.kind == "photo_not_stored"))
            if alert is not None:
                break
            await asyncio.sleep(0.2)
    assert alert.sysid == 1
    assert "No space left on device" in alert.text_en
    assert "/images/" in alert.details["url"]
    assert await _photos(rig) == []
    await rig.video.clients[1].capture()  # the camera still answers
