"""Sortie facts: route waypoints, coverage share, and the resume mission after an interruption."""

from __future__ import annotations

from typing import Any

import pytest

from groundstation.patrol.mission_facts import SortieFacts
from routes.mission import MissionItem

REL = 6


def item(seq: int, command: int, **kw: Any) -> MissionItem:
    return MissionItem(seq, REL, command, x=290500000 + seq * 100, y=1191800000, z=30.0, **kw)


ITEMS = (
    item(0, 16, current=1),
    item(1, 22),
    item(2, 178, param2=10.0),  # DO_CHANGE_SPEED
    item(3, 16),
    item(4, 206, param1=60.0, param3=1),  # camera trigger on
    item(5, 16),
    item(6, 16),
    item(7, 206),  # camera trigger off
    item(8, 16),
    item(9, 20),  # RTL
)
FACTS = SortieFacts(1, 0, ITEMS, (), (), 300.0, 3000.0, 30.0, None, ())


def test_route_waypoints_and_coverage_share():
    """The route's waypoints are the nav items after take-off; the last one ends the route."""
    assert FACTS.route_seqs == [3, 5, 6, 8]
    assert FACTS.last_route_seq == 8
    assert FACTS.covered_frac(5) == 0.5
    assert FACTS.covered_frac(8) == 1.0


def test_resume_mission_replays_speed_and_camera_state_then_flies_on_from_last_reached():
    """Resuming after item 6 replays speed and camera-on before re-flying from waypoint 6."""
    items, origin = FACTS.resume_mission(6)
    assert [i.command for i in items] == [16, 22, 178, 206, 16, 206, 16, 20]
    assert [i.seq for i in items] == list(range(8))
    assert origin == (0, 1, -1, -1, 6, 7, 8, 9)
    assert items[3].param1 == 60.0  # the camera is on again for the rest of the sweep
    assert items[4].x == ITEMS[6].x  # first goes back to the last reached waypoint
    assert [i.current for i in items] == [1, 0, 0, 0, 0, 0, 0, 0]


def test_resume_after_the_sweep_keeps_the_camera_off():
    """After the camera was switched off, a resume replays the off setting, not the on one."""
    items, origin = FACTS.resume_mission(8)
    replayed = [i for i, o in zip(items, origin, strict=True) if o == -1]
    assert [(i.command, i.param1) for i in replayed] == [(178, 0.0), (206, 0.0)]


@pytest.mark.parametrize("last", [0, 9, 12])
def test_resume_outside_the_mission_is_refused(last):
    """There is nothing to resume before take-off or after the last item."""
    with pytest.raises(ValueError, match="cannot resume"):
        FACTS.resume_mission(last)


def test_a_resume_is_costed_by_what_is_left_with_the_way_out_and_back():
    """Resuming after item 6 flies home -> waypoint 6 -> 8 -> home (not the whole sortie, and
    not only the route's share either: the way out to where it stopped counts); its time is that
    at the plan's speed plus the sortie's take-off, landing and turns."""
    from groundstation.patrol.track_recorder import haversine_m

    lat = [29.05 + s * 1e-5 for s in range(10)]
    expected = (
        haversine_m(lat[0], 119.18, lat[6], 119.18)
        + haversine_m(lat[6], 119.18, lat[8], 119.18)
        + haversine_m(lat[8], 119.18, lat[0], 119.18)
    )
    assert FACTS.remaining_length_m(7) == pytest.approx(expected)
    assert FACTS.remaining_length_m(1) == 3000.0
    overhead = 300.0 - 3000.0 / 20.0
    assert FACTS.remaining_duration_s(7, speed_m_s=20.0) == pytest.approx(overhead + expected / 20)
    assert FACTS.remaining_duration_s(1, speed_m_s=20.0) == 300.0
