"""Parameter protocol: list, read, set, refusals, and changes that take effect."""

from __future__ import annotations

import math

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.autopilot import Autopilot
from simulator.modes import GUIDED
from simulator.params import ParamError, ParamStore
from tests.unit.simulator.gcs import HOME, Gcs, of, one, text_of

M = mavlink2


def test_request_list_sends_every_parameter_once(gcs: Gcs, ap: Autopilot) -> None:
    """PARAM_REQUEST_LIST answers one PARAM_VALUE per parameter with the right count and index."""
    out = of(gcs.send(gcs.mav.param_request_list_encode(1, 1)), "PARAM_VALUE")
    assert len(out) == len(ap.params) > 40
    assert sorted(m.param_index for m in out) == list(range(len(ap.params)))
    assert all(m.param_count == len(ap.params) for m in out)


def test_read_by_name_and_by_index(gcs: Gcs, ap: Autopilot) -> None:
    """PARAM_REQUEST_READ finds a parameter by id or by index."""
    by_name = one(gcs.send(gcs.mav.param_request_read_encode(1, 1, b"RTL_ALT", -1)), "PARAM_VALUE")
    assert by_name.param_value == 1500
    idx = ap.params.index("WPNAV_SPEED")
    by_index = one(gcs.send(gcs.mav.param_request_read_encode(1, 1, b"", idx)), "PARAM_VALUE")
    assert by_index.param_id == "WPNAV_SPEED"


def test_set_changes_value_and_takes_effect(gcs: Gcs, ap: Autopilot) -> None:
    """PARAM_SET WPNAV_SPEED=500 echoes 500 and the vehicle then cruises at 5 m/s."""
    out = gcs.send(gcs.mav.param_set_encode(1, 1, b"WPNAV_SPEED", 500, M.MAV_PARAM_TYPE_REAL32))
    assert one(out, "PARAM_VALUE").param_value == 500
    gcs.set_mode(GUIDED)
    gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10)
    gcs.run(10)
    lat, lon, _ = HOME
    gcs.send(
        gcs.mav.command_int_encode(
            1,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            M.MAV_CMD_DO_REPOSITION,
            0,
            0,
            -1,
            0,
            0,
            0,
            round((lat + 0.003) * 1e7),
            round(lon * 1e7),
            10,
        )
    )
    gcs.run(30)
    assert ap.frame.groundspeed_m_s == pytest.approx(5.0, abs=0.3)


@pytest.mark.parametrize(
    ("name", "value"),
    [(b"SYSID_THISMAV", 7.0), (b"RTL_ALT", math.nan), (b"WPNAV_SPEED", 1e9)],
)
def test_refused_set_echoes_old_value(gcs: Gcs, ap: Autopilot, name: bytes, value: float) -> None:
    """A read-only, non-finite or out-of-range set keeps the value and says why."""
    before = ap.params.get(name.decode())
    out = gcs.send(gcs.mav.param_set_encode(1, 1, name, value, M.MAV_PARAM_TYPE_REAL32))
    assert one(out, "PARAM_VALUE").param_value == before
    assert ap.params.get(name.decode()) == before
    assert of(out, "STATUSTEXT")


def test_unknown_parameter_gets_statustext(gcs: Gcs) -> None:
    """Setting or reading a parameter that does not exist answers a STATUSTEXT, no PARAM_VALUE."""
    out = gcs.send(gcs.mav.param_set_encode(1, 1, b"NO_SUCH_PARAM", 1, M.MAV_PARAM_TYPE_REAL32))
    assert not of(out, "PARAM_VALUE")
    assert "NO_SUCH_PARAM" in text_of(one(out, "STATUSTEXT"))


def test_store_rounds_integer_parameters() -> None:
    """Integer-typed parameters are stored rounded; unknown names raise ParamError."""
    store = ParamStore.defaults(1)
    assert store.set("RTL_ALT", 2000.4) == 2000.0
    with pytest.raises(ParamError, match="unknown parameter"):
        store.set("NOPE", 1)
