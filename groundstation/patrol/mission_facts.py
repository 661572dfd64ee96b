"""What a patrol needs to know about its sortie, read once from the stored plan.

The mission items (as ``routes`` items, ready for the link), the fence and rally items, the
geofence and no-fly zones in WGS84 (from the plan's GeoJSON), and a few derived numbers: which
items are the route's waypoints, the last one before the return, the sortie's duration.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from groundstation.errors import InvalidRequest
from groundstation.patrol.planning import row_to_item

if TYPE_CHECKING:
    from groundstation.db.models import Plan
    from routes.mission import MissionItem

NAV_WAYPOINT = 16
NAV_LOITER_TIME = 19
NAV_TAKEOFF = 22
ROUTE_COMMANDS = frozenset({NAV_WAYPOINT, NAV_LOITER_TIME})
NAV_LAST = 95  # MAV_CMD_NAV_LAST: commands below it move the vehicle, the others act
#: Do-commands whose effect lasts (speed, camera trigger distance): the last one before the
#: resume point is replayed, or a resumed patrol flies at the wrong speed with its camera off.
STATE_COMMANDS = frozenset({178, 206})  # DO_CHANGE_SPEED, DO_SET_CAM_TRIGG_DIST


@dataclass(frozen=True)
class SortieFacts:
    """One sortie of a plan, as the runner and the preflight checks use it."""

    plan_id: int
    sortie: int
    items: tuple[MissionItem, ...]
    fence_items: tuple[MissionItem, ...]
    rally_items: tuple[MissionItem, ...]
    duration_s: float
    length_m: float
    altitude_m: float
    fence: BaseGeometry | None
    no_fly: tuple[BaseGeometry, ...]
    speed_m_s: float = 10.0

    @classmethod
    def from_plan(cls, plan: Plan, sortie: int) -> SortieFacts:
        sorties: list[dict[str, Any]] = list(plan.mission_items)
        if not 0 <= sortie < len(sorties):
            raise InvalidRequest(f"plan {plan.id} has no sortie {sortie + 1}", field="sortie")
        s = sorties[sortie]
        fence: BaseGeometry | None = None
        no_fly: list[BaseGeometry] = []
        for feature in plan.route.get("features", []):
            role = feature.get("properties", {}).get("role")
            if role == "fence":
                fence = shape(feature["geometry"])
            elif role == "no_fly":
                no_fly.append(shape(feature["geometry"]))
        return cls(
            plan_id=plan.id,
            sortie=sortie,
            items=tuple(row_to_item(r) for r in s["items"]),
            fence_items=tuple(row_to_item(r) for r in s.get("fence", [])),
            rally_items=tuple(row_to_item(r) for r in s.get("rally", [])),
            duration_s=float(s["duration_s"]),
            length_m=float(s["length_m"]),
            altitude_m=float(plan.params.get("altitude_m", 40.0)),
            fence=fence,
            no_fly=tuple(no_fly),
            speed_m_s=float(plan.params.get("speed_m_s") or 10.0),
        )

    @property
    def route_seqs(self) -> list[int]:
        """Sequence numbers of the route's waypoints (and loiters), in order."""
        return [i.seq for i in self.items if i.command in ROUTE_COMMANDS and i.seq > 0]

    @property
    def last_route_seq(self) -> int:
        """The last waypoint before the return: reaching it completes the patrol's route."""
        seqs = self.route_seqs
        return seqs[-1] if seqs else len(self.items) - 1

    def covered_frac(self, last_reached: int) -> float:
        """Share of the route's waypoints reached, given the last reached item."""
        seqs = self.route_seqs
        if not seqs:
            return 0.0
        return sum(1 for s in seqs if s <= last_reached) / len(seqs)

    def waypoints(self, first: int = 1) -> list[tuple[float, float]]:
        """(lon, lat) of home and of every positioned item from `first` on."""
        out = [(self.items[0].lon_deg, self.items[0].lat_deg)] if self.items else []
        for item in self.items[max(1, first) :]:
            if item.command in ROUTE_COMMANDS or item.command == NAV_TAKEOFF:
                out.append((item.lon_deg, item.lat_deg))
        return out

    def outside_fence(self, lon_deg: float, lat_deg: float) -> bool:
        """True if the position lies outside the geofence or inside a no-fly zone."""
        p = Point(lon_deg, lat_deg)
        if self.fence is not None and not self.fence.covers(p):
            return True
        return any(zone.contains(p) for zone in self.no_fly)

    def resume_mission(self, last_reached: int) -> tuple[tuple[MissionItem, ...], tuple[int, ...]]:
        """The mission that flies the rest of the sortie after item `last_reached`.

        Home and take-off, then the state do-commands in force at the interruption (the last
        speed change and camera trigger setting before it), then the original items from the
        last reached waypoint on (flown again from there, so no stretch of the route is
        skipped). Also returns, for every new item, its original sequence number (-1 for the
        replayed ones): what MISSION_ITEM_REACHED reports maps back to the patrol's numbering.
        Setting the vehicle's current item instead would skip those do-commands (the bug of
        QGroundControl's resume, #5393 / #9302).
        """
        if not 1 <= last_reached < len(self.items) - 1:
            raise ValueError(f"cannot resume after item {last_reached} of {len(self.items)}")
        head = [self.items[0]]
        origin = [0]
        takeoff = next((i for i in self.items if i.command == NAV_TAKEOFF), None)
        if takeoff is not None:
            head.append(takeoff)
            origin.append(takeoff.seq)
        state: dict[int, MissionItem] = {}
        for item in self.items[1:last_reached]:
            if item.command in STATE_COMMANDS:
                state[item.command] = item
        for item in sorted(state.values(), key=lambda i: i.seq):
            head.append(item)
            origin.append(-1)
        start = last_reached
        while start > 1 and self.items[start].command >= NAV_LAST:
            start -= 1  # begin at a navigation item
        rest = list(self.items[start:])
        items = [replace(item, seq=n, current=int(n == 0)) for n, item in enumerate(head + rest)]
        return tuple(items), (*origin, *(i.seq for i in rest))

    def remaining_length_m(self, first: int = 1) -> float:
        """Metres a resume from item `first` flies: from home to the last reached waypoint, the
        rest of the route from there, and back home (the whole sortie's length from item 1)."""
        if first <= 1 or not self.items:
            return self.length_m
        from groundstation.patrol.track_recorder import haversine_m

        home = (self.items[0].lat_deg, self.items[0].lon_deg)
        path = [home]
        path += [
            (i.lat_deg, i.lon_deg)
            for i in self.items
            if i.command in ROUTE_COMMANDS and i.seq >= first - 1 and i.seq > 0
        ]
        path.append(home)
        return sum(haversine_m(*a, *b) for a, b in itertools.pairwise(path))

    def remaining_duration_s(self, first: int = 1, speed_m_s: float = 10.0) -> float:
        """Seconds a resume from item `first` lasts (the whole sortie's from item 1).

        The rest's length (:meth:`remaining_length_m`, with the flight out to where it stopped)
        at `speed_m_s`, plus the whole sortie's time not spent cruising (take-off, landing,
        turns, loiters): a resume takes off and lands again.
        """
        if first <= 1:
            return self.duration_s
        overhead = max(0.0, self.duration_s - self.length_m / speed_m_s)
        return overhead + self.remaining_length_m(first) / speed_m_s
