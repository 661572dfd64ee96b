"""Cameras, live video, photos and recordings.

- ``GET /api/video/cameras``: the vehicles' cameras and streams (any user);
- ``POST /api/video/{sysid}/capture | gimbal | roi``: take a photo, point the gimbal, look at a
  place (pilots; officers watch only);
- ``POST /api/video/{sysid}/recording`` ``{"on": bool}``: start or stop recording that drone's
  stream; the choice is stored and holds over the settings, across restarts, until a pilot
  chooses again (pilots; audited); ``DELETE`` it: the settings decide again. Each start and
  stop reaches the pages as ``video.recording``;
- ``GET /api/photos``, ``GET /api/photos/{id}/image``: photos fetched from the cameras, with
  their position and SHA-256; ``GET /api/incidents/{id}/camera-photos``: those of the incident's
  drone within ``evidence.track_margin_s`` of it (what its evidence packet carries);
  ``GET /api/video/recordings``: recorded segments and their hashes;
- ``WS /ws/video/{sysid}?token=…``: the live stream as fragmented MP4 for Media Source
  Extensions: a JSON ``{"type": "init", "mime": …}``, then binary MP4 pieces (the init segment,
  then one fragment per frame). The camera's H.264 is passed through, never re-encoded; each
  viewer has its own bounded queue, and one that stalls is resumed at the next key frame.
  The page's first choice is WebRTC by WHEP (``api/whep.py``); this is its fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from groundstation.api.deps import (
    CurrentUser,
    PilotUser,
    ServicesDep,
    SessionDep,
    SettingsDep,
    user_for_token,
)
from groundstation.api.incident_views import incident_public, publish_incident
from groundstation.api.inputs import InputModel
from groundstation.api.photo_quotas import check_quotas
from groundstation.api.schemas import (
    AttachmentPublic,
    IncidentPublic,
    Latitude,
    Longitude,
    Page,
)
from groundstation.db import camera_media
from groundstation.db.attachments import add_attachment
from groundstation.db.audit import audit
from groundstation.db.evidence import incident_camera_photos
from groundstation.db.incidents import get_incident, report_incident
from groundstation.db.models import Attachment, CameraPhoto, IncidentType, VideoSegment
from groundstation.db.recording_choices import choose_recording, forget_recording_choice
from groundstation.errors import Conflict, GroundStationError, NotFound
from groundstation.telemetry.messages import RecordingState
from groundstation.video.camera_client import CameraClient, CameraInfo
from groundstation.video.fmp4 import Fmp4Muxer
from groundstation.video.service import VideoService

router = APIRouter(tags=["video"])
_POLICY_VIOLATION = 1008


def get_video(services: ServicesDep) -> VideoService:
    if services.video is None:
        raise NotFound("video service", "disabled")
    return services.video


VideoDep = Annotated[VideoService, Depends(get_video)]


class StreamPublic(BaseModel):
    uri: str
    kind: str
    width: int
    height: int
    fps: float
    encoding: str


class CameraPublic(BaseModel):
    sysid: int
    vendor: str
    model: str
    source: Literal["mavlink", "config"]
    has_video: bool
    can_capture: bool
    streams: list[StreamPublic]
    viewers: int
    frames: int
    recording: bool
    recording_state: RecordingState = Field(
        description="why it records or not: the settings' default or a pilot's choice (who, "
        "when), a full disk, the drone offline; as the last ``video.recording`` said"
    )

    @classmethod
    def of(cls, info: CameraInfo, video: VideoService) -> CameraPublic:
        source = video.sources.get(info.sysid)
        return cls(
            sysid=info.sysid,
            vendor=info.vendor,
            model=info.model,
            source="config" if info.source == "config" else "mavlink",
            has_video=source is not None,
            can_capture=info.can_capture and info.sysid in video.clients,
            streams=[
                StreamPublic(
                    uri=s.uri,
                    kind=s.kind,
                    width=s.width,
                    height=s.height,
                    fps=s.fps,
                    encoding=s.encoding,
                )
                for s in info.streams
            ],
            viewers=_viewers(info.sysid, video),
            frames=source.frames if source else 0,
            recording=video.is_recording(info.sysid),
            recording_state=video.recording_state(info.sysid),
        )


def _viewers(sysid: int, video: VideoService) -> int:
    """Subscribers of the stream, each WebRTC viewer counted (they share one subscription)."""
    source = video.sources.get(sysid)
    if source is None:
        return 0
    webrtc = video.webrtc
    if webrtc is None or sysid not in webrtc.feeds:
        return source.subscribers
    return source.subscribers - 1 + webrtc.viewers(sysid)


class PhotoPublic(BaseModel):
    id: int
    sysid: int
    patrol_id: int | None
    image_index: int
    taken_at: datetime
    lat_deg: float | None = Field(description="EXIF position if the JPEG has one, else reported")
    lon_deg: float | None
    alt_msl_m: float | None
    reported_lat_deg: float | None
    reported_lon_deg: float | None
    sha256: str
    size_bytes: int
    url: str

    @classmethod
    def from_row(cls, p: CameraPhoto) -> PhotoPublic:
        exif = p.exif_lat_deg is not None and p.exif_lon_deg is not None
        return cls(
            id=p.id,
            sysid=p.sysid,
            patrol_id=p.patrol_id,
            image_index=p.image_index,
            taken_at=p.taken_at,
            lat_deg=p.exif_lat_deg if exif else p.lat_deg,
            lon_deg=p.exif_lon_deg if exif else p.lon_deg,
            alt_msl_m=p.exif_alt_m if p.exif_alt_m is not None else p.alt_msl_m,
            reported_lat_deg=p.lat_deg,
            reported_lon_deg=p.lon_deg,
            sha256=p.sha256,
            size_bytes=p.size_bytes,
            url=f"/api/photos/{p.id}/image",
        )


class SegmentPublic(BaseModel):
    id: int
    sysid: int
    patrol_id: int | None
    started_at: datetime
    ended_at: datetime
    frames: int
    sha256: str
    size_bytes: int

    @classmethod
    def from_row(cls, s: VideoSegment) -> SegmentPublic:
        return cls(
            id=s.id,
            sysid=s.sysid,
            patrol_id=s.patrol_id,
            started_at=s.started_at,
            ended_at=s.ended_at,
            frames=s.frames,
            sha256=s.sha256,
            size_bytes=s.size_bytes,
        )


class GimbalCommand(InputModel):
    pitch_deg: float = Field(ge=-90, le=30, description="0 level, -90 straight down")
    yaw_deg: float = Field(0.0, ge=-180, le=180, description="relative to the vehicle's nose")


class RecordingCommand(InputModel):
    on: bool = Field(description="true: start recording the drone's stream; false: stop")


class RoiCommand(InputModel):
    lat_deg: Latitude
    lon_deg: Longitude
    alt_msl_m: float | None = Field(None, description="default: the ground under the vehicle")


class StillRequest(InputModel):
    """A still into an existing incident, or into a new one at the drone's position."""

    incident_id: int | None = Field(None, ge=1, description="None: a new incident")
    type: IncidentType = Field(IncidentType.OTHER, description="a new incident's type")
    description: str = Field("", max_length=2000)


