"""``ecopatrol vehicles heard|accept|enrol|rotate|link|address``: the fleet's trust, by a pilot.

These talk to the running station over its API (the station owns the MAVLink link), signed in
as a pilot or admin: ``--url``, ``--username`` and the password from ``ECOPATROL_PASSWORD`` or a
prompt. Everything they change is in the audit log under that user.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Annotated, Any

import typer

from groundstation.cli._common import fail

app = typer.Typer(
    help="Accept heard vehicles, enrol them for MAVLink signing, rotate keys, settle addresses.",
    no_args_is_help=True,
)

UrlOption = Annotated[str, typer.Option(help="the station's address")]
UserOption = Annotated[str, typer.Option("--username", "-u", help="a pilot or admin")]
TrustedOption = Annotated[
    bool,
    typer.Option(
        "--link-trusted",
        help="the vehicle is reached over a link you trust (cable, private network): the key"
        " travels in clear in SETUP_SIGNING",
    ),
]
DEFAULT_URL = "http://127.0.0.1:8000"


class _Api:
    def __init__(self, url: str, username: str) -> None:
        self.url = url.rstrip("/")
        password = os.environ.get("ECOPATROL_PASSWORD") or typer.prompt(
            f"password for {username}", hide_input=True
        )
        body = self.call("POST", "/api/auth/login", {"username": username, "password": password})
        self.token = str(body["access_token"])

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("detail", exc.reason)
            except (ValueError, AttributeError):
                detail = exc.reason
            fail(f"{method} {path}: {exc.code}: {detail}")
        except (urllib.error.URLError, OSError) as exc:
            fail(f"cannot reach the station at {self.url}: {exc}")


def _show(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False, default=str))


@app.command("heard")
def heard(url: UrlOption = DEFAULT_URL, username: UserOption = "admin") -> None:
    """List systems heard on the link that are not fleet vehicles (yet)."""
    body = _Api(url, username).call("GET", "/api/vehicles/heard")
    if not body["data"]:
        typer.echo("no unknown vehicle heard")
    for seen in body["data"]:
        typer.echo(
            f"system {seen['sysid']}: from {seen['address']} on {seen['link_url']},"
            f" {seen['heartbeats']} heartbeats, {'signed' if seen['signed'] else 'unsigned'}"
        )


@app.command("accept")
def accept(
    sysid: Annotated[int, typer.Argument(help="MAVLink system id of the heard vehicle")],
    name: Annotated[str | None, typer.Option(help="registry name (default drone-SYSID)")] = None,
    enrol: Annotated[bool, typer.Option(help="enrol it for signing at once")] = True,
    link_trusted: TrustedOption = False,
    url: UrlOption = DEFAULT_URL,
    username: UserOption = "admin",
) -> None:
    """Make a heard system a fleet vehicle (and enrol it for MAVLink signing)."""
    body = {"name": name, "enrol": enrol, "link_trusted": link_trusted}
    _show(_Api(url, username).call("POST", f"/api/vehicles/heard/{sysid}/accept", body))


def _key_change(action: str, vehicle_id: int, link_trusted: bool, url: str, user: str) -> None:
    body = {"link_trusted": link_trusted}
    _show(_Api(url, user).call("POST", f"/api/vehicles/{vehicle_id}/signing/{action}", body))


@app.command("enrol")
def enrol(
    vehicle_id: Annotated[int, typer.Argument(help="registry id of the vehicle")],
    link_trusted: TrustedOption = False,
    url: UrlOption = DEFAULT_URL,
    username: UserOption = "admin",
) -> None:
    """Give the vehicle a signing key of its own (SETUP_SIGNING) and require it from then on."""
    _key_change("enrol", vehicle_id, link_trusted, url, username)


@app.command("rotate")
def rotate(
    vehicle_id: Annotated[int, typer.Argument(help="registry id of the vehicle")],
    link_trusted: TrustedOption = False,
    url: UrlOption = DEFAULT_URL,
    username: UserOption = "admin",
) -> None:
    """Replace an enrolled vehicle's key with a new generation."""
    _key_change("rotate", vehicle_id, link_trusted, url, username)


@app.command("link")
def link(
    vehicle_id: Annotated[int, typer.Argument(help="registry id of the vehicle")],
    url: UrlOption = DEFAULT_URL,
    username: UserOption = "admin",
) -> None:
    """Show the vehicle's address, whether its commands are held, and the frames dropped."""
    _show(_Api(url, username).call("GET", f"/api/vehicles/{vehicle_id}/link"))


@app.command("address")
def address(
    vehicle_id: Annotated[int, typer.Argument(help="registry id of the vehicle")],
    accept_new: Annotated[
        bool,
        typer.Option(
            "--accept/--refuse", help="the vehicle moved to the new address / keep the old one"
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    username: UserOption = "admin",
) -> None:
    """Answer an address change that holds the vehicle's commands."""
    body = {"accept": accept_new}
    _show(_Api(url, username).call("POST", f"/api/vehicles/{vehicle_id}/link/address", body))
