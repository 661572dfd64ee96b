"""``ecopatrol centre-users``: the command centre's users, straight in its PostgreSQL store.

``ecopatrol centre-user`` adds one; these list them (with any login lockout), disable and
enable them, reset a password (to be changed at the next sign-in), lift a lockout of failed
logins and show what was done to them. Each change is recorded in ``centre_user_events`` as
``cli:<login>``; a disable or reset ends the user's tokens at once (the centre checks them on
every request).
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from groundstation.cli._common import fail

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

app = typer.Typer(
    help="List, disable, enable, unlock the command centre's users and reset their passwords.",
    no_args_is_help=True,
)

DbOption = Annotated[str, typer.Option(help="the centre's store: postgresql://user@host/db")]
UserArg = Annotated[str, typer.Argument(help="the centre user's login")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _on_store(db: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run `work` on the centre's store (brought to its newest schema first); a missing user
    or a store that cannot be reached stops the command with one line."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.ext.asyncio import create_async_engine

    from groundstation.config import DbSettings
    from groundstation.errors import NotFound
    from groundstation.federation.migrate import upgrade_centre

    if not db.startswith("postgresql"):
        fail("--db: the centre's store is PostgreSQL with PostGIS (postgresql://...)")

    async def run() -> T:
        engine = create_async_engine(DbSettings(url=db).async_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        upgrade_centre(DbSettings(url=db))
        return asyncio.run(run())
    except NotFound as exc:
        fail(str(exc), code=1)
    except (OperationalError, DBAPIError, OSError) as exc:
        fail(f"cannot use the centre's store: {exc}", code=1)


@app.command("list")
def list_users(
    db: DbOption,
    station: Annotated[str | None, typer.Option(help="only the users of this station")] = None,
) -> None:
    """The centre's users: login, name, role, the station they see, enabled or not, locked
    out by failed logins (until when, UTC) or made to change their password."""
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    from groundstation.federation.login_throttle import throttled
    from groundstation.federation.users import CentreUser
    from groundstation.federation.users import list_users as listed

    now = datetime.now(UTC)

    async def work(engine: AsyncEngine) -> tuple[list[CentreUser], dict[str, datetime]]:
        locked = {
            t.key.key: t.locked_until
            for t in await throttled(engine, now)
            if t.key.kind == "user" and t.locked_until is not None and t.locked_until > now
        }
        return await listed(engine, station), locked

    users, locked = _on_store(db, work)
    table = Table(title="centre users")
    for column in ("id", "username", "full name", "role", "station", "state", "login"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for u in users:
        state = "active" if u.active else "[red]disabled[/red]"
        if u.must_change_password:
            state += ", must change password"
        until = locked.get(u.username)
        login = (
            ""
            if until is None
            else f"[red]locked until {until.astimezone(UTC):%Y-%m-%d %H:%M}[/red]"
        )
        table.add_row(
            str(u.id), u.username, u.full_name, u.role, u.station or "(every station)", state,
            login,
        )  # fmt: skip
    console = Console(width=max(120, Console().width))
    console.print(table if users else "no centre users")


def _set_active(db: str, username: str, active: bool) -> None:
    from groundstation.federation.users import set_active

    changed = _on_store(db, lambda engine: set_active(engine, username, active, _actor()))
    state = "enabled" if active else "disabled"
    if changed:
        ended = "" if active else "; their tokens no longer work"
        typer.echo(f"centre user {username} {state}{ended}")
    else:
        typer.echo(f"centre user {username} was already {state}")


@app.command("disable")
def disable(username: UserArg, db: DbOption) -> None:
    """Disable a centre user: they cannot sign in and their tokens stop working."""
    _set_active(db, username, False)


@app.command("enable")
def enable(username: UserArg, db: DbOption) -> None:
    """Enable a disabled centre user again."""
    _set_active(db, username, True)


@app.command("reset-password")
def reset_password(
    username: UserArg,
    db: DbOption,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="read the new password from standard input instead"),
    ] = False,
) -> None:
    """Give a centre user a new password: a generated one, printed once (or one read from
    standard input), which they must change at the next sign-in. Their tokens stop working."""
    from groundstation.config import Settings
    from groundstation.errors import InvalidRequest
    from groundstation.federation.users import set_password
    from groundstation.password_policy import check_password, generate_password
    from groundstation.security import Passwords, make_hasher

    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    try:
        check_password(password, username)
    except InvalidRequest as exc:
        fail(f"password: {exc}")
    passwords = Passwords(make_hasher(Settings().password_hash_profile))

    async def work(engine: AsyncEngine) -> None:
        hashed = await passwords.hash(password)
        await set_password(engine, username, hashed, _actor(), generated=not password_stdin)

    _on_store(db, work)
    typer.echo(
        f"centre user {username}: new password set, to be changed at the next sign-in; "
        "their tokens no longer work"
    )
    if not password_stdin:
        typer.echo(f"one-time password (shown once): {password}")


@app.command("unlock")
def unlock(
    username: UserArg,
    db: DbOption,
    address: Annotated[
        str | None,
        typer.Option(help="also lift the lockout of this client address (as the centre saw it)"),
    ] = None,
) -> None:
    """Lift a centre user's lockout and back-off of failed logins (at once, even at a running
    centre); recorded, even when there was nothing to lift."""
    from groundstation.federation.login_throttle import unlock as lift
    from groundstation.federation.users import user_by_name

    async def work(engine: AsyncEngine) -> list[str]:
        if await user_by_name(engine, username) is None:
            from groundstation.errors import NotFound

            raise NotFound("centre user", username)
        lifted = await lift(engine, username, _actor(), address)
        return [f"{t.key.noun} {t.key.key} ({t.failures} failed logins)" for t in lifted]

    lifted = _on_store(db, work)
    if lifted:
        typer.echo(f"centre user {username}: lifted " + "; ".join(lifted))
    else:
        typer.echo(f"centre user {username}: no failed logins to lift")


@app.command("history")
def history(
    db: DbOption,
    username: Annotated[str | None, typer.Argument(help="only this user")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 50,
) -> None:
    """What was done to the centre's users, and by whom (newest first)."""
    from rich.console import Console
    from rich.table import Table

    from groundstation.federation.users import user_events

    events = _on_store(db, lambda engine: user_events(engine, username, limit))
    table = Table(title="changes to centre users")
    for column in ("at (UTC)", "by", "user", "action", "details"):
        table.add_column(column, no_wrap=column != "details")  # only the details wrap
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in sorted(e.params.items()))
        at = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(at, e.actor, e.username, e.action, details)
    Console(width=max(100, Console().width)).print(table if events else "no changes recorded")