class StillPublic(BaseModel):
    incident: IncidentPublic
    attachment: AttachmentPublic
    stamp: str


class Accepted(BaseModel):
    ok: bool = True


@router.get("/api/video/cameras")
async def list_cameras(user: CurrentUser, services: ServicesDep) -> Page[CameraPublic]:
    video = services.video
    cams = [] if video is None else [CameraPublic.of(c, video) for c in video.cameras.values()]
    cams.sort(key=lambda c: c.sysid)
    return Page(data=cams, count=len(cams))


def _client(video: VideoService, sysid: int) -> CameraClient:
    if sysid not in video.cameras:
        raise NotFound("camera of vehicle", sysid)
    client = video.clients.get(sysid)
    if client is None:
        raise Conflict(f"vehicle {sysid}'s camera is configured, it takes no MAVLink commands")
    return client


@router.post("/api/video/{sysid}/capture")
async def capture(sysid: int, user: PilotUser, video: VideoDep) -> Accepted:
    await _client(video, sysid).capture()
    return Accepted()


@router.post("/api/video/{sysid}/gimbal")
async def gimbal(sysid: int, body: GimbalCommand, user: PilotUser, video: VideoDep) -> Accepted:
    await _client(video, sysid).point(body.pitch_deg, body.yaw_deg)
    return Accepted()


