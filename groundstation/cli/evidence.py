"""``ecopatrol evidence``: export an incident as a sealed packet, verify one, show the key.

``verify`` needs nothing of the station: run it on any machine with the packet and the
station's public key (``ecopatrol evidence key`` prints it, to print and file). It exits 0 when
every file is as sealed, 1 naming each file altered, added or removed.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from groundstation.cli._common import fail, load_settings, run_on_store
from groundstation.config import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

app = typer.Typer(help="Sealed evidence packets of incidents.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option(help="database URL (default: from settings)")]
DataDirOption = Annotated[Path | None, typer.Option(help="the station's data folder")]


async def _export(
    settings: Settings, key: Ed25519PrivateKey, incident_id: int, out: Path, actor: str
) -> int:
    from groundstation.cli._store import store_session
    from groundstation.evidence.export import export_incident

    async with store_session(settings) as session:
        manifest = await export_incident(
            session,
            key,
            incident_id,
            out,
            user=None,
            actor=actor,
            station=settings.evidence.station_name,
            track_margin_s=settings.evidence.track_margin_s,
            tlog_dir=settings.evidence.tlog_dir(settings.data_dir),
            journal=settings.evidence.journal_path(settings.data_dir),
        )
    return len(manifest["files"])


@app.command()
def export(
    incident_id: Annotated[int, typer.Argument(help="the incident's id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the packet to write (.zip)")],
    actor: Annotated[
        str | None, typer.Option("--as", help="who exports, for the audit log (default: cli:USER)")
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write incident INCIDENT_ID's sealed evidence packet (audited, signed)."""
    from groundstation.errors import ServiceError
    from groundstation.evidence.keys import load_or_create_key

    settings = load_settings(db=db, data_dir=data_dir)
    key = load_or_create_key(settings.evidence.key_path(settings.data_dir))
    who = actor or f"cli:{getpass.getuser()}"
    partial = output.with_name(output.name + ".part")
    try:
        count = run_on_store(_export(settings, key, incident_id, partial, who))
    except ServiceError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot export incident {incident_id}: {exc}", code=1)
    partial.replace(output)
    typer.echo(f"wrote {output} ({output.stat().st_size} bytes, {count} files, sealed)")


@app.command()
def verify(
    packet: Annotated[Path, typer.Argument(help="the packet (.zip)", exists=True, dir_okay=False)],
    public_key: Annotated[
        Path | None,
        typer.Option(help="the station's public key on file (PEM); without it, the key in the"
                     " packet is used, which proves nothing about who sealed it"),
    ] = None,
) -> None:  # fmt: skip
    """Check every file of a packet against its signed manifest; name any altered, added or
    removed (exit 1)."""
    from groundstation.errors import ConfigError
    from groundstation.evidence.verify import verify_packet

    try:
        public = None
        if public_key is not None:
            from groundstation.evidence.keys import load_public_pem

            public = load_public_pem(public_key.read_bytes())
    except ConfigError as exc:
        fail(f"{public_key}: {exc}")
    report = verify_packet(packet, public)
    if report.key_fingerprint:
        origin = "the key inside the packet" if report.key_from_packet else "the key given"
        typer.echo(f"key: {report.key_fingerprint} ({origin})")
    if report.key_from_packet:
        typer.echo("warning: no --public-key: compare this fingerprint with the one on file")
    if not report.ok:
        for problem in report.problems:
            typer.echo(f"TAMPERED: {problem}")
        typer.echo("FAILED")
        raise typer.Exit(1)
    manifest = report.manifest
    typer.echo(
        f"OK: incident {manifest.get('incident_id')}, {report.files_checked} files as sealed"
        f" by {manifest.get('station')} at {manifest.get('exported_at')}"
    )


@app.command()
def key(data_dir: DataDirOption = None) -> None:
    """Print the station's public evidence key (PEM) and its fingerprint, to print and file."""
    from groundstation.evidence.keys import fingerprint, load_or_create_key, public_pem

    settings = load_settings(data_dir=data_dir)
    public = load_or_create_key(settings.evidence.key_path(settings.data_dir)).public_key()
    typer.echo(public_pem(public).decode("ascii"), nl=False)
    typer.echo(f"fingerprint: {fingerprint(public)}")
