"""Hotspot tours: visit points of interest from the station and back, in the least time.

OR-Tools routing orders the visits for K drones (one sortie each, longest one minimised). Each
visit may loiter; the battery (reserve kept) caps every sortie. When the hotspots cannot all be
reached, the lowest priorities are dropped first and the plan says which.

>>> from shapely.geometry import Point
>>> spots = [Hotspot("a", Point(1000, 0), 5, 30), Hotspot("b", Point(0, 1000), 1, 30)]
>>> plan = plan_tour(spots, station=Point(0, 0), params=PatrolParams(altitude_m=50))
>>> sorted(leg.name for leg in plan.sorties[0].route.legs if leg.kind == "loiter")
['a', 'b']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from routes.connect import VisibilityConnector
from routes.constraints import Airspace, geofence
from routes.errors import PlanningError
from routes.flight_time import path_time_s
from routes.pipeline import PatrolParams, Zone, finish, zone_sets
from routes.types import Leg, Plan, Route


@dataclass(frozen=True, slots=True)
class Hotspot:
    """A place to visit: ``priority`` 1 (low) .. 5 (high), ``loiter_s`` seconds on station."""

    name: str
    point: Point
    priority: int = 1
    loiter_s: float = 0.0


def _solve(
    time_s: list[list[int]],
    penalties: list[int],
    vehicles: int,
    limit_s: int,
) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(time_s)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(i: int, j: int) -> int:
        return time_s[int(manager.IndexToNode(i))][int(manager.IndexToNode(j))]

    cb = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    routing.AddDimension(cb, 0, limit_s, True, "time")
    routing.GetDimensionOrDie("time").SetGlobalSpanCostCoefficient(10)
    for node in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(node)], penalties[node])
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    solution = routing.SolveWithParameters(search)
    if solution is None:
        raise PlanningError("no tour found within the battery limit")
    routes: list[list[int]] = []
    for v in range(vehicles):
        idx = routing.Start(v)
        seq: list[int] = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node != 0:
                seq.append(node)
            idx = solution.Value(routing.NextVar(idx))
        routes.append(seq)
    return routes


def plan_tour(
    hotspots: Sequence[Hotspot],
    *,
    station: Point,
    no_fly: Sequence[Zone] = (),
    restricted: Sequence[Zone] = (),
    area: BaseGeometry | None = None,
    params: PatrolParams,
) -> Plan:
    """A tour of ``hotspots`` from ``station`` for ``params.drones`` drones, one sortie each."""
    if not hotspots:
        raise PlanningError("a tour needs at least one hotspot")
    no_visit, nf = zone_sets(no_fly, restricted, params.restricted)
    parts: list[BaseGeometry] = [h.point for h in hotspots] + ([area] if area is not None else [])
    airspace = Airspace(geofence(parts, station, params.fence_margin_m, zones=nf), nf)
    airspace.check_station(station)
    notes: list[str] = []
    spots: list[Hotspot] = []
    for h in hotspots:
        if any(z.covers(h.point) for z in no_visit):
            notes.append(f"dropped {h.name}: inside a no-fly or restricted zone")
        else:
            spots.append(h)
    if not spots:
        raise PlanningError("every hotspot lies inside a no-fly zone")
    connector = VisibilityConnector(airspace.allowed, nav=params.battery.nav)
    battery = params.battery
    nodes = [station] + [h.point for h in spots]
    loiter = [0.0] + [h.loiter_s for h in spots]
    n = len(nodes)
    # seconds from node i to node j, rounded up so a tour never runs over: the flight from
    # a stop to a stop by the autopilot's speed profile (corners round a no-fly zone
    # included), and the loiter at j
    nav = battery.nav
    flight = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            link = connector.link(nodes[i], nodes[j])
            flight[i][j] = flight[j][i] = path_time_s(link, nav)
    time_s = [[math.ceil(flight[i][j] + loiter[j]) for j in range(n)] for i in range(n)]
    limit = int(battery.usable_s)
    # a higher priority always outweighs any saving from dropping lower ones
    penalties = [0] + [10 ** (3 + min(max(h.priority, 1), 5)) * max(limit, 1) for h in spots]
    tours = _solve(time_s, penalties, params.drones, limit)
    visited = {i for t in tours for i in t}
    dropped = [spots[i - 1] for i in range(1, n) if i not in visited]
    for h in sorted(dropped, key=lambda h: h.priority):
        notes.append(f"dropped {h.name} (priority {h.priority}): out of battery range")
    sorties: list[Route] = []
    for tour in tours:
        if not tour:
            continue
        legs: list[Leg] = []
        here = 0
        for node in [*tour, 0]:
            legs.append(Leg(connector.link(nodes[here], nodes[node]), "transit"))
            if node != 0:
                h = spots[node - 1]
                p = (h.point.x, h.point.y)
                legs.append(Leg(LineString([p, p]), "loiter", h.loiter_s, h.name))
            here = node
        sorties.append(Route(tuple(legs)))
    if not sorties:
        raise PlanningError("no hotspot can be reached within the battery limit")
    return finish(
        "tour",
        Route(tuple(leg for r in sorties for leg in r.legs)),
        area=airspace.fence,
        station=station,
        airspace=airspace,
        params=params,
        notes=notes,
        presplit=sorties,
    )
