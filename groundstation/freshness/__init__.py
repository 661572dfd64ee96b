"""Coverage freshness: when each cell of the patrol area was last seen by a drone camera.

- :mod:`.grid`: the numpy grid and the footprint sweep (pure, metric CRS);
- :mod:`.ingest`: feeding it from stored track chunks, incrementally, and keeping it on disk;
- :mod:`.geojson`: the grid as merged GeoJSON classes (fresh / stale / never);
- :mod:`.settings`: the sweep's camera model from the station's ``freshness`` settings;
- :mod:`.refresh`: the built grid's slot and the background task that keeps it current.
"""
