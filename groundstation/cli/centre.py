"""``ecopatrol centre``: the command centre's role: every station's events into PostgreSQL +
PostGIS, and the live page and API over them (``groundstation.centre_app``).

One process: the subscriber (with the broker from the ``ECOPATROL_FEDERATION__*`` settings, the
centre logging in as ``--username``) and the web service (``--host``/``--port``, default
``ECOPATROL_HOST``/``ECOPATROL_PORT``). ``ecopatrol centre-user`` adds the centre's users, each
scoped to one station (``--station``) or to all; ``ecopatrol centre-users`` lists, disables,
enables them and resets their passwords (``groundstation.cli.centre_users``).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from typing import Annotated

import typer

from groundstation.cli._common import fail

DbOption = Annotated[str, typer.Option(help="the merged store: postgresql://user@host/db")]


def _check_db(db: str) -> None:
    if not db.startswith("postgresql"):
        fail("--db: the centre's store is PostgreSQL with PostGIS (postgresql://...)")


def centre(
    db: DbOption,
    username: Annotated[str, typer.Option(help="the centre's broker login")] = "centre",
    host: Annotated[str | None, typer.Option(help="address the page and API listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port the page and API listen on")] = None,
) -> None:
    """Run the command centre: store every station's events once, in order, and serve the
    live page and API over them."""
    import uvicorn

    from groundstation.centre_app import BrokerLogin, create_centre_app
    from groundstation.config import DbSettings, Settings
    from groundstation.errors import StoreError
    from groundstation.federation.migrate import upgrade_centre

    _check_db(db)
    settings = Settings()
    fed = settings.federation
    if fed.password is None:
        fail("ECOPATROL_FEDERATION__PASSWORD: the centre's broker password is not set")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        upgrade_centre(DbSettings(url=db))
    except StoreError as exc:
        fail(f"ecopatrol centre: {exc}", code=1)
    broker = BrokerLogin(
        host=fed.broker_host, port=fed.broker_port, username=username,
        password=fed.password.get_secret_value(), ca_file=fed.ca_file,
    )  # fmt: skip
    host, port = host or settings.host, port or settings.port
    typer.echo(f"ecopatrol centre: {db} (PostGIS: yes, schema at head)")
    typer.echo(f"ecopatrol centre: serving on http://{host}:{port}")
    uvicorn.run(
        create_centre_app(settings, db, broker), host=host, port=port,
        ws="websockets-sansio", log_level="info", proxy_headers=False,
    )  # fmt: skip


def centre_user(
    db: DbOption,
    username: Annotated[str, typer.Option(help="the login")],
    station: Annotated[
        str | None, typer.Option(help="the one station this user sees (default: all)")
    ] = None,
    role: Annotated[str, typer.Option(help="officer or admin")] = "officer",
    full_name: Annotated[str, typer.Option(help="the name the page shows")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a centre user, scoped to one station (--station) or to every station."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from groundstation.config import DbSettings, Settings
    from groundstation.errors import Conflict, InvalidRequest
    from groundstation.federation.migrate import upgrade_centre
    from groundstation.federation.users import create_user
    from groundstation.password_policy import check_password
    from groundstation.security import Passwords, make_hasher

    _check_db(db)
    if role not in ("officer", "admin"):
        fail("--role: officer or admin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(password, username)
    except InvalidRequest as exc:
        fail(f"password: {exc}")
    settings = Settings()
    upgrade_centre(DbSettings(url=db))

    async def add() -> int:
        engine = create_async_engine(DbSettings(url=db).async_url)
        try:
            hashed = await Passwords(make_hasher(settings.password_hash_profile)).hash(password)
            user = await create_user(
                engine, username, hashed, role=role, station=station,  # type: ignore[arg-type]
                full_name=full_name, actor=f"cli:{getpass.getuser()}",
            )  # fmt: skip
            return user.id
        finally:
            await engine.dispose()

    try:
        user_id = asyncio.run(add())
    except Conflict as exc:
        fail(str(exc))
    typer.echo(f"centre user {username} ({role}, {station or 'every station'}): id {user_id}")
