"""``ecopatrol users``: create the first admin and add users, straight into the store."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from groundstation.cli._common import fail, load_settings, run_on_store
from groundstation.config import Settings
from groundstation.db.models import Role

app = typer.Typer(help="Manage station users (admin, pilot, officer).", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option(help="database URL (default: from settings)")]
DataDirOption = Annotated[Path | None, typer.Option(help="the station's data folder")]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


async def _add(
    settings: Settings,
    username: str,
    password: str,
    role: Role,
    full_name: str,
    must_change_password: bool = False,
) -> int:
    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.session import make_async_engine, make_sessionmaker
    from groundstation.db.users import count_admins, create_user
    from groundstation.security import Passwords, make_hasher

    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        async with make_sessionmaker(engine)() as session:
            if role == Role.ADMIN and username and await count_admins(session) > 0:
                typer.echo("note: this store already has an admin; adding another one")
            passwords = Passwords(make_hasher(settings.password_hash_profile))
            user = await create_user(
                session,
                passwords,
                username=username,
                password=password,
                role=role,
                full_name=full_name,
                must_change_password=must_change_password,
            )
            await session.commit()
            return user.id
    finally:
        await engine.dispose()


def _run_add(
    settings: Settings,
    username: str,
    password: str,
    role: Role,
    full_name: str,
    generated: bool = False,
) -> None:
    from groundstation.errors import ServiceError

    try:
        user_id = run_on_store(_add(settings, username, password, role, full_name, generated))
    except ServiceError as exc:
        fail(f"cannot add {username!r}: {exc}", code=1)
    typer.echo(f"added {role.value} {username!r} (id {user_id}) to {settings.db.url}")
    if generated:
        typer.echo(f"one-time password (shown once; to be changed at first sign-in): {password}")


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="the admin's login name")] = "admin",
    full_name: Annotated[str, typer.Option(help="shown in the interface")] = "",
    password_stdin: StdinOption = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create an admin account (the first one, on a new station). Asks for the password."""
    settings = load_settings(db=db, data_dir=data_dir)
    _run_add(settings, username, _password(password_stdin), Role.ADMIN, full_name)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="what the user may do")],
    full_name: Annotated[str, typer.Option(help="shown in the interface")] = "",
    password_stdin: StdinOption = False,
    generate_password: Annotated[
        bool,
        typer.Option(
            "--generate-password",
            help="make a one-time password, print it once; the user must change it at the "
            "first sign-in",
        ),
    ] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add a user with a role. Asks for the password (or generates a one-time one)."""
    from groundstation.password_policy import generate_password as generate

    if generate_password and password_stdin:
        fail("give --password-stdin or --generate-password, not both")
    settings = load_settings(db=db, data_dir=data_dir)
    password = generate() if generate_password else _password(password_stdin)
    _run_add(settings, username, password, role, full_name, generated=generate_password)


@app.command("list")
def list_users(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """List the users of the store."""
    settings = load_settings(db=db, data_dir=data_dir)
    for username, role, active in run_on_store(_list(settings)):
        typer.echo(f"{username:24} {role:8} {'active' if active else 'disabled'}")


async def _list(settings: Settings) -> list[tuple[str, str, bool]]:
    from sqlalchemy import select

    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.models import User
    from groundstation.db.session import make_async_engine, make_sessionmaker

    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.scalars(select(User).order_by(User.username))
            return [(u.username, u.role.value, u.active) for u in rows]
    finally:
        await engine.dispose()


@app.command("unlock")
def unlock(
    username: Annotated[
        str | None, typer.Argument(help="the username whose failed logins to forget")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="a client address to unlock instead of a username")
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Lift the lockout of a username (or of a client address) after too many failed logins."""
    if (username is None) == (address is None):
        fail("give a USERNAME or --address, not both and not neither")
    settings = load_settings(db=db, data_dir=data_dir)
    kind, key = ("user", username) if username is not None else ("address", address)
    assert key is not None
    failures = run_on_store(_unlock(settings, kind, key))
    what = f"username {key!r}" if kind == "user" else f"address {key}"
    if failures is None:
        typer.echo(f"{what} had no failed logins to forget")
    else:
        typer.echo(f"unlocked {what} ({failures} failed logins forgotten)")


async def _unlock(settings: Settings, kind: str, key: str) -> int | None:
    import getpass

    from groundstation.db import throttle
    from groundstation.db.migrate import upgrade_to_head
    from groundstation.db.session import make_async_engine, make_sessionmaker

    await asyncio.to_thread(upgrade_to_head, settings.db, settings.data_dir)
    engine = make_async_engine(settings.db)
    try:
        async with make_sessionmaker(engine)() as session:
            target = throttle.ThrottleKey("user" if kind == "user" else "address", key)
            row = await throttle.unlock(session, target, None, actor=f"cli:{getpass.getuser()}")
            return row.failures if row is not None else None
    finally:
        await engine.dispose()
