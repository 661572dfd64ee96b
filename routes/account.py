"""What a coverage plan made of the area it was asked to cover.

The site's no-fly and restricted zones are taken out of any area before it is planned; the
account says so: the area requested, what each zone removed (named), the area planned, the share
of each the flown path covers, and how far the path flies outside the requested area, split into
transits between the parts of the area (over land, for water), the ways to and from the station,
and the rest (sweeping).

>>> from shapely.geometry import LineString, box
>>> from routes.types import Leg, Route, Sortie
>>> asked = box(0, 0, 1000, 100)
>>> zone = NamedZone("harbour", box(400, -50, 600, 150))
>>> legs = (Leg(LineString([(50, 50), (400, 50)])), Leg(LineString([(400, 50), (400, 200),
...     (600, 200), (600, 50)]), "transit"), Leg(LineString([(600, 50), (950, 50)])))
>>> acc = account_for(asked, asked.difference(zone.shape), [zone], [Sortie(Route(legs))],
...                   width_m=100, station=False, clearance_m=0)
>>> acc.removed[0].name, acc.removed[0].area_m2, acc.planned_m2, round(acc.outside_transit_m)
('harbour', 20000.0, 80000.0, 399)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry

from routes.geometry import covered_fraction, outside_length

if TYPE_CHECKING:
    from routes.types import Sortie

#: when the zones remove more than this share of the requested area, the account says so first
LARGE_REMOVAL_FRAC = 0.05


@dataclass(frozen=True, slots=True)
class NamedZone:
    """A zone kept out of a plan, with the name people know it by and how hard it is."""

    name: str
    shape: BaseGeometry
    restriction: str = "no-fly"


def named(zones: Sequence[BaseGeometry | NamedZone], restriction: str) -> list[NamedZone]:
    """``zones`` as named zones: the unnamed ones called "<restriction> zone N" (from 1)."""
    return [
        z if isinstance(z, NamedZone) else NamedZone(f"{restriction} zone {i + 1}", z, restriction)
        for i, z in enumerate(zones)
    ]


@dataclass(frozen=True, slots=True)
class ZoneCut:
    """The part of the requested area one zone took away (zones may overlap)."""

    name: str
    restriction: str
    area_m2: float


@dataclass(frozen=True, slots=True)
class AreaAccount:
    """The requested area against the planned one, and the flying outside the requested area."""

    requested_m2: float
    removed: tuple[ZoneCut, ...]
    #: what all the zones took together (with the clearance kept round each)
    removed_m2: float
    planned_m2: float
    covered_planned_frac: float
    covered_requested_frac: float
    #: length outside the requested area on transits between its parts
    outside_transit_m: float
    #: ... on the ways from the station to the first pass and back from the last
    outside_station_m: float
    #: ... sweeping, or anything else
    outside_other_m: float

    @property
    def outside_m(self) -> float:
        return self.outside_transit_m + self.outside_station_m + self.outside_other_m

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested_m2": round(self.requested_m2),
            "removed": [
                {"name": z.name, "restriction": z.restriction, "area_m2": round(z.area_m2)}
                for z in self.removed
            ],
            "removed_m2": round(self.removed_m2),
            "planned_m2": round(self.planned_m2),
            "covered_planned_frac": round(self.covered_planned_frac, 5),
            "covered_requested_frac": round(self.covered_requested_frac, 5),
            "outside_requested_m": {
                "transit": round(self.outside_transit_m, 1),
                "station": round(self.outside_station_m, 1),
                "other": round(self.outside_other_m, 1),
            },
        }

    def lines(self) -> list[str]:
        """The account in a few sentences (console, notes, mission file comments)."""
        req = self.requested_m2
        out = []
        if self.removed:
            share = self.removed_m2 / req if req > 0 else 0.0
            lead = "WARNING: " if share > LARGE_REMOVAL_FRAC else ""
            out.append(
                f"{lead}no-fly and restricted zones removed {_km2(self.removed_m2)} "
                f"({share * 100:.1f} %) of the {_km2(req)} requested:"
            )
            out += [f"  {z.name} ({z.restriction}): {_km2(z.area_m2)}" for z in self.removed]
        else:
            out.append(f"requested {_km2(req)}; no no-fly or restricted zone removed any of it")
        out.append(
            f"planned {_km2(self.planned_m2)}: covered {self.covered_planned_frac * 100:.2f} % "
            f"of the planned area, {self.covered_requested_frac * 100:.2f} % of the requested"
        )
        out.append(
            f"outside the requested area: {_km(self.outside_m)} in all, "
            f"{_km(self.outside_transit_m)} in transit between its parts, "
            f"{_km(self.outside_station_m)} to and from the station, "
            f"{_km(self.outside_other_m)} otherwise"
        )
        return out


def _km2(m2: float) -> str:
    return f"{m2 / 1e6:.3f} km²"


def _km(m: float) -> str:
    return f"{m / 1000:.2f} km"


def zone_cuts(
    requested: BaseGeometry, zones: Sequence[NamedZone], clearance_m: float
) -> list[ZoneCut]:
    """What each zone (grown by ``clearance_m``, as the planner keeps off it) takes of
    ``requested``; zones that take nothing are left out."""
    cuts = []
    for z in zones:
        taken = requested.intersection(z.shape.buffer(clearance_m, quad_segs=2)).area
        if taken >= 1.0:
            cuts.append(ZoneCut(z.name, z.restriction, float(taken)))
    return cuts


def account_for(
    requested: BaseGeometry,
    planned: BaseGeometry,
    zones: Sequence[NamedZone],
    sorties: Sequence[Sortie],
    *,
    width_m: float,
    station: bool,
    clearance_m: float = 5.0,
    path: BaseGeometry | None = None,
) -> AreaAccount:
    """The account of ``sorties`` planned over ``planned``, the part of ``requested`` left by
    ``zones``. With a ``station``, each sortie's first and last legs are the ways out and back.
    Coverage is measured on ``path`` (by default the sorties' lines): the planner measures its
    covered fraction on the coverage path, before the ways to and from the station are added."""
    transit = station_m = other = 0.0
    lines = []
    for s in sorties:
        legs = s.route.legs
        for i, leg in enumerate(legs):
            lines.append(leg.line)
            off = outside_length(leg.line, requested, tol_m=0.5)
            if station and i in (0, len(legs) - 1) and leg.kind == "transit":
                station_m += off
            elif leg.kind == "transit":
                transit += off
            else:
                other += off
    if path is None:
        path = MultiLineString(lines)
    return AreaAccount(
        requested_m2=float(requested.area),
        removed=tuple(zone_cuts(requested, zones, clearance_m)),
        removed_m2=float(max(requested.area - planned.area, 0.0)),
        planned_m2=float(planned.area),
        covered_planned_frac=covered_fraction(path, planned, width_m),
        covered_requested_frac=covered_fraction(path, requested, width_m),
        outside_transit_m=transit,
        outside_station_m=station_m,
        outside_other_m=other,
    )
