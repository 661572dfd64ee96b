"""How short can a coverage path over the winding river be? Model floors, not plans.

Run: ``.venv/bin/python bench/coverage_floor.py``. It prints, for the bench's winding river and
each swath width, the ratio to area / width below which no plan of a given pattern can go under
the covered-fraction rule (area within half a swath of the path, >= 99.5 %):

- turn overhead: on a long straight strip, passes across it a width apart with square turns at
  the banks; the extra length per pass over the strip's width, and the water left uncovered at
  the corners between two turns, for pass ends short of the bank and turns widened sideways
  (what `routes.wavefront` flies), measured with shapely;
- along the channel: a whole number of passes must span each cross-section, ceil(W / w), the
  river being W wide there (the loops of `routes.channel` and any pass that follows the banks);
  the parity of that number, the turns and the joins are left out, so real plans are longer;
- across the channel: each pass costs the width crossed plus the turn overhead above (islands,
  ends and slanted banks left out);
- the better of the two at every cross-section: a plan that could switch pattern for free;
- the same with parity: a path crosses each cross-section of the river an odd number of times
  between the cross-sections of its start and its end and an even number elsewhere, and passes
  across count as one crossing; so passes along come in odd numbers on one stretch and in even
  numbers (at least two) elsewhere, and passes across only fit the odd stretch (the cheapest
  stretch found by dynamic programming over the profile; joins and turns still left out).

Widths W(s) are chords across the river normal to its centre line every 10 m (islands taken out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from routes.gapfill import centerline
from routes.geometry import max_inscribed_radius
from routes.testing import winding_river


def turn_overhead(
    end_frac: float, shift_frac: float, strip_widths: float = 6.0
) -> tuple[float, float]:
    """(extra length per pass, uncovered corner per pass), both in swath widths (w, w²)."""
    h, n = strip_widths, 40
    coords: list[tuple[float, float]] = []
    for k in range(n):
        x = k + 0.5
        # each end moves away from the pass it turns into (k even turns to k + 1 at the top)
        top = x - shift_frac if k % 2 == 0 else x + shift_frac
        bottom = x + shift_frac if k % 2 == 0 else x - shift_frac
        seq = [
            (bottom, end_frac),
            (x, end_frac + 0.5),
            (x, h - end_frac - 0.5),
            (top, h - end_frac),
        ]
        coords += seq if k % 2 == 0 else seq[::-1]
    path = LineString(coords)
    middle = box(5, 0, n - 5, h)
    covered = path.buffer(0.5, quad_segs=16).intersection(middle).area
    length = path.intersection(box(5, -1, n - 5, h + 1)).length / (n - 10)
    return length - h, (middle.area - covered) / (n - 10)


def widths(river: Polygon, step_m: float = 10.0) -> np.ndarray:
    """Water width across the river every ``step_m`` along its centre line."""
    outer = Polygon(river.exterior)
    centre = centerline(outer, 40.0).simplify(5)
    out = []
    for s in np.arange(0.0, centre.length, step_m):
        p = centre.interpolate(s)
        a, b = centre.interpolate(max(s - 1, 0.0)), centre.interpolate(min(s + 1, centre.length))
        t = np.array([b.x - a.x, b.y - a.y])
        t /= np.hypot(*t)
        normal = LineString(
            [(p.x - 2000 * t[1], p.y + 2000 * t[0]), (p.x + 2000 * t[1], p.y - 2000 * t[0])]
        )
        span = [g for g in shapely.get_parts(normal.intersection(outer)) if g.distance(p) < 1e-6]
        if span:
            water = span[0].intersection(river)
            out.append(water.length)
    return np.asarray(out)


def with_parity(lanes: np.ndarray, across: np.ndarray) -> float:
    """Least total cost (in widths per profile step) when passes along come in odd numbers on
    one stretch and even numbers elsewhere, and passes across (``across`` per step) fit only
    the odd stretch; ``lanes`` is the whole number of passes along each step needs."""
    odd = np.where(lanes % 2 == 1, lanes, lanes + 1)
    even = np.maximum(np.where(lanes % 2 == 0, lanes, lanes + 1), 2)
    inside = np.minimum(odd, across)
    # states: before the odd stretch, in it, after it (either may be empty)
    before = in_odd = after = 0.0
    for e, o in zip(even, inside, strict=True):
        before, in_odd, after = (
            before + e,
            min(before, in_odd) + o,
            min(in_odd, after) + e,
        )
    return float(min(before, in_odd, after))


def lanes_floor(
    area: BaseGeometry, centres: Sequence[LineString], width_m: float, step_m: float = 10.0
) -> float:
    """The along-the-channel floor of any shape drawn round centre lines, as a ratio to
    area / width: every ``step_m`` along each centre line, the cross-section (normal to it,
    the water nearer that centre line than any other, split by islands) needs a whole number
    of passes, ceil(chord / width) per piece of water; turns, joins and parity left out.
    One centre line needs no split: its normals' pieces of water are taken whole.

    Unlike `widths` (one chord per cross-section, islands only subtracted) the water on either
    side of an island is its own piece here, and normals fan out on the inside of bends and
    spread on the outside; on the winding river it gives 1.112 / 1.211 (80 / 150 m) where the
    along model below gives 1.086 / 1.173."""
    x0, y0, x1, y1 = area.bounds
    reach = min(math.hypot(x1 - x0, y1 - y0), 4 * max(max_inscribed_radius(area), width_m))
    if len(centres) == 1:
        reach = math.hypot(x1 - x0, y1 - y0)
    total = 0.0
    for k, centre in enumerate(centres):
        others = [c for j, c in enumerate(centres) if j != k]
        for s in np.arange(step_m / 2, centre.length, step_m):
            p = centre.interpolate(s)
            a, b = (
                centre.interpolate(max(s - 1, 0.0)),
                centre.interpolate(min(s + 1, centre.length)),
            )
            t = np.array([b.x - a.x, b.y - a.y])
            t /= np.hypot(*t)
            n = np.array([-t[1], t[0]])
            if not others:
                normal = LineString([(p.x - reach * n[0], p.y - reach * n[1]),
                                     (p.x + reach * n[0], p.y + reach * n[1])])  # fmt: skip
                chords = [g.length for g in shapely.get_parts(normal.intersection(area))]
            else:
                u = np.arange(-reach, reach, 5.0)
                pts = shapely.points(p.x + u * n[0], p.y + u * n[1])
                mine = shapely.contains_xy(area, p.x + u * n[0], p.y + u * n[1])
                d_own = shapely.distance(pts, centre)
                d_other = np.min([shapely.distance(pts, c) for c in others], axis=0)
                mine &= d_own <= d_other
                runs = np.diff(np.concatenate([[0], mine.astype(int), [0]]))
                starts, ends = np.flatnonzero(runs == 1), np.flatnonzero(runs == -1)
                chords = [(e - s0) * 5.0 for s0, e in zip(starts, ends, strict=True)]
            total += sum(math.ceil(c / width_m - 1e-9) for c in chords if c > 1.0) * step_m
    return total * width_m / area.area


def parallel_floor(area: BaseGeometry, width_m: float, step_deg: float = 5.0) -> float:
    """`lanes_floor` for straight passes at the best angle (one straight centre line through
    the shape, every ``step_deg`` degrees): the floor of a lake's back-and-forth passes."""
    c = area.centroid
    reach = 2 * max(area.bounds[2] - area.bounds[0], area.bounds[3] - area.bounds[1])
    best = math.inf
    for deg in np.arange(0.0, 180.0, step_deg):
        r = math.radians(deg)
        dx, dy = reach * math.cos(r), reach * math.sin(r)
        line = LineString([(c.x - dx, c.y - dy), (c.x + dx, c.y + dy)])
        best = min(best, lanes_floor(area, [line], width_m))
    return best


