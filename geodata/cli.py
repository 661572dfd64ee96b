"""``ecopatrol geodata``: check a site's layers and draw its map.

Heavy imports (geopandas, matplotlib) happen inside the commands so ``ecopatrol --help`` stays
fast. Bad input ends with a one-line message naming file, layer, feature and field, and exit
code 1; never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from geodata.site import Site

app = typer.Typer(
    name="geodata",
    help="Check and draw the site: patrol areas, no-fly zones, points of interest, stations.",
    no_args_is_help=True,
    add_completion=False,
)

PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="A site folder, a GeoPackage, or one layer file (with --layer). "
        "Default: the shipped Longyou site.",
        show_default=False,
    ),
]
LayerOpt = Annotated[
    str | None,
    typer.Option(
        "--layer",
        help="Which layer a single file holds: "
        "patrol_areas|no_fly_zones|points_of_interest|hotspot_zones|stations.",
    ),
]


def summarise(site: Site) -> dict[str, Any]:
    """Plain-data summary of a site: per-layer counts and areas, patrol areas, station, remarks."""
    import shapely

    layers = []
    for name, gdf in site.layers.items():
        local = site.layer(name, local=True)
        polygonal = len(local) and local.geometry.iloc[0].geom_type.endswith("Polygon")
        area = shapely.union_all(local.geometry.to_numpy()).area / 1e6 if polygonal else None
        layers.append(
            {
                "layer": name,
                "features": len(gdf),
                "area_km2": None if area is None else round(area, 3),
                "warnings": sum(1 for w in site.warnings if w.layer == name),
            }
        )
    areas = site.layer("patrol_areas", local=True)
    patrol = [
        {
            "zone_id": None if not isinstance(z, str) else z,
            "name": n,
            "kind": k,
            "area_km2": round(g.area / 1e6, 3),
        }
        for z, n, k, g in zip(
            areas["zone_id"], areas["name"], areas["kind"], areas.geometry, strict=True
        )
    ]
    station = None
    if len(site.layers["stations"]):
        p = site.station
        station = {"name": str(site.layers["stations"]["name"].iloc[0]), "lon": p.x, "lat": p.y}
    return {
        "ok": True,
        "site": site.name,
        "crs": {"wgs84": "EPSG:4326", "local": f"EPSG:{site.frame.epsg}"},
        "layers": layers,
        "patrol_areas": patrol,
        "station": station,
        "warnings": [w.to_dict() for w in site.warnings],
    }


def _load(path: Path | None, layer: str | None, as_json: bool) -> Site:
    """The site, or every error found (one per failing layer) and exit code 1."""
    from geodata.site import check_site

    site, errors = check_site(path, layer=layer)
    if site is not None:
        return site
    if as_json:
        data = {
            "ok": False,
            "error": errors[0].to_dict(),
            "errors": [e.to_dict() for e in errors],
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        for exc in errors:
            typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


def _print_table(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"site {summary['site']}")
    for column in ("layer", "features", "area km²", "CRS", "warnings"):
        table.add_column(column, justify="left" if column in ("layer", "CRS") else "right")
    crs = f"{summary['crs']['wgs84']} / {summary['crs']['local']}"
    for row in summary["layers"]:
        area = "" if row["area_km2"] is None else f"{row['area_km2']:.3f}"
        table.add_row(row["layer"], str(row["features"]), area, crs, str(row["warnings"]))
    console.print(table)
    if summary["patrol_areas"]:
        areas = Table(title="patrol areas")
        for column in ("zone_id", "kind", "area km²", "name"):
            areas.add_column(column, justify="right" if column == "area km²" else "left")
        for row in summary["patrol_areas"]:
            areas.add_row(row["zone_id"] or "", row["kind"], f"{row['area_km2']:.3f}", row["name"])
        console.print(areas)
    if summary["station"]:
        s = summary["station"]
        console.print(f"launch station: {s['name']} at lon {s['lon']:.6f}, lat {s['lat']:.6f}")
    for w in summary["warnings"]:
        where = ", ".join(
            f"{k} {w[k]}" for k in ("path", "layer", "feature", "field") if w[k] is not None
        )
        style = "yellow" if w["level"] == "warning" else "dim"
        console.print(f"[{style}]{w['level']}[/{style}]: {where}: {w['message']}", highlight=False)


@app.command()
def check(
    path: PathArg = None,
    layer: LayerOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Load and validate a site; print its layers, areas and warnings. Exit 1 on errors."""
    site = _load(path, layer, as_json)
    summary = summarise(site)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_table(summary)


@app.command()
def show(
    path: PathArg = None,
    png: Annotated[Path, typer.Option("--png", help="Where to write the map (PNG).")] = Path(
        "site.png"
    ),
    layer: LayerOpt = None,
) -> None:
    """Draw the site (areas, no-fly zones, points, station) with a scale bar and north arrow."""
    from geodata.plot import render_site

    if not png.parent.is_dir():
        typer.echo(f"error: cannot write {png}: folder {png.parent} does not exist", err=True)
        raise typer.Exit(1)
    site = _load(path, layer, as_json=False)
    try:
        out = render_site(site, png)
    except OSError as exc:
        typer.echo(f"error: cannot write {png}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out}")
