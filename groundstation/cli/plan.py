"""`ecopatrol plan coverage|shore|corridor|tour`: plan a patrol over the site and write it out.

The options make a :class:`~groundstation.patrol.request.PlanRequest`, planned by the station's
own path (:func:`groundstation.patrol.planning.plan_on`, the API's and the scheduler's too);
`plan_io` reads the site and area files into its ground and writes the mission files and the
preview picture.

Every subcommand takes the same site, altitude, camera, battery and output options
(:class:`SharedOptions`); :func:`plan_command` adds them to the subcommand's own, so a subcommand
only declares its own options and returns the request fields they set.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from groundstation.cli.plan_io import Format, Pattern, Policy, Vehicle, line_from_file, run
from routes.types import DEFAULT_BATTERY

if TYPE_CHECKING:
    from groundstation.patrol.request import PlanRequest

app = typer.Typer(
    name="plan",
    help="Plan a patrol (coverage, shoreline, corridor, hotspot tour) and write mission files.",
    no_args_is_help=True,
)

#: What a subcommand returns: the request fields its own options set (read when the plan runs,
#: so a file they name is read inside the command's error handling).
OwnFields = Callable[[], dict[str, Any]]

SiteOpt = Annotated[
    Path | None,
    typer.Option("--site", help="Site folder or GeoPackage (default: shipped Longyou site)."),
]
AltOpt = Annotated[
    float, typer.Option("--altitude", help="Flight altitude above take-off, metres.")
]
SwathOpt = Annotated[
    float | None, typer.Option("--swath-width", help="Distance between passes, metres.")
]
HfovOpt = Annotated[
    float | None, typer.Option("--camera-hfov", help="Camera horizontal field of view, degrees.")
]
OverlapOpt = Annotated[
    float | None, typer.Option("--overlap", help="Side overlap between passes, 0..1.")
]
DronesOpt = Annotated[
    int, typer.Option("--drones", min=1, help="Number of drones sharing the sorties.")
]
StationOpt = Annotated[str, typer.Option("--station", help="'site' (default), 'none', or LON,LAT.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
OutOpt = Annotated[
    Path,
    typer.Option(
        "-o", "--output", help="Output file (several sorties: numbered files for plan/waypoints)."
    ),
]
PngOpt = Annotated[Path | None, typer.Option("--png", help="Write a preview picture here.")]
SpeedOpt = Annotated[float, typer.Option("--speed", help="Cruise speed, m/s.")]
EnduranceOpt = Annotated[
    float, typer.Option("--endurance", help="Flight time on one battery, seconds.")
]
ReserveOpt = Annotated[
    float, typer.Option("--reserve", help="Battery reserve kept on landing, fraction.")
]
ItemsOpt = Annotated[int, typer.Option("--max-items", help="Mission items one vehicle holds.")]
BatteryWhOpt = Annotated[
    float | None,
    typer.Option(
        "--battery-wh", help="Battery energy, Wh (with --power-w, instead of --endurance)."
    ),
]
PowerOpt = Annotated[float | None, typer.Option("--power-w", help="Power drawn in cruise, W.")]
AccelOpt = Annotated[
    float,
    typer.Option(
        "--accel",
        help="Horizontal acceleration between waypoints, m/s² (ArduCopter's WPNAV_ACCEL / 100): "
        "with --speed and --wp-radius, what corners and stops cost in the flight-time estimate "
        "patterns are chosen and sorties split by (replaces --turn-time).",
    ),
]
WpRadiusOpt = Annotated[
    float,
    typer.Option(
        "--wp-radius",
        help="Waypoint radius, m (ArduCopter's WPNAV_RADIUS / 100): how widely corners are cut.",
    ),
]
RestrictedOpt = Annotated[
    Policy,
    typer.Option(
        "--restricted",
        help="Restricted and keep-out zones: avoid them, cross them in transit, or allow them.",
    ),
]
VehicleOpt = Annotated[
    Vehicle,
    typer.Option("--vehicle", help="Autopilot whose fence storage the geofence is fitted to."),
]
FencePointsOpt = Annotated[
    int | None,
    typer.Option(
        "--fence-points",
        min=3,
        help="Fence items the vehicle holds (overrides --vehicle's; ArduCopter holds 70; on "
        "ArduPilot that is N x 8 bytes of fence storage).",
    ),
]


def _option(
    name: str, annotation: Any, default: Any = inspect.Parameter.empty
) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


#: Shared options listed before a subcommand's own (``--area`` follows them, see plan_command).
_HEAD = (_option("altitude", AltOpt), _option("output", OutOpt), _option("site", SiteOpt, None))
#: Shared options listed after a subcommand's own.
_TAIL = (
    _option("swath_width", SwathOpt, None),
    _option("camera_hfov", HfovOpt, None),
    _option("overlap", OverlapOpt, None),
    _option("drones", DronesOpt, 1),
    _option("station", StationOpt, "site"),
    _option("fmt", FormatOpt, Format.plan),
    _option("png", PngOpt, None),
    _option("speed", SpeedOpt, DEFAULT_BATTERY.cruise_speed_m_s),
    _option("endurance", EnduranceOpt, DEFAULT_BATTERY.endurance_s),
    _option("reserve", ReserveOpt, DEFAULT_BATTERY.reserve_frac),
    _option("max_items", ItemsOpt, DEFAULT_BATTERY.max_mission_items),
    _option("battery_wh", BatteryWhOpt, None),
    _option("power_w", PowerOpt, None),
    _option("accel", AccelOpt, DEFAULT_BATTERY.accel_m_s2),
    _option("wp_radius", WpRadiusOpt, DEFAULT_BATTERY.wp_radius_m),
    _option("restricted", RestrictedOpt, Policy.avoid),
    _option("vehicle", VehicleOpt, Vehicle.arducopter),
    _option("fence_points", FencePointsOpt, None),
)


@dataclass(frozen=True, slots=True)
class SharedOptions:
    """The options every plan subcommand takes (the names of its parameters).

    >>> {f.name for f in fields(SharedOptions)} == {p.name for p in (*_HEAD, *_TAIL)} | {"area"}
    True
    """

    altitude: float
    output: Path
    site: Path | None
    area: str
    swath_width: float | None
    camera_hfov: float | None
    overlap: float | None
    drones: int
    station: str
    fmt: Format
    png: Path | None
    speed: float
    endurance: float
    reserve: float
    max_items: int
    battery_wh: float | None
    power_w: float | None
    accel: float
    wp_radius: float
    restricted: Policy
    vehicle: Vehicle
    fence_points: int | None

    def request(self, own: dict[str, Any]) -> PlanRequest:
        """The planning request of these options and the subcommand's ``own`` fields."""
        from groundstation.patrol.request import PlanRequest

        return PlanRequest(
            altitude_m=self.altitude, area=self.area, swath_width_m=self.swath_width,
            camera_hfov_deg=self.camera_hfov, overlap_frac=self.overlap, drones=self.drones,
            speed_m_s=self.speed, endurance_s=self.endurance, battery_wh=self.battery_wh,
            power_w=self.power_w, reserve_frac=self.reserve, accel_m_s2=self.accel,
            wp_radius_m=self.wp_radius,
            max_items=self.max_items, use_station=self.station != "none",
            restricted=self.restricted.value, vehicle=self.vehicle.value,
            fence_points=self.fence_points, **own,
        )  # fmt: skip

    def run(self, own: OwnFields) -> None:
        """Make the request, load the ground, plan and write the output."""
        run(
            lambda: self.request(own()), (self.site, self.area, self.station), self.fmt,
            self.output, self.png,
        )  # fmt: skip


