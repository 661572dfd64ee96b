"""``ecopatrol audit``: verify the audit hash chain and sign its head.

``verify`` exits 0 when every row chains and every checkpoint matches, 1 naming the first row
that was changed, removed or inserted (and every other break after it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from groundstation.cli._common import fail, load_settings, run_on_store
from groundstation.config import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option(help="database URL (default: from settings)")]
DataDirOption = Annotated[Path | None, typer.Option(help="the station's data folder")]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(help="check checkpoints with this public key (PEM) instead of the station's"),
]

#: findings printed after the first one
MAX_SHOWN = 20


def station_public_key(settings: Settings, public_key: Path | None) -> Ed25519PublicKey:
    """The key in `public_key` (PEM) if given, else the station's own (made if missing)."""
    from groundstation.evidence.keys import load_or_create_key, load_public_pem

    if public_key is not None:
        return load_public_pem(public_key.read_bytes())
    return load_or_create_key(settings.evidence.key_path(settings.data_dir)).public_key()


async def _verify(settings: Settings, public: Ed25519PublicKey) -> list[str]:
    from groundstation.cli._store import store_session
    from groundstation.db.audit import verify_store

    async with store_session(settings) as session:
        journal = settings.evidence.journal_path(settings.data_dir)
        report = await verify_store(session, public, journal)
    lines = [
        f"audit chain: {report.rows} rows, {report.checkpoints} checkpoints;"
        f" signed up to seq {report.signed_seq} of {report.head_seq}"
    ]
    if report.ok:
        unsigned = report.head_seq - report.signed_seq
        lines.append("OK: every row chains and every checkpoint matches")
        if unsigned:
            lines.append(f"note: the newest {unsigned} rows are not yet under a checkpoint")
        return lines
    first = report.findings[0]
    lines.append(f"TAMPERED: {first.text}")
    lines += [f"  also: {f.text}" for f in report.findings[1 : 1 + MAX_SHOWN]]
    if len(report.findings) > 1 + MAX_SHOWN:
        lines.append(f"  ... and {len(report.findings) - 1 - MAX_SHOWN} more")
    lines.append("FAILED")
    return lines


@app.command()
def verify(
    public_key: PublicKeyOption = None, db: DbOption = None, data_dir: DataDirOption = None
) -> None:
    """Walk the audit chain and the signed checkpoints; name the first row changed, removed
    or inserted (exit 1)."""
    settings = load_settings(db=db, data_dir=data_dir)
    lines = run_on_store(_verify(settings, station_public_key(settings, public_key)))
    for line in lines:
        typer.echo(line)
    if lines[-1] == "FAILED":
        raise typer.Exit(1)


async def _checkpoint(settings: Settings, key: Ed25519PrivateKey) -> str:
    from groundstation.cli._store import store_session
    from groundstation.db.audit import write_checkpoint

    async with store_session(settings) as session:
        journal = settings.evidence.journal_path(settings.data_dir)
        checkpoint = await write_checkpoint(session, key, journal)
    if checkpoint is None:
        return "nothing new to sign"
    return f"signed checkpoint {checkpoint.id}: seq {checkpoint.seq}, head {checkpoint.head_hash}"


@app.command()
def checkpoint(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Sign the chain's newest row now (the service does it every few minutes)."""
    from groundstation.errors import AuditChainBroken
    from groundstation.evidence.keys import load_or_create_key

    settings = load_settings(db=db, data_dir=data_dir)
    key = load_or_create_key(settings.evidence.key_path(settings.data_dir))
    try:
        typer.echo(run_on_store(_checkpoint(settings, key)))
    except AuditChainBroken as exc:
        fail(str(exc), code=1)
