"""Channel-following swaths: closed loops offset inward from the shore, ``width_m`` apart.

On long winding water (a river, a reservoir arm) loops that follow the banks cover the area with
almost no turning and no transit: the first loop runs ``width_m / 2`` inside every bank and around
every island, the next one a full width further in, until no full loop fits. What is left in the
middle (a strip narrower than a swath) is covered by `routes.gapfill` with a centre-line pass.

>>> from shapely.geometry import box
>>> rings = ContourSwaths().generate(box(0, 0, 1000, 400), 80, 0.0)
>>> [round(r.path.length) for r in rings]
[2480, 1840]
>>> all(r.closed for r in rings)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from shapely.geometry import LineString, Polygon

from routes.corners import smooth_ring
from routes.flight_time import WpNav
from routes.geometry import polygons
from routes.types import Swath


@dataclass(frozen=True, slots=True)
class ContourSwaths:
    """Offset loops (the swath generator for channel-following patrols).

    ``simplify_frac`` of the width is the tolerance used to thin out loop vertices; ``angle_rad``
    is ignored (the loops follow the shore). Loops along a curved shore are then flown with
    few corners (`routes.corners.smooth_ring`, at ``nav``), moved ``smooth_frac`` of the width
    at most and never out of the area. Off by default: at 2 % of the width the bench's loops
    fly faster (winding river at 80 m 238 -> 221 min, islands lake 257 -> 212, valley 117 ->
    95) but the strips a loop leaves where it moved off need gap passes, and where loops meet
    at a junction those are no longer flown as spikes (three arms at 150 m: 12.2 -> 14.1 min).
    """

    simplify_frac: float = 0.01
    min_ring_m: float = 1.0
    smooth_frac: float = 0.0
    nav: WpNav = field(default_factory=WpNav)

    def generate(self, area: Polygon, width_m: float, angle_rad: float) -> list[Swath]:
        if width_m <= 0:
            raise ValueError(f"swath width must be positive, got {width_m}")
        out: list[Swath] = []
        inset = area.buffer(-width_m / 2, quad_segs=4)
        level = 0
        tol = width_m * self.simplify_frac
        shapely.prepare(area)
        while not inset.is_empty:
            for poly in polygons(inset):
                for ring in [poly.exterior, *poly.interiors]:
                    # rings are only flown, never used as polygons: no topology to preserve
                    line = LineString(ring.coords).simplify(tol, preserve_topology=False)
                    if self.smooth_frac > 0 and isinstance(line, LineString) and line.is_ring:
                        tol_m = self.smooth_frac * width_m
                        smooth = smooth_ring(line.coords, self.nav, tol_m=tol_m, legal=area.covers)
                        line = LineString(smooth)
                    if isinstance(line, LineString) and line.length >= self.min_ring_m:
                        out.append(Swath(line, closed=True, group=level, index=len(out)))
            inset = inset.buffer(-width_m, quad_segs=4)
            level += 1
        return out
