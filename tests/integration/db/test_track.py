"""Track chunk encoding and the track's GeoJSON, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundstation.db.track import (
    TRACK_DTYPE,
    Track,
    TrackPoint,
    decode_points,
    encode_points,
    track_geojson,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def pts(n: int, start: datetime = T0) -> list[TrackPoint]:
    return [
        TrackPoint(start + timedelta(seconds=i), 29.0 + i * 1e-5, 119.1, 50.0 + i, 7.5, 180.0)
        for i in range(n)
    ]


def test_round_trip_keeps_centimetres_and_milliseconds():
    """Positions survive to 1e-7 degree and times to the millisecond."""
    points = [
        TrackPoint(T0 + timedelta(milliseconds=1234), -33.8688197, 151.2092955, 12.5, 3.25, 359.9)
    ]
    t0, t1, blob = encode_points(points)
    out = decode_points(t0, blob)
    assert out.dtype == TRACK_DTYPE
    assert out["lat_deg"][0] == pytest.approx(-33.8688197, abs=1e-7)
    assert out["lon_deg"][0] == pytest.approx(151.2092955, abs=1e-7)
    assert out["time_s"][0] == pytest.approx((T0 + timedelta(milliseconds=1234)).timestamp())
    assert t0 == t1


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([], "at least one point"),
        ([TrackPoint(datetime(2026, 1, 1), 0, 0, 0, 0, 0)], "timezone-aware"),
        ([pts(2)[1], pts(2)[0]], "older than the one before"),
    ],
)
def test_bad_chunks_are_refused(points, message):
    """Empty, naive-time and out-of-order chunks are refused with a clear message."""
    with pytest.raises(ValueError, match=message):
        encode_points(points)


def test_unknown_format_is_refused():
    """A blob with an unknown format byte is refused instead of decoded as garbage."""
    _, _, blob = encode_points(pts(3))
    with pytest.raises(ValueError, match="unknown track chunk format"):
        decode_points(T0, b"\x09" + blob[1:])


def test_geojson_splits_at_gaps():
    """The GeoJSON is a MultiLineString with one line per segment, in lon, lat, alt order."""
    a = decode_points(*encode_points(pts(3))[::2])
    b = decode_points(*encode_points(pts(2, T0 + timedelta(hours=1)))[::2])
    track = Track(points=np.concatenate([a, b]), segment_starts=(0, 3))
    feature = track_geojson(track, {"patrol_id": 4})
    lines = feature["geometry"]["coordinates"]
    assert feature["geometry"]["type"] == "MultiLineString"
    assert [len(line) for line in lines] == [3, 2]
    assert lines[0][0] == pytest.approx([119.1, 29.0, 50.0])
    assert feature["properties"]["patrol_id"] == 4
    assert feature["properties"]["segments"] == 2
    assert feature["properties"]["start"] == T0.isoformat()


def test_empty_track_geojson():
    """An empty track is an empty MultiLineString with zero points."""
    feature = track_geojson(Track(points=np.empty(0, dtype=TRACK_DTYPE), segment_starts=()))
    assert feature["geometry"]["coordinates"] == []
    assert feature["properties"]["points"] == 0
