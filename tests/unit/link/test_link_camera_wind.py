"""Photos (CAMERA_FEEDBACK, CAMERA_IMAGE_CAPTURED) as fleet events and WIND into the state."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link import CommandTiming, Fleet, FleetEvent, LinkConfig
from groundstation.link.camera import PhotoReports
from groundstation.link.health import LinkHealth
from groundstation.link.testing import FakeAutopilot, FakeVehicleEndpoint
from groundstation.link.vehicle import StateBuilder

MAV = mavlink.MAVLink(None, 1, 1)
RECEIVED = 1_800_000_000.0  # 2027-01-15, the station's clock in these tests
LAT, LON = 29.0512345, 119.1723456


def _feedback(
    index: int,
    time_usec: int = 42_000_000,
    lat: float = LAT,
    lon: float = LON,
    flags: int = mavlink.CAMERA_FEEDBACK_PHOTO,
) -> mavlink.MAVLink_message:
    return MAV.camera_feedback_encode(
        time_usec, 255, 0, index, round(lat * 1e7), round(lon * 1e7), 95.5, 40.0,
        0.0, 0.0, 90.0, 0.0, flags, index + 1,
    )  # fmt: skip


def _captured(index: int, result: int = 1, time_utc: int = 0) -> mavlink.MAVLink_message:
    return MAV.camera_image_captured_encode(
        42_000, time_utc, 0, round(LAT * 1e7), round(LON * 1e7), 95_500, 40_000,
        [1.0, 0.0, 0.0, 0.0], index, result, b"",
    )  # fmt: skip


def test_feedback_gives_index_position_and_station_time():
    """A CAMERA_FEEDBACK with time since boot is a photo at its position, timed on receipt."""
    photo = PhotoReports().photo_of(_feedback(7), RECEIVED)
    assert photo is not None
    assert photo.index == 7
    assert photo.position is not None
    assert photo.position.lat_deg == pytest.approx(LAT)
    assert photo.position.lon_deg == pytest.approx(LON)
    assert photo.position.alt_msl_m == pytest.approx(95.5)
    assert photo.position.alt_rel_m == pytest.approx(40.0)
    assert (photo.at_unix_s, photo.time_source) == (RECEIVED, "station")
    assert photo.time_iso.startswith("2027-01-15T")
    assert photo.time_iso.endswith("+00:00")


def test_feedback_with_utc_time_keeps_the_vehicle_time():
    """A CAMERA_FEEDBACK stamped in µs since 1970 keeps that time, not the receipt time."""
    photo = PhotoReports().photo_of(_feedback(1, time_usec=1_790_000_000_500_000), RECEIVED)
    assert photo is not None
    assert photo.time_source == "vehicle"
    assert photo.at_unix_s == pytest.approx(1_790_000_000.5)


def test_duplicates_video_and_unlocated_photos():
    """A repeated index and video frames are dropped; a shot at 0, 0 has no position."""
    reports = PhotoReports()
    assert reports.photo_of(_feedback(1), RECEIVED) is not None
    assert reports.photo_of(_feedback(1), RECEIVED) is None
    assert reports.photo_of(_feedback(2, flags=mavlink.CAMERA_FEEDBACK_VIDEO), RECEIVED) is None
    unlocated = reports.photo_of(_feedback(3, lat=0.0, lon=0.0), RECEIVED)
    assert unlocated is not None
    assert unlocated.position is None


def test_image_captured_counts_only_without_feedback():
    """CAMERA_IMAGE_CAPTURED is a photo (if it succeeded) until the vehicle sends a feedback."""
    reports = PhotoReports()
    first = reports.photo_of(_captured(0, time_utc=1_790_000_000_000_000), RECEIVED)
    assert first is not None
    assert (first.index, first.message, first.time_source) == (
        0,
        "CAMERA_IMAGE_CAPTURED",
        "vehicle",
    )
    assert first.position is not None
    assert first.position.alt_rel_m == pytest.approx(40.0)
    assert reports.photo_of(_captured(1, result=0), RECEIVED) is None  # failed shot
    assert reports.photo_of(_feedback(2), RECEIVED) is not None
    assert reports.photo_of(_captured(2), RECEIVED) is None  # the same shot, already reported


def test_other_message_is_an_error():
    """A message that reports no photo is refused with its name."""
    with pytest.raises(ValueError, match="HEARTBEAT is not a photo message"):
        PhotoReports().photo_of(MAV.heartbeat_encode(2, 3, 0, 0, 4), RECEIVED)


def test_wind_into_state():
    """WIND sets the wind speed and the direction it comes from, normalised to 0-360."""
    builder = StateBuilder(1, 1)
    assert builder.apply(MAV.wind_encode(-90.0, 6.5, 0.2))
    st = builder.build(LinkHealth())
    assert st.wind_speed_m_s == pytest.approx(6.5)
    assert st.wind_dir_deg == pytest.approx(270.0)
    assert builder.apply(MAV.wind_encode(float("nan"), 3.0, 0.0))
    assert builder.build(LinkHealth()).wind_speed_m_s == pytest.approx(6.5)  # NaN ignored


async def test_fleet_publishes_photos_and_wind_from_a_vehicle():
    """Over UDP: CAMERA_FEEDBACK becomes one 'photo' event per shot, WIND the vehicle's wind."""
    fleet = Fleet(
        [LinkConfig(url="udpin:127.0.0.1:0")],
        lost_after_s=2.0,
        command_timing=CommandTiming(ack_timeout_s=0.2, retries=3, in_progress_timeout_s=1.0),
    )
    ap = FakeAutopilot(4)
    events: list[FleetEvent] = []
    async with fleet, FakeVehicleEndpoint(ap, fleet.links[0].local_address) as ep:
        await fleet.wait_for_vehicles(1, timeout_s=5)
        stream = fleet.events()

        async def collect() -> None:
            async for ev in stream:
                if ev.kind == "photo":
                    events.append(ev)
                    if len(events) == 2:
                        return

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.05)  # the collector is subscribed
        for index in (1, 1, 2):  # the repeated frame is one photo
            ep.send_raw(ap.encoder.encode(_feedback(index)))
            ep.send_raw(ap.encoder.encode(_captured(index)))
        ep.send_raw(ap.encoder.encode(ap.mav.wind_encode(200.0, 4.0, 0.0)))
        async with asyncio.timeout(5):
            await task
        st = await fleet.vehicle(4).wait_for(lambda s: s.wind_speed_m_s is not None, 5)
        with contextlib.suppress(AttributeError):
            await stream.aclose()  # type: ignore[attr-defined]
    assert [(e.sysid, e.seq) for e in events] == [(4, 1), (4, 2)]
    assert all(e.photo is not None and e.photo.message == "CAMERA_FEEDBACK" for e in events)
    assert events[0].photo is not None
    assert events[0].photo.position is not None
    assert events[0].photo.position.lat_deg == pytest.approx(LAT)
    assert st.wind_speed_m_s == pytest.approx(4.0)
    assert st.wind_dir_deg == pytest.approx(200.0)


def test_ardupilots_no_estimate_is_not_a_calm():
    """WIND 0 m/s from -180 (ArduCopter SITL without drag fusion) leaves the wind unknown, so
    the configured wind is used rather than a calm nobody measured."""
    builder = StateBuilder(1, 1)
    assert builder.apply(MAV.wind_encode(-90.0, 6.5, 0.2))
    assert builder.apply(MAV.wind_encode(-180.0, 0.0, 0.0))
    st = builder.build(LinkHealth())
    assert st.wind_speed_m_s is None
    assert st.wind_dir_deg is None
