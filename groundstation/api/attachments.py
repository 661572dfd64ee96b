"""Photos attached to incidents: size-limited, and accepted only if the bytes are an image.

The content type is decided from the file's first bytes (its "magic number"), never from the
name or the header the client sent: a renamed PDF is refused with 415 whatever it claims to be.
Pillow then reads the image's header (not its pixels): one it cannot read is a 415, and one
larger than ``max_photo_pixels`` a 413, however few bytes it takes (a "decompression bomb",
a small file that would fill the memory of whatever decodes it: a browser, a report).
Quotas cap the bytes of photos per incident and per uploading user (413 naming the limit).

>>> sniff_image(b"\\xff\\xd8\\xff\\xe0" + b"JFIF")
'image/jpeg'
>>> sniff_image(b"%PDF-1.7") is None
True
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import Response

from groundstation.api.deps import (
    CurrentUser,
    HubDep,
    ServicesDep,
    SessionDep,
    SettingsDep,
    current_user,
)
from groundstation.api.incident_views import incident_public, publish_incident
from groundstation.api.inputs import Id
from groundstation.api.photo_quotas import check_quotas
from groundstation.api.schemas import AttachmentPublic
from groundstation.db.attachments import (
    add_attachment,
    attachment_of_incident,
)
from groundstation.db.audit import audit
from groundstation.db.incidents import get_incident
from groundstation.db.models import Attachment
from groundstation.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from groundstation.evidence.integrity import read_intact

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


def image_size(data: bytes, content_type: str, max_pixels: int) -> tuple[int, int] | None:
    """The photo's width and height from its header; None for HEIC (Pillow cannot read it
    without a plugin, and nothing in the station decodes it).

    :class:`UnsupportedMediaType` if Pillow cannot read the image, :class:`PayloadTooLarge` if
    it has more than `max_pixels` pixels.
    """
    from PIL import Image, UnidentifiedImageError

    if content_type == "image/heic":
        return None
    try:
        with warnings.catch_warnings():
            # we apply our own, lower limit below; Pillow's own warning would only be noise
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width, height = 0, 0  # more than twice Pillow's limit: bigger than ours anyway
        pixels = max_pixels + 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            f"not a readable {content_type} image ({exc})", accepted=list(ACCEPTED)
        ) from None
    else:
        pixels = width * height
    if pixels > max_pixels:
        size = f"{width} x {height} = {pixels} pixels" if width else "far too many pixels"
        raise PayloadTooLarge(
            f"photo has {size}, over the limit of {max_pixels} pixels", limit_pixels=max_pixels
        )
    return width, height


@router.post("", status_code=status.HTTP_201_CREATED)
async def upload_attachment(
    incident_id: Id,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="a JPEG, PNG, WebP, GIF or HEIC photo")],
    session: SessionDep,
    hub: HubDep,
    settings: SettingsDep,
    user: CurrentUser,
    lat_deg: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon_deg: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> AttachmentPublic:
    """Attach a photo (413 over the size, pixel or quota limits; 415 if it is not an image)."""
    incident = await get_incident(session, incident_id)
    data = await read_limited(file, settings.max_photo_bytes)
    content_type = sniff_image(data[:16])
    if content_type is None:
        raise UnsupportedMediaType(
            f"{file.filename or 'upload'} is not a photo; accepted: {', '.join(ACCEPTED)}",
            accepted=list(ACCEPTED),
        )
    await asyncio.to_thread(image_size, data, content_type, settings.max_photo_pixels)
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
    locks = services.upload_locks
    # one upload at a time per incident and per user between the quota check and the commit,
    # so parallel uploads cannot each see room for themselves
    async with locks.hold(f"incident:{incident.id}", f"user:{user.id}"):
        await check_quotas(session, settings, incident, user, len(data))
        await add_attachment(session, incident, attachment)
    params = {
        "incident_id": incident.id,
        "attachment_id": attachment.id,
        "sha256": attachment.sha256,
    }
    await audit(session, user, None, "attachment.upload", "ok", params)
    publish_incident(hub, "updated", await incident_public(session, incident))
    return AttachmentPublic.from_row(attachment)


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in ACCEPTED}, "description": "the photo"}},
)
async def download_attachment(
    incident_id: Id, attachment_id: Id, session: SessionDep, hub: HubDep, user: CurrentUser
) -> Response:
    """The photo's bytes, with its sniffed content type; 409 if they no longer match the hash
    recorded at upload (never served then). Every download is audited."""
    attachment = await attachment_of_incident(session, incident_id, attachment_id)
    if attachment is None:
        raise NotFound("attachment", attachment_id)
    data = await read_intact(session, attachment, user=user, hub=hub)
    params = {"incident_id": incident_id, "attachment_id": attachment_id}
    await audit(session, user, None, "attachment.download", "ok", params)
    return Response(
        content=data,
        media_type=attachment.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
