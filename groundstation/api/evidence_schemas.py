"""The evidence API's bodies: the station's public key, a hold, the audit chain's verdict."""

from __future__ import annotations

from pydantic import BaseModel, Field

from groundstation.evidence.chain import ChainReport


class EvidenceKeyPublic(BaseModel):
    """The station's public evidence key, to print and file with the unit's records."""

    algorithm: str = "Ed25519"
    public_key_pem: str
    fingerprint: str = Field(description="SHA-256 of the raw public key, hex in groups of four")


class HoldRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why (case number, order)")


class ChainFindingPublic(BaseModel):
    kind: str
    text: str
    row_id: int | None
    seq: int | None


class AuditVerifyPublic(BaseModel):
    """``ok`` when every row chains and every checkpoint matches; else the breaks, first first."""

    ok: bool
    rows: int
    checkpoints: int
    signed_seq: int
    head_seq: int
    findings: list[ChainFindingPublic]

    @classmethod
    def from_report(cls, report: ChainReport) -> AuditVerifyPublic:
        return cls(
            ok=report.ok,
            rows=report.rows,
            checkpoints=report.checkpoints,
            signed_seq=report.signed_seq,
            head_seq=report.head_seq,
            findings=[
                ChainFindingPublic(kind=f.kind, text=f.text, row_id=f.row_id, seq=f.seq)
                for f in report.findings
            ],
        )
