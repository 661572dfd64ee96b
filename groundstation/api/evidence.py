"""Evidence: sealed packets for officers, the station key, holds and the chain check for admins.

- ``POST /api/incidents/{id}/evidence`` (officers, admins): the incident's sealed packet (zip);
  the export is audited and the audit chain signed before the packet is made.
- ``POST /api/incidents/{id}/hold`` and ``/release`` (admins): legal hold, audited.
- ``GET /api/evidence/key`` (admins): the public key and its fingerprint, to print and file.
- ``GET /api/audit/verify`` (admins): walk the audit chain and its checkpoints now.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from groundstation.api.deps import (
    AdminUser,
    HubDep,
    OfficerUser,
    ServicesDep,
    SessionDep,
    SettingsDep,
)
from groundstation.api.evidence_schemas import AuditVerifyPublic, EvidenceKeyPublic, HoldRequest
from groundstation.api.incident_views import incident_public, publish_incident
from groundstation.api.inputs import Id
from groundstation.api.schemas import IncidentPublic
from groundstation.db.audit import audit, verify_store
from groundstation.db.evidence import set_hold
from groundstation.db.incidents import get_incident
from groundstation.evidence.export import export_incident
from groundstation.evidence.keys import fingerprint, public_pem

router = APIRouter(tags=["evidence"])


def evidence_key(services: ServicesDep) -> Ed25519PrivateKey:
    """The station's evidence key, loaded (or made) once at start with the checkpointer."""
    return services.checkpoints.key


EvidenceKeyDep = Annotated[Ed25519PrivateKey, Depends(evidence_key)]


@router.post(
    "/api/incidents/{incident_id}/evidence",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the sealed packet"}},
)
async def export_evidence(
    incident_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    key: EvidenceKeyDep,
    officer: OfficerUser,
) -> FileResponse:
    """The incident's sealed evidence packet (zip, manifest signed with the station key);
    409 if a stored photo no longer matches its upload hash."""
    fd, name = await asyncio.to_thread(tempfile.mkstemp, prefix="evidence-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        await export_incident(
            session, key, incident_id, path, user=officer,
            station=settings.evidence.station_name,
            track_margin_s=settings.evidence.track_margin_s,
            tlog_dir=settings.evidence.tlog_dir(settings.data_dir),
            journal=settings.evidence.journal_path(settings.data_dir),
        )  # fmt: skip
    except BaseException:
        os.unlink(path)  # a temporary file of ours: a quick local unlink
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"incident-{incident_id}-evidence.zip",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


async def _hold(
    incident_id: int, body: HoldRequest, session: SessionDep, hub: HubDep, admin: AdminUser,
    held: bool,
) -> IncidentPublic:  # fmt: skip
    incident = await get_incident(session, incident_id)
    await set_hold(session, incident, admin, held=held, reason=body.reason)
    command = "incident.hold" if held else "incident.release"
    await audit(session, admin, None, command, "ok",
                {"incident_id": incident_id, "reason": body.reason})  # fmt: skip
    public = await incident_public(session, incident)
    publish_incident(hub, "updated", public)
    return public


@router.post("/api/incidents/{incident_id}/hold")
async def hold_incident(
    incident_id: Id, body: HoldRequest, session: SessionDep, hub: HubDep, admin: AdminUser
) -> IncidentPublic:
    """Put the incident under legal hold (admins; audited with the reason)."""
    return await _hold(incident_id, body, session, hub, admin, held=True)


@router.post("/api/incidents/{incident_id}/release")
async def release_incident(
    incident_id: Id, body: HoldRequest, session: SessionDep, hub: HubDep, admin: AdminUser
) -> IncidentPublic:
    """Lift the legal hold (admins; audited with the reason). An incident with photos stays
    undeletable all the same."""
    return await _hold(incident_id, body, session, hub, admin, held=False)


@router.get("/api/evidence/key")
async def station_key(key: EvidenceKeyDep, _admin: AdminUser) -> EvidenceKeyPublic:
    """The station's public evidence key (PEM) and its fingerprint."""
    public = key.public_key()
    return EvidenceKeyPublic(
        public_key_pem=public_pem(public).decode("ascii"), fingerprint=fingerprint(public)
    )


@router.get("/api/audit/verify")
async def verify_audit(
    session: SessionDep, settings: SettingsDep, key: EvidenceKeyDep, _admin: AdminUser
) -> AuditVerifyPublic:
    """Walk the whole audit chain and every checkpoint; the first break first."""
    public = key.public_key()
    journal = settings.evidence.journal_path(settings.data_dir)
    return AuditVerifyPublic.from_report(await verify_store(session, public, journal))
