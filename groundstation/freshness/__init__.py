"""Coverage freshness: when each cell of the patrol area was last seen by a drone camera.

- :mod:`.grid`: the numpy grid and the footprint sweep (pure, metric CRS);
- :mod:`.ingest`: feeding it from stored track chunks, incrementally, and keeping it on disk;
- :mod:`.geojson`: the grid as merged GeoJSON classes (fresh / stale / never);
- :mod:`.settings`: cell size and camera model from the environment.
"""
