"""Patrol route planning: pure functions from geometry in metres to routes and mission items.

Stages, each a protocol with swappable strategies (Fields2Cover style), composed by
`routes.coverage.plan_coverage_path` and the planners in `routes.pipeline` (coverage),
`routes.patrols` (shoreline, corridor) and `routes.tour` (hotspot tours):

- decompose (`routes.decompose`): boustrophedon cells, or the whole area;
- swaths (`routes.swaths`, `routes.channel`): parallel passes at a best angle per cell, or loops
  following the shore; `routes.gapfill` covers whatever they leave;
- order (`routes.ordering`): OR-Tools generalised TSP, nearest neighbour, detours, nested loops;
- connect (`routes.connect`): straight where possible, else a visibility graph round holes and
  no-fly zones;
- sorties (`routes.sorties`): battery and mission-memory limits, K drones;
- mission (`routes.mission`) and files (`routes.formats`): MAVLink items, .plan, .waypoints,
  KML, GeoJSON.

No file or socket I/O here; `groundstation.cli.plan` is the command line around it.
"""
