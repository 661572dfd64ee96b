"""The `ecopatrol` command line: one Typer app, one sub-app per part of the system.

Each part registers its own sub-app here; the modules that define them keep their heavy imports
inside the commands so `ecopatrol --help` stays fast.
"""

from __future__ import annotations

import typer

from geodata.cli import app as geodata_app
from groundstation.cli.audit import app as audit_app
from groundstation.cli.centre import centre, centre_user
from groundstation.cli.centre_users import app as centre_users_app
from groundstation.cli.demo import demo
from groundstation.cli.evidence import app as evidence_app
from groundstation.cli.mission import app as mission_app
from groundstation.cli.plan import app as plan_app
from groundstation.cli.report import report
from groundstation.cli.schedule import app as schedule_app
from groundstation.cli.serve import serve
from groundstation.cli.users import app as users_app
from groundstation.cli.vehicles import app as vehicles_app
from simulator.cli import app as sim_app

app = typer.Typer(
    name="ecopatrol",
    help="Ground-control station for ecological police drone patrols.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(geodata_app, name="geodata")
app.add_typer(plan_app, name="plan")
app.command("serve")(serve)
app.command("centre")(centre)
app.command("centre-user")(centre_user)
app.add_typer(centre_users_app, name="centre-users")
app.add_typer(users_app, name="users")
app.add_typer(vehicles_app, name="vehicles")
app.add_typer(sim_app, name="sim")
app.add_typer(mission_app, name="mission")
app.command("report")(report)
app.add_typer(schedule_app, name="schedule")
app.command("demo")(demo)
app.add_typer(audit_app, name="audit")
app.add_typer(evidence_app, name="evidence")


@app.callback()
def _root() -> None:
    """Ground-control station for ecological police drone patrols."""


@app.command()
def version() -> None:
    """Print the installed version."""
    from importlib.metadata import version as _version

    typer.echo(_version("ecopatrol"))


def main() -> None:
    app()
