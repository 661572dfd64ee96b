"""The one planning request: its rules, its derivations, and every front end's form of it."""

from __future__ import annotations

import dataclasses

import pytest

from groundstation.api.flight_schemas import PlanCreate
from groundstation.cli.plan import _HEAD, _TAIL
from groundstation.cli.plan_io import OPTION_NAMES
from groundstation.errors import InvalidRequest
from groundstation.patrol.battery import BatteryEstimate
from groundstation.patrol.request import PlanRequest, naming_fields
from routes.sizing import Camera, endurance_from_energy

#: request fields no command-line option sets (the station's own: a drawn polygon, the drone
#: meant to fly it and its learned battery model)
STATION_ONLY = {"polygon", "vehicle_id", "battery"}
#: request fields the API never takes from a client (the learned model is the station's)
NOT_IN_API = {"battery"}


@pytest.mark.parametrize(
    ("given", "field", "api_words", "cli_words"),
    [
        (
            {"swath_width_m": 50, "camera_hfov_deg": 84, "overlap_frac": 0.2},
            "swath_width_m",
            "give either swath_width_m or camera_hfov_deg with overlap_frac, not both",
            "give either --swath-width or --camera-hfov with --overlap, not both",
        ),
        (
            {"camera_hfov_deg": 84},
            "overlap_frac",
            "camera_hfov_deg needs overlap_frac",
            "--camera-hfov needs --overlap",
        ),
        (
            {"overlap_frac": 0.2},
            "camera_hfov_deg",
            "overlap_frac needs camera_hfov_deg",
            "--overlap needs --camera-hfov",
        ),
        (
            {"power_w": 500},
            "battery_wh",
            "battery_wh and power_w go together",
            "--battery-wh and --power-w go together",
        ),
    ],
)
def test_conflicting_fields_are_refused_naming_them_as_the_front_end_does(
    given, field, api_words, cli_words
) -> None:
    """A swath and a camera, half a camera or half a battery is refused when the request is
    made, the field to change in its ``field``: named by the API's field names, or by the
    command line's options."""
    with pytest.raises(InvalidRequest, match=api_words) as err:
        PlanRequest(kind="coverage", altitude_m=60, **given)
    assert err.value.fields["field"] == field
    with naming_fields(OPTION_NAMES), pytest.raises(InvalidRequest, match=cli_words):
        PlanRequest(kind="coverage", altitude_m=60, **given)


def test_the_camera_sets_the_swath_and_photo_spacing_at_the_altitude() -> None:
    """With a camera, the planner's swath and photo spacing are routes.sizing's at the
    request's altitude; with a swath, photos are a swath apart."""
    req = PlanRequest(kind="coverage", altitude_m=80, camera_hfov_deg=84, overlap_frac=0.3)
    params = req.patrol_params()
    camera = Camera(84, 0.3)
    assert params.swath_width_m == camera.swath_m(80)
    assert params.photo_spacing_m == camera.photo_spacing_m(80)
    plain = PlanRequest(kind="coverage", altitude_m=80, swath_width_m=70).patrol_params()
    assert plain.swath_width_m == plain.photo_spacing_m == 70


def test_the_battery_energy_sets_the_endurance_until_a_learned_model_does() -> None:
    """Wh and W give the endurance (not ``endurance_s``); a learned model for the drone
    overrides both; a configured one keeps the request's."""
    req = PlanRequest(kind="shore", altitude_m=60, battery_wh=250, power_w=500, endurance_s=9000)
    assert req.configured_endurance_s == endurance_from_energy(250, 500) == 1800.0
    assert req.patrol_params().battery.endurance_s == 1800.0
    learned = BatteryEstimate(
        source="learned", basis="vehicle v", endurance_s=1800.0, flights=3,
        cruise_pct_per_km=20.0, hover_pct_per_min=5.0,
    )  # fmt: skip
    thirsty = req.with_battery(learned)
    assert thirsty.endurance_used_s == round(learned.endurance_at(req.speed_m_s), 1) < 1800.0
    assert thirsty.patrol_params().battery.endurance_s == thirsty.endurance_used_s
    configured = dataclasses.replace(learned, source="configured")
    assert req.with_battery(configured).endurance_used_s == 1800.0


def test_stored_parameters_give_the_request_back() -> None:
    """A plan's stored parameters make the same request again; unknown ones are refused, a
    retired one (``turn_s``) is read past."""
    req = PlanRequest(
        kind="coverage", altitude_m=80, camera_hfov_deg=84, overlap_frac=0.3, battery_wh=300,
        power_w=600, pattern="parallel", vehicle_id=4,
    )  # fmt: skip
    assert PlanRequest.from_params(req.as_params()) == req
    with pytest.raises(InvalidRequest, match="unknown plan parameters: zoom"):
        PlanRequest.from_params({**req.as_params(), "zoom": 2})
    old = {"kind": "shore", "altitude_m": 60, "endurance_s": 3300, "battery": None}
    assert PlanRequest.from_params(old).pattern == "auto"  # stored before the field existed
    # stored when each sharp turn was priced at turn_s seconds: now timed by the speed profile
    retired = PlanRequest.from_params({**old, "turn_s": 6.0})
    assert retired == PlanRequest.from_params(old)


def test_the_api_body_is_the_request_with_a_name() -> None:
    """PlanCreate has every request field (bar the station's learned model) and a name, with
    the request's defaults, so the API cannot drift from the other front ends again."""
    request_fields = {f.name: f for f in dataclasses.fields(PlanRequest)}
    api_fields = PlanCreate.model_fields
    assert set(api_fields) == set(request_fields) - NOT_IN_API | {"name"}
    for name, f in request_fields.items():
        if name not in NOT_IN_API and f.default is not dataclasses.MISSING:
            assert api_fields[name].default == f.default, name


def test_every_cli_option_names_a_request_field_with_its_default() -> None:
    """Each request field but the station's own is set by a command-line option (named in its
    messages), and the shared options' defaults are the request's."""
    request_fields = {f.name: f for f in dataclasses.fields(PlanRequest)}
    assert set(OPTION_NAMES) == set(request_fields) - STATION_ONLY
    options = {p.name: p.default for p in (*_HEAD, *_TAIL)}
    same = {
        "speed": "speed_m_s", "endurance": "endurance_s", "reserve": "reserve_frac",
        "max_items": "max_items", "accel": "accel_m_s2", "wp_radius": "wp_radius_m",
        "drones": "drones",
        "swath_width": "swath_width_m", "camera_hfov": "camera_hfov_deg",
        "overlap": "overlap_frac", "battery_wh": "battery_wh", "power_w": "power_w",
        "fence_points": "fence_points",
    }  # fmt: skip
    for option, field in same.items():
        assert options[option] == request_fields[field].default, option
    assert options["restricted"].value == request_fields["restricted"].default
    assert options["vehicle"].value == request_fields["vehicle"].default
