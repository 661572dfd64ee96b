"""What a planning request is planned over: its :class:`Ground`, in a local metric frame.

The station's ground comes from the site (:func:`site_ground`): the requested area (a site area
or a drawn polygon, which must lie within the site's patrol areas), the site's zones and its
station. The command line makes its own from its area file, ``--site`` and ``--station``
(`groundstation.cli.plan_io`), with :func:`site_zones` for the zones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from groundstation.errors import InvalidRequest

if TYPE_CHECKING:
    from geodata.crs import LocalFrame
    from geodata.site import Site
    from groundstation.patrol.request import PlanRequest
    from routes.account import NamedZone

#: How far (metres) a requested area may stick out of the site's patrol areas (rounding).
SITE_TOLERANCE_M = 5.0


@dataclass
class Ground:
    """What a request is planned over, in a local metric frame."""

    frame: LocalFrame
    area: BaseGeometry
    no_fly: list[NamedZone]
    restricted: list[NamedZone]
    station: Point | None
    #: the site whose hotspots a tour visits
    site: Site
    #: what the pilot should know before flying it (an area mostly outside the site)
    warnings: list[str] = field(default_factory=list)


def geometry_of(doc: dict[str, Any], what: str) -> BaseGeometry:
    """A GeoJSON geometry (or Feature) of the request's field ``what``; a 422 naming it if not."""
    geom = doc.get("geometry") if doc.get("type") == "Feature" else doc
    try:
        out = shape(geom or {})
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InvalidRequest(f"{what} is not a GeoJSON geometry: {exc}", field=what) from None
    if out.is_empty:
        raise InvalidRequest(f"{what} is empty", field=what)
    return out


def _area(site: Site, req: PlanRequest) -> BaseGeometry:
    """The requested area in metres, checked to lie within the site's patrol areas."""
    frame = site.frame
    if req.polygon is not None:
        wgs = geometry_of(req.polygon, "polygon")
        if wgs.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidRequest(
                f"polygon must be a Polygon, got a {wgs.geom_type}", field="polygon"
            )
        if not wgs.is_valid:
            raise InvalidRequest(
                f"polygon is not valid: {shapely.is_valid_reason(wgs)}", field="polygon"
            )
        local = frame.to_local(wgs)
        site_area = shapely.union_all(site.layer("patrol_areas", local=True).geometry.to_numpy())
        outside = local.difference(site_area.buffer(SITE_TOLERANCE_M))
        if outside.area > 1.0:
            c = frame.to_wgs84(outside.representative_point())
            raise InvalidRequest(
                f"the polygon lies partly outside the site's patrol areas: {outside.area:.0f} m² "
                f"outside, e.g. at lon {c.x:.5f}, lat {c.y:.5f}",
                field="polygon",
                outside_m2=round(outside.area),
            )
        return local
    from geodata.errors import GeodataError

    try:
        return site.area(req.area or "water_surface", local=True)
    except GeodataError as exc:
        raise InvalidRequest(str(exc), field="area") from None


def site_zones(
    site: Site, to_local: Callable[[BaseGeometry], BaseGeometry]
) -> tuple[list[NamedZone], list[NamedZone]]:
    """The site's (no-fly, restricted and keep-out) zones, named as its layer names them and
    brought into the planning frame with ``to_local``."""
    from geodata.schema import HARD_RESTRICTIONS
    from routes.account import NamedZone

    hard: list[NamedZone] = []
    soft: list[NamedZone] = []
    for _, row in site.layer("no_fly_zones", local=False).iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        raw = row.get("restriction")
        restriction = raw if isinstance(raw, str) else ""
        is_hard = restriction in HARD_RESTRICTIONS
        kind = "no-fly" if is_hard else restriction.replace("_", "-") or "restricted"
        into = hard if is_hard else soft
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            name = f"{kind} zone {len(into) + 1}"
        into.append(NamedZone(name.strip(), to_local(row.geometry), kind))
    return hard, soft


def site_ground(site: Site, req: PlanRequest) -> Ground:
    """The station's ground for a request: its area (checked to lie within the site's patrol
    areas), the site's zones and, unless ``use_station`` is off, the site's station."""
    frame = site.frame
    hard, soft = site_zones(site, frame.to_local)
    station = frame.to_local(site.station) if req.use_station else None
    return Ground(frame, _area(site, req), hard, soft, station, site)
