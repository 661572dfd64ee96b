"""`ecopatrol plan coverage|shore|corridor|tour`: plan a patrol over the site and write it out.

Geometry comes from the site (`geodata`), planning from `routes` (pure, in metres); `plan_io`
reads the files, converts at the edges and writes the mission files and the preview picture.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from groundstation.commands.plan_io import (
    Format,
    Ground,
    Pattern,
    Policy,
    fail,
    line_from_file,
    make_params,
    run,
)

if TYPE_CHECKING:
    from routes.pipeline import PatrolParams
    from routes.types import Plan

app = typer.Typer(
    name="plan",
    help="Plan a patrol (coverage, shoreline, corridor, hotspot tour) and write mission files.",
    no_args_is_help=True,
)

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
RestrictedOpt = Annotated[
    Policy,
    typer.Option(
        "--restricted",
        help="Restricted and keep-out zones: avoid them, cross them in transit, or allow them.",
    ),
]


@app.command()
def coverage(
    altitude: AltOpt,
    output: OutOpt,
    site: SiteOpt = None,
    area: Annotated[
        str, typer.Option("--area", help="Area name in the site, or a polygon file.")
    ] = "water_surface",
    swath_width: SwathOpt = None,
    camera_hfov: HfovOpt = None,
    overlap: OverlapOpt = None,
    drones: DronesOpt = 1,
    station: StationOpt = "site",
    fmt: FormatOpt = Format.plan,
    png: PngOpt = None,
    speed: SpeedOpt = 15.0,
    endurance: EnduranceOpt = 3300.0,
    reserve: ReserveOpt = 0.25,
    max_items: ItemsOpt = 250,
    battery_wh: BatteryWhOpt = None,
    power_w: PowerOpt = None,
    restricted: RestrictedOpt = Policy.avoid,
    pattern: Annotated[
        Pattern,
        typer.Option(
            "--pattern",
            help="auto: the cheaper of the two; parallel: straight passes (photogrammetry); "
            "channel: loops following the shore.",
        ),
    ] = Pattern.auto,
) -> None:
    """Sweep an area (holes and no-fly zones avoided) with parallel or shore-following passes."""
    from routes.coverage import ChannelCoverage, CoverageStrategy, ParallelCoverage
    from routes.pipeline import plan_coverage

    chosen: list[CoverageStrategy] = []
    if pattern in (Pattern.auto, Pattern.channel):
        chosen.append(ChannelCoverage())
    if pattern in (Pattern.auto, Pattern.parallel):
        chosen.append(ParallelCoverage())

    def build(g: Ground, p: PatrolParams) -> Plan:
        return plan_coverage(
            g.area,
            no_fly=g.no_fly,
            restricted=g.restricted,
            station=g.station,
            params=p,
            strategies=chosen,
        )

    battery = (speed, endurance, reserve, max_items, battery_wh, power_w)
    swath = (swath_width, camera_hfov, overlap)
    run(
        build,
        (site, area, station),
        partial(
            make_params, altitude, swath, drones, battery, need_swath=True, restricted=restricted
        ),
        fmt,
        output,
        png,
    )


@app.command()
def shore(
    altitude: AltOpt,
    output: OutOpt,
    site: SiteOpt = None,
    area: Annotated[
        str, typer.Option("--area", help="Area whose shore to follow.")
    ] = "water_surface",
    offset: Annotated[
        float,
        typer.Option("--offset", help="Metres from the shore: > 0 over the water, < 0 over land."),
    ] = 20.0,
    loops: Annotated[
        int, typer.Option("--loops", min=1, help="Number of loops, a swath apart.")
    ] = 1,
    swath_width: SwathOpt = None,
    camera_hfov: HfovOpt = None,
    overlap: OverlapOpt = None,
    drones: DronesOpt = 1,
    station: StationOpt = "site",
    fmt: FormatOpt = Format.plan,
    png: PngOpt = None,
    speed: SpeedOpt = 15.0,
    endurance: EnduranceOpt = 3300.0,
    reserve: ReserveOpt = 0.25,
    max_items: ItemsOpt = 250,
    battery_wh: BatteryWhOpt = None,
    power_w: PowerOpt = None,
    restricted: RestrictedOpt = Policy.avoid,
) -> None:
    """Fly loops along the shore (and round the islands) at an offset."""
    from routes.patrols import plan_shore

    def build(g: Ground, p: PatrolParams) -> Plan:
        return plan_shore(
            g.area,
            offset_m=offset,
            loops=loops,
            no_fly=g.no_fly,
            restricted=g.restricted,
            station=g.station,
            params=p,
        )

    battery = (speed, endurance, reserve, max_items, battery_wh, power_w)
    swath = (swath_width, camera_hfov, overlap)
    run(
        build,
        (site, area, station),
        partial(
            make_params, altitude, swath, drones, battery, need_swath=False, restricted=restricted
        ),
        fmt,
        output,
        png,
    )


@app.command()
def corridor(
    altitude: AltOpt,
    output: OutOpt,
    site: SiteOpt = None,
    area: Annotated[
        str, typer.Option("--area", help="Area whose centre line to follow (if no --line).")
    ] = "water_surface",
    line: Annotated[
        Path | None, typer.Option("--line", help="A line file (river centre line, road).")
    ] = None,
    width: Annotated[
        float | None,
        typer.Option("--width", help="Corridor width, metres (default: the area's width)."),
    ] = None,
    swath_width: SwathOpt = None,
    camera_hfov: HfovOpt = None,
    overlap: OverlapOpt = None,
    drones: DronesOpt = 1,
    station: StationOpt = "site",
    fmt: FormatOpt = Format.plan,
    png: PngOpt = None,
    speed: SpeedOpt = 15.0,
    endurance: EnduranceOpt = 3300.0,
    reserve: ReserveOpt = 0.25,
    max_items: ItemsOpt = 250,
    battery_wh: BatteryWhOpt = None,
    power_w: PowerOpt = None,
    restricted: RestrictedOpt = Policy.avoid,
) -> None:
    """Fly along a line (by default the area's centre line) covering a width, there and back."""
    from shapely.geometry import LineString

    from routes.gapfill import centerline
    from routes.geometry import max_inscribed_radius, polygons
    from routes.patrols import plan_corridor

    def build(g: Ground, p: PatrolParams) -> Plan:
        if line is not None:
            centre = line_from_file(line, g.frame)
        else:
            biggest = max(polygons(g.area), key=lambda q: q.area)
            centre = LineString(centerline(biggest, spacing_m=20.0).simplify(10.0).coords)
        w = width if width is not None else 2 * max_inscribed_radius(g.area)
        return plan_corridor(
            centre, width_m=w, no_fly=g.no_fly, restricted=g.restricted, station=g.station, params=p
        )

    battery = (speed, endurance, reserve, max_items, battery_wh, power_w)
    swath = (swath_width, camera_hfov, overlap)
    run(
        build,
        (site, area, station),
        partial(
            make_params, altitude, swath, drones, battery, need_swath=False, restricted=restricted
        ),
        fmt,
        output,
        png,
    )


@app.command()
def tour(
    altitude: AltOpt,
    output: OutOpt,
    site: SiteOpt = None,
    area: Annotated[
        str, typer.Option("--area", help="Area the tour may fly over (with the hotspots).")
    ] = "patrol_zone",
    loiter: Annotated[
        float, typer.Option("--loiter", help="Seconds over a hotspot without its own loiter time.")
    ] = 30.0,
    min_priority: Annotated[
        int, typer.Option("--min-priority", help="Skip hotspots below this priority.")
    ] = 1,
    swath_width: SwathOpt = None,
    camera_hfov: HfovOpt = None,
    overlap: OverlapOpt = None,
    drones: DronesOpt = 1,
    station: StationOpt = "site",
    fmt: FormatOpt = Format.plan,
    png: PngOpt = None,
    speed: SpeedOpt = 15.0,
    endurance: EnduranceOpt = 3300.0,
    reserve: ReserveOpt = 0.25,
    max_items: ItemsOpt = 250,
    battery_wh: BatteryWhOpt = None,
    power_w: PowerOpt = None,
    restricted: RestrictedOpt = Policy.avoid,
) -> None:
    """Visit the site's hotspots from the station and back (lowest priorities dropped first)."""
    from routes.tour import Hotspot, plan_tour

    def build(g: Ground, p: PatrolParams) -> Plan:
        if g.station is None:
            raise fail("a tour starts and ends at a station: --station none is not possible")
        pois = g.site.layer("points_of_interest", local=False)
        spots = []
        for _, row in pois.iterrows():
            hid = row.get("hotspot_id")
            if not isinstance(hid, str) or not hid:
                continue
            prio = int(row["priority"]) if row["priority"] == row["priority"] else 1
            if prio < min_priority:
                continue
            wait = row.get("loiter_s")
            wait_s = float(wait) if isinstance(wait, int | float) and wait == wait else loiter
            spots.append(
                Hotspot(f"{hid} {row['name']}"[:60], g.frame.to_local(row.geometry), prio, wait_s)
            )
        if not spots:
            raise fail("the site has no hotspots (points of interest with a hotspot_id)")
        return plan_tour(
            spots,
            station=g.station,
            no_fly=g.no_fly,
            restricted=g.restricted,
            area=g.area,
            params=p,
        )

    battery = (speed, endurance, reserve, max_items, battery_wh, power_w)
    swath = (swath_width, camera_hfov, overlap)
    run(
        build,
        (site, area, station),
        partial(
            make_params, altitude, swath, drones, battery, need_swath=False, restricted=restricted
        ),
        fmt,
        output,
        png,
    )