def main() -> None:
    print("turn overhead on a straight strip (pass ends, sideways shift: length per pass, corner)")
    for end, shift in ((0.3, 0.0), (0.35, 0.05), (0.35, 0.1), (0.3, 0.1), (0.4, 0.0)):
        extra, corner = turn_overhead(end, shift)
        print(f"  ends {end:.2f} w from the bank, turns widened {shift:.2f} w: "
              f"+{extra:.2f} w per pass, {corner:.4f} w² uncovered per pass")  # fmt: skip
    river = winding_river()
    w_profile = widths(river)
    lo, hi = np.percentile(w_profile, [5, 95])
    print(f"\nwinding river: {river.area / 1e6:.2f} km², {np.mean(w_profile):.0f} m wide on "
          f"average ({lo:.0f}-{hi:.0f} m, 5-95 %)")  # fmt: skip
    head = ("swath", "along", "across c=0.40", "across c=0.52", "best of both", "with parity")
    print(f"{head[0]:>5} {head[1]:>7} {head[2]:>14} {head[3]:>14} {head[4]:>13} {head[5]:>12}")
    for w in (80.0, 150.0):
        whole = np.sum(w_profile)
        along = np.ceil(w_profile / w) * w
        across = {c: w_profile + c * w for c in (0.40, 0.52)}
        best = np.minimum(along, across[0.40])
        parity = with_parity(np.ceil(w_profile / w), w_profile / w + 0.40) * w
        print(f"{w:5.0f} {along.sum() / whole:7.3f} {across[0.40].sum() / whole:14.3f} "
              f"{across[0.52].sum() / whole:14.3f} {best.sum() / whole:13.3f} "
              f"{parity / whole:12.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
