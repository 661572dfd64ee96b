"""``ecopatrol mission``: upload, download and clear a vehicle's mission, fence and rally points.

Like MAVProxy's ``wp`` commands, for the link alone (no service needed)::

    ecopatrol mission upload patrol.plan --connect udpin:0.0.0.0:14550 --sysid 2
    ecopatrol mission download saved.waypoints --connect udpin:0.0.0.0:14550
    ecopatrol mission clear --connect udpin:0.0.0.0:14550 --type all

A ``.plan`` carries mission, fence and rally; a ``.waypoints`` file only the mission. Failures
end with one line naming the vehicle and the cause, and exit code 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from groundstation.link import Fleet, VehicleHandle

app = typer.Typer(
    name="mission",
    help="Upload, download or clear a vehicle's mission, fence and rally points.",
    no_args_is_help=True,
    add_completion=False,
)

TYPES = ("mission", "fence", "rally")

ConnectOpt = Annotated[
    str,
    typer.Option(
        "--connect",
        "-c",
        help="Link URL: udpin:HOST:PORT, udpout:HOST:PORT or tcp:HOST:PORT.",
    ),
]
SysidOpt = Annotated[
    int | None,
    typer.Option("--sysid", help="Target system id (default: the first vehicle heard)."),
]
TypeOpt = Annotated[
    str,
    typer.Option("--type", "-t", help="mission | fence | rally | all"),
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait for the vehicle's heartbeat."),
]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(1)


def _types(kind: str) -> tuple[str, ...]:
    if kind == "all":
        return TYPES
    if kind not in TYPES:
        raise _fail(f"--type must be one of mission, fence, rally, all; got {kind!r}")
    return (kind,)


async def _find_vehicle(fleet: Fleet, sysid: int | None, wait_s: float) -> VehicleHandle:
    from groundstation.errors import LinkTimeout

    try:
        async with asyncio.timeout(wait_s):
            async for found in fleet.new_vehicles():
                if sysid is None or found == sysid:
                    return fleet.vehicle(found)
    except TimeoutError:
        pass
    who = "any vehicle" if sysid is None else f"vehicle {sysid}"
    raise LinkTimeout(f"no heartbeat from {who} within {wait_s:g} s")


def _run(
    connect: str,
    sysid: int | None,
    wait_s: float,
    work: Callable[[VehicleHandle], Coroutine[Any, Any, None]],
) -> None:
    """Open the link, find the vehicle, run ``work``; GroundStationError -> message, exit 1."""
    from groundstation.errors import GroundStationError
    from groundstation.link import Fleet, LinkConfig

    async def main() -> None:
        fleet = Fleet([LinkConfig(url=connect)])
        async with fleet:
            vehicle = await _find_vehicle(fleet, sysid, wait_s)
            await work(vehicle)

    try:
        asyncio.run(main())
    except GroundStationError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(str(exc)) from None


def _load(path: Path, kinds: tuple[str, ...]) -> dict[str, list[Any]]:
    """Items per mission type from a ``.plan`` or ``.waypoints`` file."""
    from routes.errors import PlanningError
    from routes.formats import qgc_plan, waypoints

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"{path}: not a text file (UTF-8 expected)") from None
    try:
        if path.suffix == ".plan":
            plan = qgc_plan.loads(text)
            parts = {"mission": list(plan.items), "fence": list(plan.fence)}
            parts["rally"] = list(plan.rally)
        elif path.suffix in (".waypoints", ".txt"):
            parts = {"mission": list(waypoints.loads(text))}
        else:
            raise _fail(f"{path}: unknown file type; use .plan or .waypoints")
    except PlanningError as exc:
        raise _fail(f"{path}: {exc}") from None
    # An empty fence or rally in a .plan is sent too: it clears what the vehicle had.
    return {k: v for k, v in parts.items() if k in kinds or k == "mission"}


@app.command()
def upload(
    file: Annotated[
        Path, typer.Argument(help="A QGroundControl .plan or QGC WPL .waypoints file.")
    ],
    connect: ConnectOpt,
    sysid: SysidOpt = None,
    kind: TypeOpt = "all",
    verify: Annotated[bool, typer.Option(help="Read back and compare after upload.")] = True,
    wait: WaitOpt = 10.0,
) -> None:
    """Send a plan's mission (and fence and rally, from a .plan) to a vehicle."""
    from rich.progress import Progress

    kinds = _types(kind)
    loaded = _load(file, kinds)
    parts = {k: v for k, v in loaded.items() if k in kinds}

    async def work(vehicle: VehicleHandle) -> None:
        from groundstation.patrol.fence_upload import FenceBudgets, upload_fence

        notes: list[str] = []
        with Progress(transient=False) as bar:
            for mission_type, items in parts.items():
                task = bar.add_task(f"vehicle {vehicle.sysid} {mission_type}", total=len(items))

                def step(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                if mission_type == "fence" and items:
                    # fitted to the vehicle: refitted once (and said so) if it refuses for room
                    sent = await upload_fence(
                        vehicle, loaded.get("mission", []), items, FenceBudgets(), vehicle.sysid,
                        verify=verify, progress=step,
                    )  # fmt: skip
                    parts["fence"] = list(sent.items)
                    if sent.message:
                        notes.append(sent.message)
                        notes += sent.refit.notes() if sent.refit is not None else []
                else:
                    await vehicle.upload_mission(items, mission_type, progress=step, verify=verify)
                bar.update(task, completed=len(parts[mission_type]))
        for note in notes:
            typer.echo(f"note: {note}")
        summary = ", ".join(f"{len(v)} {k}" for k, v in parts.items())
        checked = " (verified)" if verify else ""
        typer.echo(f"vehicle {vehicle.sysid}: uploaded {summary}{checked}")

    _run(connect, sysid, wait, work)


@app.command()
def download(
    file: Annotated[
        Path | None, typer.Argument(help="Write to this .plan or .waypoints file.")
    ] = None,
    connect: ConnectOpt = "udpin:0.0.0.0:14550",
    sysid: SysidOpt = None,
    kind: TypeOpt = "all",
    wait: WaitOpt = 10.0,
) -> None:
    """Read a vehicle's mission (and fence and rally); save it or print a summary."""
    from rich.progress import Progress

    kinds = _types(kind)
    if file is not None and file.suffix not in (".plan", ".waypoints"):
        raise _fail(f"{file}: unknown file type; use .plan or .waypoints")
    if file is not None and file.suffix == ".waypoints":
        kinds = ("mission",)

    async def work(vehicle: VehicleHandle) -> None:
        from routes.mission import Mission, MissionItem

        got: dict[str, list[MissionItem]] = {}
        with Progress() as bar:
            for mission_type in kinds:
                task = bar.add_task(f"vehicle {vehicle.sysid} {mission_type}", total=None)

                def step(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                wire = await vehicle.download_mission(mission_type, progress=step)
                got[mission_type] = [MissionItem(**_fields(i)) for i in wire]
        for mission_type, items in got.items():
            typer.echo(f"vehicle {vehicle.sysid}: {len(items)} {mission_type} item(s)")
        if file is None:
            return
        from routes.formats import qgc_plan, waypoints

        if file.suffix == ".waypoints":
            file.write_text(waypoints.dumps(got["mission"]), encoding="utf-8")
        else:
            if not got.get("mission"):
                raise _fail("the vehicle holds no mission; a .plan needs at least home")
            plan = Mission(
                tuple(got["mission"]), tuple(got.get("fence", ())), tuple(got.get("rally", ()))
            )
            file.write_text(qgc_plan.dumps(plan), encoding="utf-8")
        typer.echo(f"wrote {file}")

    _run(connect, sysid, wait, work)


def _fields(item: Any) -> dict[str, Any]:
    names = ("seq", "frame", "command", "current", "autocontinue", "param1", "param2",
             "param3", "param4", "x", "y", "z", "mission_type")  # fmt: skip
    return {name: getattr(item, name) for name in names}


@app.command()
def clear(
    connect: ConnectOpt,
    sysid: SysidOpt = None,
    kind: TypeOpt = "mission",
    wait: WaitOpt = 10.0,
) -> None:
    """Delete a vehicle's mission, fence or rally points (--type all: every one)."""
    kinds = _types(kind)

    async def work(vehicle: VehicleHandle) -> None:
        for mission_type in kinds:
            await vehicle.clear_mission(mission_type)
        typer.echo(f"vehicle {vehicle.sysid}: cleared {', '.join(kinds)}")

    _run(connect, sysid, wait, work)
