"""Integrity at rest: a stored photo is read only together with the check of its upload hash.

:func:`read_intact` is the one way the station reads a photo's bytes to hand them out (download,
evidence export). Bytes that no longer match the SHA-256 recorded at upload are never returned:
the mismatch is written to the audit log (``attachment.integrity``), raised as a critical stored
alert (and on the live stream when a hub is given) and refused with :class:`StoredFileDamaged`.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from groundstation.db.alerts import raise_alert
from groundstation.db.attachments import attachment_data
from groundstation.db.audit import audit
from groundstation.db.models import Attachment, User
from groundstation.errors import StoredFileDamaged
from groundstation.evidence.canonical import sha256_hex
from groundstation.telemetry.events import alert
from groundstation.telemetry.hub import Hub

log = logging.getLogger(__name__)

ALERT_KIND = "evidence.integrity"


async def read_intact(
    session: AsyncSession, attachment: Attachment, *, user: User | None, hub: Hub | None = None
) -> bytes:
    """The photo's bytes if they still match their upload hash, else :class:`StoredFileDamaged`."""
    data = await attachment_data(session, attachment.id) or b""
    actual = sha256_hex(data)
    if actual == attachment.sha256:
        return data
    params = {
        "incident_id": attachment.incident_id,
        "attachment_id": attachment.id,
        "recorded_sha256": attachment.sha256,
        "sha256": actual,
    }
    text = (
        f"photo {attachment.id} of incident {attachment.incident_id} no longer matches the hash"
        " recorded at upload: it is not served"
    )
    log.error("%s (recorded %s, now %s)", text, attachment.sha256, actual)
    await audit(session, user, None, "attachment.integrity", "mismatch", params)
    text_zh = (
        f"事件 {attachment.incident_id} 的照片 {attachment.id} 与上传时记录的哈希不符，已拒绝提供"
    )
    await raise_alert(
        session, sysid=None, kind=ALERT_KIND, level="critical", text_en=text, text_zh=text_zh,
        details=params,
    )  # fmt: skip
    if hub is not None:
        hub.publish(alert("critical", text, kind=ALERT_KIND, **params))
    raise StoredFileDamaged(text, **params)
