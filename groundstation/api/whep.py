"""Live video over WebRTC by WHEP (the IETF WebRTC-HTTP egress protocol).

- ``POST /api/video/{sysid}/whep`` with an SDP offer (``Content-Type: application/sdp``,
  ``Authorization: Bearer <token>``): 201 with the SDP answer and, in ``Location``, the
  session's URL. The camera's H.264 is passed through to the browser, never re-encoded
  (:mod:`groundstation.video.passthrough`). Pilots and officers alike may watch.
- ``DELETE /api/video/whep/{session_id}``: the viewer leaves (only its own user may end it).
- ``PATCH`` (trickle ICE) is not offered: 405, as WHEP allows; the answer holds every candidate.

A bad offer is 400, one without H.264 406, an unknown vehicle's stream 404, no viewer place
left 503: the page then plays the MSE websocket (``/ws/video/{sysid}``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from groundstation.api.deps import CurrentUser, ServicesDep
from groundstation.errors import NotFound, UnsupportedMediaType
from groundstation.video.whep import MAX_OFFER_BYTES, WhepSessions

router = APIRouter(tags=["video"])
SDP = "application/sdp"


def get_whep(services: ServicesDep) -> WhepSessions:
    if services.video is None or services.video.webrtc is None:
        raise NotFound("WebRTC video", "disabled")
    return services.video.webrtc


WhepDep = Annotated[WhepSessions, Depends(get_whep)]
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_OFFER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the browser's SDP offer (recvonly video, H.264)",
        "content": {SDP: {"schema": {"type": "string", "maxLength": MAX_OFFER_BYTES}}},
    }
}


@router.post(
    "/api/video/{sysid}/whep",
    status_code=201,
    response_class=Response,
    openapi_extra=_OFFER_BODY,
    responses={
        201: {
            "description": "the SDP answer; `Location` is the session's URL (DELETE to leave)",
            "content": {SDP: {"schema": {"type": "string"}}},
        },
        400: {"description": "not a usable SDP offer", "content": _ERROR},
        406: {"description": "the offer cannot receive H.264", "content": _ERROR},
        415: {"description": "the body is not application/sdp", "content": _ERROR},
        503: {"description": "every WebRTC viewer place is taken", "content": _ERROR},
    },
)
async def whep_offer(
    sysid: int,
    request: Request,
    user: CurrentUser,
    whep: WhepDep,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    """Watch vehicle `sysid`'s live video over WebRTC: answer the browser's SDP offer."""
    if (content_type or "").split(";")[0].strip().lower() != SDP:
        raise UnsupportedMediaType(f"a WHEP offer is {SDP}, not {content_type!r}")
    body = await request.body()
    try:
        offer = body.decode()
    except UnicodeDecodeError:
        offer = ""
    session = await whep.open(sysid, user.id, offer)
    location = f"/api/video/whep/{session.id}"
    return Response(
        session.answer_sdp, status_code=201, media_type=SDP, headers={"Location": location}
    )


@router.delete("/api/video/whep/{session_id}", status_code=200)
async def whep_delete(session_id: str, user: CurrentUser, whep: WhepDep) -> dict[str, bool]:
    """Leave a WebRTC session (the viewer's own)."""
    await whep.close_session(session_id, user.id)
    return {"ok": True}


@router.patch("/api/video/whep/{session_id}", status_code=405, include_in_schema=False)
async def whep_patch(session_id: str, user: CurrentUser) -> Response:
    """Trickle ICE is not offered: the answer carries every candidate."""
    return Response(status_code=405, headers={"Allow": "DELETE"})
