"""Photos attached to incidents: size-limited, and accepted only if the bytes are an image.

The content type is decided from the file's first bytes (its "magic number"), never from the
name or the header the client sent: a renamed PDF is refused with 415 whatever it claims to be.

>>> sniff_image(b"\\xff\\xd8\\xff\\xe0" + b"JFIF")
'image/jpeg'
>>> sniff_image(b"%PDF-1.7") is None
True
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import Response
from sqlalchemy import select

from groundstation.api.deps import CurrentUser, HubDep, SessionDep, SettingsDep, current_user
from groundstation.api.incidents import get_incident, incident_public, publish_incident
from groundstation.api.schemas import AttachmentPublic
from groundstation.db.models import Attachment
from groundstation.db.types import utcnow
from groundstation.errors import NotFound, PayloadTooLarge, UnsupportedMediaType

router = APIRouter(
    prefix="/api/incidents/{incident_id}/attachments",
    tags=["incidents"],
    dependencies=[Depends(current_user)],
)

_CHUNK = 64 * 1024
ACCEPTED = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/gif")


def sniff_image(head: bytes) -> str | None:
    """The image type of a file from its first 16 bytes, or None if it is not an accepted one."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim"):
        return "image/heic"
    return None


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole upload, or :class:`PayloadTooLarge` as soon as it passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"photo larger than the limit of {limit} bytes", limit_bytes=limit
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post("", status_code=status.HTTP_201_CREATED)
async def upload_attachment(
    incident_id: int,
    file: Annotated[UploadFile, File(description="a JPEG, PNG, WebP, GIF or HEIC photo")],
    session: SessionDep,
    hub: HubDep,
    settings: SettingsDep,
    user: CurrentUser,
    lat_deg: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon_deg: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> AttachmentPublic:
    """Attach a photo (413 over the size limit, 415 if it is not an image)."""
    incident = await get_incident(session, incident_id)
    data = await read_limited(file, settings.max_photo_bytes)
    content_type = sniff_image(data[:16])
    if content_type is None:
        raise UnsupportedMediaType(
            f"{file.filename or 'upload'} is not a photo; accepted: {', '.join(ACCEPTED)}",
            accepted=list(ACCEPTED),
        )
    attachment = Attachment(
        incident_id=incident.id,
        filename=(file.filename or "photo")[-255:],
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        uploaded_by=user.id,
        data=data,
    )
    session.add(attachment)
    incident.updated_at = utcnow()
    await session.commit()
    publish_incident(hub, "updated", await incident_public(session, incident))
    return AttachmentPublic.from_row(attachment)


@router.get("/{attachment_id}", response_class=Response)
async def download_attachment(
    incident_id: int, attachment_id: int, session: SessionDep
) -> Response:
    """The photo's bytes, with its sniffed content type."""
    query = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.incident_id == incident_id
    )
    attachment = (await session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("attachment", attachment_id)
    data = await session.scalar(select(Attachment.data).where(Attachment.id == attachment_id))
    return Response(
        content=data,
        media_type=attachment.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