@router.post("/api/video/{sysid}/roi")
async def roi(sysid: int, body: RoiCommand, user: PilotUser, video: VideoDep) -> Accepted:
    client = _client(video, sysid)
    alt = body.alt_msl_m
    if alt is None:
        pos = client.vehicle.state.position
        alt = pos.alt_msl_m - pos.alt_rel_m if pos is not None else 0.0
    await client.look_at(body.lat_deg, body.lon_deg, alt)
    return Accepted()


@router.post("/api/video/{sysid}/recording")
async def recording(
    sysid: int, body: RecordingCommand, user: PilotUser, video: VideoDep, session: SessionDep
) -> Accepted:
    if sysid not in video.sources:
        raise NotFound("video stream of vehicle", sysid)
    choice = await choose_recording(session, sysid, body.on, user)
    command = "video.record_start" if body.on else "video.record_stop"
    await audit(session, user, sysid, command, "accepted")  # commits the choice with it
    video.set_recording(choice)
    return Accepted()


@router.delete("/api/video/{sysid}/recording")
async def recording_by_settings(
    sysid: int, user: PilotUser, video: VideoDep, session: SessionDep
) -> Accepted:
    """Drop the pilots' start or stop of the drone's recording: it records as the settings
    (``video.record``) say, now and after restarts (pilots; audited)."""
    if sysid not in video.sources:
        raise NotFound("video stream of vehicle", sysid)
    had = await forget_recording_choice(session, sysid)
    result = "accepted" if had else "accepted (no choice stood)"
    await audit(session, user, sysid, "video.record_default", result)  # commits it
    video.follow_settings(sysid)
    return Accepted()


@router.post("/api/video/{sysid}/still", status_code=201)
async def still(
    sysid: int,
    body: StillRequest,
    user: CurrentUser,
    services: ServicesDep,
    video: VideoDep,
    session: SessionDep,
) -> StillPublic:
    """Take the next picture of the drone's live video into an incident, stamped with the
    drone's position, heading, gimbal angles and the time (also in its EXIF); its SHA-256 is
    stored with it. Officers and pilots alike."""
    if sysid not in video.sources:
        raise NotFound("video of vehicle", sysid)
    name = f"drone {sysid}"
    vehicle = await camera_media.vehicle_of_sysid(session, sysid)
    if vehicle is not None:
        name = vehicle.name
    try:
        jpeg, stamp = await video.still(sysid, name)
    except TimeoutError:
        raise Conflict(f"no picture from vehicle {sysid}'s video in time") from None
    if body.incident_id is not None:
        incident = await get_incident(session, body.incident_id)
    else:
        if stamp.lat_deg is None or stamp.lon_deg is None:
            raise Conflict(f"vehicle {sysid} has no position for a new incident")
        text = body.description or f"still from {name}"
        fields = {"type": body.type, "lat_deg": stamp.lat_deg, "lon_deg": stamp.lon_deg,
                  "description": text, "vehicle_id": vehicle.id if vehicle else None}  # fmt: skip
        incident = await report_incident(session, fields, user.id)
        await audit(session, user, None, "incident.create", "ok", {"incident_id": incident.id})
    attachment = Attachment(
        incident_id=incident.id,
        filename=f"still-{sysid}-{stamp.at.strftime('%Y%m%dT%H%M%SZ')}.jpg",
        content_type="image/jpeg",
        size_bytes=len(jpeg),
        sha256=hashlib.sha256(jpeg).hexdigest(),
        lat_deg=stamp.lat_deg,
        lon_deg=stamp.lon_deg,
        uploaded_by=user.id,
        data=jpeg,
    )
    async with services.upload_locks.hold(f"incident:{incident.id}", f"user:{user.id}"):
        await check_quotas(session, services.settings, incident, user, len(jpeg))
        await add_attachment(session, incident, attachment)
    params = {"incident_id": incident.id, "attachment_id": attachment.id,
              "sha256": attachment.sha256, "sysid": sysid}  # fmt: skip
    await audit(session, user, None, "attachment.still", "ok", params)
    public = await incident_public(session, incident)
    publish_incident(services.hub, "updated" if body.incident_id else "created", public)
    return StillPublic(
        incident=public, attachment=AttachmentPublic.from_row(attachment), stamp=stamp.text()
    )


