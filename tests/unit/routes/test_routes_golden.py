"""Golden coverage path: a fixed shape and width give the path stored in tests/data/routes.

Regenerate after an intended change with ``ECOPATROL_REGEN_GOLDEN=1 pytest <this file>`` and
review the difference (it is GeoJSON in local metres: any GIS shows it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routes.coverage import ChannelCoverage, ParallelCoverage, plan_coverage_path
from tests.geometries import WITH_HOLE

DATA = Path(__file__).parents[2] / "data" / "routes"


def _path_doc(strategy) -> dict[str, Any]:
    route = plan_coverage_path(WITH_HOLE, 100.0, strategies=[strategy]).route
    feats = [
        {
            "type": "Feature",
            "properties": {"seq": i, "kind": leg.kind},
            "geometry": {
                "type": "LineString",
                "coordinates": [[round(x, 2), round(y, 2)] for x, y in leg.line.coords],
            },
        }
        for i, leg in enumerate(route.legs)
    ]
    return {"type": "FeatureCollection", "crs_note": "local metres", "features": feats}


@pytest.mark.parametrize("strategy", [ChannelCoverage(), ParallelCoverage()], ids=lambda s: s.name)
def test_coverage_path_matches_golden(strategy) -> None:
    """The square-with-island path at 100 m swath is the stored one, leg by leg."""
    golden = DATA / f"golden_with_hole_100m_{strategy.name}.geojson"
    doc = _path_doc(strategy)
    if os.environ.get("ECOPATROL_REGEN_GOLDEN"):
        golden.write_text(json.dumps(doc, indent=1) + "\n")
    want = json.loads(golden.read_text())
    assert [f["properties"] for f in doc["features"]] == [f["properties"] for f in want["features"]]
    for got, exp in zip(doc["features"], want["features"], strict=True):
        a, b = (
            np.asarray(got["geometry"]["coordinates"]),
            np.asarray(exp["geometry"]["coordinates"]),
        )
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=0.05)
