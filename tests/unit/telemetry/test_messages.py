"""The live stream's payload models: one vehicle shape, strict JSON, encoded once."""

from __future__ import annotations

import json
import math

import pytest

from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import Position, VehicleState
from groundstation.telemetry.events import alert, vehicle_frame
from groundstation.telemetry.fleet_bridge import frame_of
from groundstation.telemetry.messages import VehicleFrame

STATE = VehicleState(
    sysid=3,
    compid=1,
    position=Position(lat_deg=29.0512, lon_deg=119.1843, alt_msl_m=92.0, alt_rel_m=41.5),
    heading_deg=123.0,
    speed_m_s=9.5,
    battery_pct=67.0,
    mode="AUTO",
    armed=True,
    mission_seq=7,
    link=LinkHealth(status="degraded", last_heard_s=1.5, loss_pct=25.0),
)


def test_live_and_offline_vehicles_have_one_shape():
    """A heard vehicle's frame and a never-heard one's carry the same fields; unknown is null."""
    live = vehicle_frame(frame_of(STATE, vehicle_id=11, name="drone-3")).data
    offline = vehicle_frame(VehicleFrame.offline(4, vehicle_id=12, name="drone-4")).data
    assert set(live) == set(offline) == set(VehicleFrame.model_fields)
    assert offline["link"] == {"status": "offline"}
    assert offline["lat_deg"] is None
    assert offline["mode"] is None
    assert live["link"]["status"] == "degraded"
    assert live["lat_deg"] == 29.0512


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_frame_with_a_value_that_is_not_json_is_refused(bad):
    """NaN or Infinity (which browsers cannot parse) make building the frame fail, as ValueError,
    so the bridge logs and drops it instead of sending it."""
    state = VehicleState(sysid=3, compid=1, battery_pct=bad)
    with pytest.raises(ValueError, match="battery_pct"):
        frame_of(state, vehicle_id=None, name=None)


def test_a_frame_is_encoded_once_as_its_model_dumps_it():
    """The message's data text is the model's JSON, compact, and decodes to the model again."""
    frame = frame_of(STATE, vehicle_id=11, name="drone-3", security=None)
    msg = vehicle_frame(frame)
    assert msg.key == "vehicle:3"
    assert msg.data_text == frame.model_dump_json(exclude_unset=True)
    assert " " not in msg.data_text
    assert VehicleFrame.model_validate_json(msg.data_text) == frame
    assert json.loads(msg.text)["data"] == msg.data


def test_alert_details_beside_the_declared_fields():
    """An alert carries its level and text, the declared fields given, and any other details."""
    data = alert("warning", "drone-3: impossible telemetry dropped", sysid=3, field="lat_deg").data
    assert data == {
        "level": "warning",
        "text": "drone-3: impossible telemetry dropped",
        "sysid": 3,
        "field": "lat_deg",
    }


def test_an_api_model_goes_whole_as_the_http_api_shows_it():
    """A payload that is an API model (not a live-stream one) keeps its defaulted fields."""
    from pydantic import BaseModel

    from groundstation.telemetry.hub import make_message

    class Public(BaseModel):
        id: int
        held: bool = False

    assert make_message("incident.updated", Public(id=3)).data == {"id": 3, "held": False}