_SHARED_NAMES = tuple(f.name for f in fields(SharedOptions))


def plan_command(
    area_help: str, area_default: str = "water_surface"
) -> Callable[[Callable[..., OwnFields]], Callable[..., None]]:
    """Register a subcommand: the decorated function takes the subcommand's own options and
    returns the request fields they set (:data:`OwnFields`); the shared options and ``--area``
    (with this help and default) are added around its own in ``--help``, then the plan is run
    with them."""

    def register(fn: Callable[..., OwnFields]) -> Callable[..., None]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(fn, eval_str=True).parameters.values()
        ]
        area = Annotated[str, typer.Option("--area", help=area_help)]

        def command(**options: Any) -> None:
            shared = {name: options.pop(name) for name in _SHARED_NAMES}
            SharedOptions(**shared).run(fn(**options))

        command.__name__ = fn.__name__
        command.__qualname__ = fn.__qualname__
        command.__doc__ = fn.__doc__
        command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [*_HEAD, _option("area", area, area_default), *own, *_TAIL]
        )
        app.command()(command)
        return command

    return register


@plan_command("Area name in the site, or a polygon file.")
def coverage(
    pattern: Annotated[
        Pattern,
        typer.Option(
            "--pattern",
            help="auto: the cheapest; parallel: straight passes (photogrammetry); "
            "channel: loops following the shore; wavefront: passes across the water that bend "
            "with it (shortest on winding rivers, but a turn at every bank).",
        ),
    ] = Pattern.auto,
) -> OwnFields:
    """Sweep an area (holes and no-fly zones avoided) with parallel, shore-following or
    river-crossing passes."""
    return lambda: {"kind": "coverage", "pattern": pattern.value}


@plan_command("Area whose shore to follow.")
def shore(
    offset: Annotated[
        float,
        typer.Option("--offset", help="Metres from the shore: > 0 over the water, < 0 over land."),
    ] = 20.0,
    loops: Annotated[
        int, typer.Option("--loops", min=1, help="Number of loops, a swath apart.")
    ] = 1,
) -> OwnFields:
    """Fly loops along the shore (and round the islands) at an offset."""
    return lambda: {"kind": "shore", "offset_m": offset, "loops": loops}


@plan_command("Area whose centre line to follow (if no --line).")
def corridor(
    line: Annotated[
        Path | None, typer.Option("--line", help="A line file (river centre line, road).")
    ] = None,
    width: Annotated[
        float | None,
        typer.Option("--width", help="Corridor width, metres (default: the area's width)."),
    ] = None,
) -> OwnFields:
    """Fly along a line (by default the area's centre line) covering a width, there and back."""
    return lambda: {
        "kind": "corridor",
        "line": line_from_file(line) if line is not None else None,
        "width_m": width,
    }


@plan_command("Area the tour may fly over (with the hotspots).", area_default="patrol_zone")
def tour(
    loiter: Annotated[
        float, typer.Option("--loiter", help="Seconds over a hotspot without its own loiter time.")
    ] = 30.0,
    min_priority: Annotated[
        int, typer.Option("--min-priority", help="Skip hotspots below this priority.")
    ] = 1,
) -> OwnFields:
    """Visit the site's hotspots from the station and back (lowest priorities dropped first)."""
    return lambda: {"kind": "tour", "loiter_s": loiter, "min_priority": min_priority}
