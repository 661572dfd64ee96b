"""Failsafes as in ArduCopter: battery low / critical, GCS heartbeat lost, geofence, GPS lost.

`Failsafes.check(ap)` runs every physics step; a failsafe fires once when its condition starts
(and, for battery, only ever escalates), switching the vehicle to RTL or LAND per the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from simulator.geo import ne_offset_m
from simulator.mission_items import FENCE, MissionItem
from simulator.modes import LAND, NEEDS_POSITION, RTL
from simulator.vehicle_view import VehicleView

M = mavlink2
# action codes -> mode, for BATT_FS_*_ACT, FS_GCS_ENABLE and FENCE_ACTION
BATT_ACTIONS = {1: LAND, 2: RTL, 3: RTL, 4: RTL, 5: LAND}
GCS_ACTIONS = {1: RTL, 3: RTL, 4: RTL, 5: LAND}
FENCE_ACTIONS = {1: RTL, 2: LAND, 3: RTL, 4: RTL}


class FailsafeVehicle(VehicleView, Protocol):
    """What the failsafes watch and do (the simulator's ``Autopilot`` is one): the vehicle's
    state and parameters, and the mode change and STATUSTEXT a failsafe makes."""

    def statustext(self, text: str, severity: int = ...) -> None: ...
    def failsafe_mode(self, number: int, reason: str) -> None: ...


def point_in_polygon(x: float, y: float, poly: Sequence[tuple[float, float]]) -> bool:
    """Ray casting. >>> point_in_polygon(1, 1, [(0, 0), (2, 0), (2, 2), (0, 2)])
    True
    """
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def fence_shapes(
    items: Sequence[MissionItem],
) -> tuple[
    list[list[tuple[float, float]]],
    list[list[tuple[float, float]]],
    list[tuple[float, float, float, bool]],
]:
    """Inclusion polygons, exclusion polygons and circles (lat, lon, radius, inclusion)."""
    inc: list[list[tuple[float, float]]] = []
    exc: list[list[tuple[float, float]]] = []
    circles: list[tuple[float, float, float, bool]] = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.command in (
            M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
        ):
            count = max(3, int(it.param1))
            poly = [(v.lat_deg, v.lon_deg) for v in items[i : i + count]]
            (inc if it.command == M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION else exc).append(
                poly
            )
            i += count
            continue
        if it.command in (
            M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
            M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
        ):
            circles.append(
                (
                    it.lat_deg,
                    it.lon_deg,
                    it.param1,
                    it.command == M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                )
            )
        i += 1
    return inc, exc, circles


class Failsafes:
    def __init__(self) -> None:
        self.battery_level = 0
        self.gcs_last_s: float | None = None
        self.gcs_triggered = False
        self.ekf_triggered = False
        self.fence_breached = False
        self.fence_breach_count = 0
        self.fence_breach_type = M.FENCE_BREACH_NONE
        self.fence_breach_time_s = 0.0

    @property
    def active(self) -> bool:
        return (
            self.battery_level > 0
            or self.gcs_triggered
            or self.ekf_triggered
            or self.fence_breached
        )

    def battery_charge_state(self) -> int:
        return int(
            (
                M.MAV_BATTERY_CHARGE_STATE_OK,
                M.MAV_BATTERY_CHARGE_STATE_LOW,
                M.MAV_BATTERY_CHARGE_STATE_CRITICAL,
            )[self.battery_level]
        )

    def gcs_heartbeat(self, now: float, ap: FailsafeVehicle) -> None:
        self.gcs_last_s = now
        if self.gcs_triggered:
            self.gcs_triggered = False
            ap.statustext("GCS Failsafe Cleared", M.MAV_SEVERITY_CRITICAL)

    def check(self, ap: FailsafeVehicle) -> None:
        flying = ap.armed and not ap.frame.on_ground
        self._battery(ap, flying)
        self._gcs(ap, flying)
        self._fence(ap, flying)
        self._gps(ap, flying)

    def _battery(self, ap: FailsafeVehicle, flying: bool) -> None:
        p, b = ap.params, ap.battery
        level = 0
        crt_mah, low_mah = p.get("BATT_CRT_MAH"), p.get("BATT_LOW_MAH")
        crt_v, low_v = p.get("BATT_CRT_VOLT"), p.get("BATT_LOW_VOLT")
        if (crt_mah > 0 and b.remaining_mah < crt_mah) or (crt_v > 0 and b.voltage_v < crt_v):
            level = 2
        elif (low_mah > 0 and b.remaining_mah < low_mah) or (low_v > 0 and b.voltage_v < low_v):
            level = 1
        if level <= self.battery_level:
            return
        self.battery_level = level
        word = "critical" if level == 2 else "low"
        ap.statustext(
            f"Battery 1 is {word} {b.voltage_v:.2f}V used {b.consumed_mah:.0f} mAh",
            M.MAV_SEVERITY_CRITICAL,
        )
        action = int(p.get("BATT_FS_CRT_ACT" if level == 2 else "BATT_FS_LOW_ACT"))
        if flying and action in BATT_ACTIONS:
            ap.failsafe_mode(BATT_ACTIONS[action], f"Battery {word}")

    def _gcs(self, ap: FailsafeVehicle, flying: bool) -> None:
        enable = int(ap.params.get("FS_GCS_ENABLE"))
        if not enable or self.gcs_last_s is None or self.gcs_triggered or not flying:
            return
        if ap.t - self.gcs_last_s > ap.params.get("FS_GCS_TIMEOUT"):
            self.gcs_triggered = True
            ap.statustext("GCS Failsafe", M.MAV_SEVERITY_CRITICAL)
            if enable == 2 and ap.mode == 3:
                return  # continue the mission in AUTO
            if enable in GCS_ACTIONS:
                ap.failsafe_mode(GCS_ACTIONS[enable], "GCS lost")

    def _fence(self, ap: FailsafeVehicle, flying: bool) -> None:
        p = ap.params
        if not p.get("FENCE_ENABLE"):
            self.fence_breached = False
            return
        kinds = int(p.get("FENCE_TYPE"))
        breach = M.FENCE_BREACH_NONE
        home_lat, home_lon, _ = ap.home
        lat, lon = ap.latlon()
        if kinds & 1 and ap.alt_rel_m > p.get("FENCE_ALT_MAX"):
            breach = M.FENCE_BREACH_MAXALT
        elif (
            kinds & 2
            and math.hypot(*ne_offset_m(home_lat, home_lon, lat, lon)) > p.get("FENCE_RADIUS")
        ) or (kinds & 4 and self._outside_polygons(ap.mission.items[FENCE], lat, lon)):
            breach = M.FENCE_BREACH_BOUNDARY
        if breach == M.FENCE_BREACH_NONE:
            self.fence_breached = False
            return
        if self.fence_breached:
            return
        self.fence_breached = True
        self.fence_breach_count += 1
        self.fence_breach_type = breach
        self.fence_breach_time_s = ap.t
        ap.statustext("Fence breached", M.MAV_SEVERITY_CRITICAL)
        action = int(p.get("FENCE_ACTION"))
        if flying and action in FENCE_ACTIONS and ap.mode not in (RTL, LAND):
            ap.failsafe_mode(FENCE_ACTIONS[action], "Fence breach")

    @staticmethod
    def _outside_polygons(items: Sequence[MissionItem], lat: float, lon: float) -> bool:
        inc, exc, circles = fence_shapes(items)
        if inc and not any(point_in_polygon(lat, lon, poly) for poly in inc):
            return True
        if any(point_in_polygon(lat, lon, poly) for poly in exc):
            return True
        for c_lat, c_lon, radius, inclusion in circles:
            inside = math.hypot(*ne_offset_m(c_lat, c_lon, lat, lon)) <= radius
            if inside != inclusion:
                return True
        return False

    def _gps(self, ap: FailsafeVehicle, flying: bool) -> None:
        if ap.gps.available:
            if self.ekf_triggered:
                self.ekf_triggered = False
                ap.statustext("EKF failsafe cleared", M.MAV_SEVERITY_CRITICAL)
            return
        if self.ekf_triggered or not flying or ap.mode not in NEEDS_POSITION:
            return
        self.ekf_triggered = True
        ap.statustext("EKF failsafe: GPS lost", M.MAV_SEVERITY_CRITICAL)
        if ap.params.get("FS_EKF_ACTION"):
            ap.failsafe_mode(LAND, "EKF failsafe")