@router.get("/api/photos")
async def list_photos(
    user: CurrentUser,
    session: SessionDep,
    sysid: Annotated[int | None, Query(ge=1, le=255)] = None,
    patrol_id: Annotated[int | None, Query(ge=1)] = None,
    since: datetime | None = None,
) -> Page[PhotoPublic]:
    rows = await camera_media.list_photos(session, sysid, patrol_id, since)
    return Page(data=[PhotoPublic.from_row(p) for p in rows], count=len(rows))


@router.get("/api/incidents/{incident_id}/camera-photos")
async def incident_photos(
    incident_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Page[PhotoPublic]:
    incident = await get_incident(session, incident_id)
    rows = await incident_camera_photos(session, incident, settings.evidence.track_margin_s)
    return Page(data=[PhotoPublic.from_row(p) for p in rows], count=len(rows))


@router.get("/api/photos/{photo_id}/image", response_class=FileResponse)
async def photo_image(photo_id: int, user: CurrentUser, session: SessionDep) -> FileResponse:
    row = await camera_media.get_photo(session, photo_id)
    if row is None or not await asyncio.to_thread(Path(row.path).is_file):
        raise NotFound("photo", photo_id)
    return FileResponse(row.path, media_type="image/jpeg", headers={"X-SHA256": row.sha256})


@router.get("/api/video/recordings")
async def list_recordings(
    user: CurrentUser,
    session: SessionDep,
    sysid: Annotated[int | None, Query(ge=1, le=255)] = None,
    since: datetime | None = None,
) -> Page[SegmentPublic]:
    rows = await camera_media.list_segments(session, sysid, since)
    return Page(data=[SegmentPublic.from_row(s) for s in rows], count=len(rows))


@router.websocket("/ws/video/{sysid}")
async def video_socket(
    websocket: WebSocket, sysid: int, services: ServicesDep, token: str | None = None
) -> None:
    await websocket.accept()
    try:
        if token is None:
            raise NotFound("token", None)
        async with services.sessions() as session:
            await user_for_token(session, services.tokens, token)
    except GroundStationError:
        await websocket.close(_POLICY_VIOLATION, "authentication required")
        return
    video = services.video
    if video is None or sysid not in video.sources:
        await websocket.send_json({"type": "error", "detail": f"no video from vehicle {sysid}"})
        await websocket.close(1000)
        return
    async with asyncio.TaskGroup() as tg:  # whichever ends first (viewer gone, stream gone)
        relay = tg.create_task(_relay(websocket, video, sysid))
        closed = tg.create_task(_until_closed(websocket))
        relay.add_done_callback(lambda _: closed.cancel())
        closed.add_done_callback(lambda _: relay.cancel())


async def _until_closed(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass


async def _relay(websocket: WebSocket, video: VideoService, sysid: int) -> None:
    """Frames of `sysid`'s stream to one viewer, muxed for it (its own decode times)."""
    muxer = Fmp4Muxer()
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        async with video.watch(sysid, f"ws{id(websocket)}") as (source, sub):
            async for unit in source.frames_for(sub):
                pieces = muxer.feed(unit)
                if pieces and pieces[0] is muxer.init_segment:
                    init = {"type": "init", "mime": muxer.mime}
                    await websocket.send_json(init | {"width": muxer.width, "height": muxer.height})
                for piece in pieces:
                    await websocket.send_bytes(piece)
