"""The vehicle monitors as pure functions: one vehicle state in, at most one finding out.

Each rule looks at a :class:`~groundstation.link.vehicle.VehicleState` (and the thresholds of
:class:`~groundstation.safety.config.SafetySettings`) and says whether something is wrong now,
as a :class:`Finding` with a level and the reason in plain English and Chinese (never raw
MAVLink text in the Chinese one). Whether a finding is new, a repeat or cleared is decided by
:class:`~groundstation.safety.watch.VehicleWatch`; storing it by :mod:`groundstation.db.alerts`.

>>> from groundstation.link.vehicle import VehicleState
>>> from groundstation.safety.config import BatteryLimits
>>> low = battery(VehicleState(1, 1, battery_pct=18.0), BatteryLimits())
>>> [(f.kind, f.level) for f in low], low[-1].en
([('battery_low', 'warning'), ('battery_critical', 'critical')], 'battery critical: 18 % left')
>>> battery(VehicleState(1, 1, battery_pct=55.0, voltage_v=50.0), BatteryLimits())
[]
>>> mode_change("AUTO", "RTL", requested=False, texts=["Battery Failsafe: RTL"]).zh
'飞控自动切换到返航（RTL）：电池低电量保护'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from groundstation.link.vehicle import VehicleState
from groundstation.safety.config import BatteryLimits, SafetySettings
from groundstation.safety.margin import Margin

Level = Literal["info", "warning", "critical"]

#: Modes an autopilot switches to by itself on a failsafe (ArduCopter's names).
FAILSAFE_MODES = frozenset({"RTL", "SMART_RTL", "LAND", "BRAKE"})
#: Modes a pilot selects on the transmitter to fly by hand (ArduCopter's names).
PILOT_MODES = frozenset(
    {"STABILIZE", "ALT_HOLD", "LOITER", "POSHOLD", "ACRO", "SPORT", "DRIFT", "FLOWHOLD"}
)

_MODE_ZH = {
    "RTL": "返航（RTL）",
    "SMART_RTL": "智能返航",
    "LAND": "原地降落",
    "BRAKE": "刹车悬停",
    "AUTO": "自动航线",
    "GUIDED": "引导飞行",
    "LOITER": "定点悬停",
    "POSHOLD": "位置保持",
    "ALT_HOLD": "定高",
    "STABILIZE": "自稳",
}

#: Known failsafe causes in STATUSTEXT (lower-case substring -> Chinese reason).
_CAUSES_ZH: tuple[tuple[str, str], ...] = (
    ("battery", "电池低电量保护"),
    ("gcs", "地面站信号丢失保护"),
    ("radio", "遥控信号丢失保护"),
    ("fence", "越出地理围栏"),
    ("ekf", "导航滤波器（EKF）失效"),
    ("gps", "卫星定位失效"),
    ("vibration", "振动过大"),
    ("terrain", "地形数据缺失"),
    ("crash", "检测到坠毁"),
    ("deadreckon", "定位推算失效"),
)

#: SYS_STATUS sensor bits a pilot needs to hear about, with their Chinese names.
_SENSORS_ZH: dict[int, str] = {
    mavlink.MAV_SYS_STATUS_SENSOR_3D_GYRO: "陀螺仪",
    mavlink.MAV_SYS_STATUS_SENSOR_3D_ACCEL: "加速度计",
    mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG: "磁罗盘",
    mavlink.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE: "气压计",
    mavlink.MAV_SYS_STATUS_SENSOR_GPS: "卫星定位",
    mavlink.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS: "电机输出",
    mavlink.MAV_SYS_STATUS_SENSOR_RC_RECEIVER: "遥控接收机",
    mavlink.MAV_SYS_STATUS_AHRS: "姿态解算（EKF）",
    mavlink.MAV_SYS_STATUS_SENSOR_BATTERY: "电池",
    mavlink.MAV_SYS_STATUS_GEOFENCE: "地理围栏",
    mavlink.MAV_SYS_STATUS_LOGGING: "日志记录",
    mavlink.MAV_SYS_STATUS_PREARM_CHECK: "起飞前检查",
}
_SENSORS_EN: dict[int, str] = {
    bit: mavlink.enums["MAV_SYS_STATUS_SENSOR"][bit]
    .name.removeprefix("MAV_SYS_STATUS_")
    .removeprefix("SENSOR_")
    .lower()
    for bit in _SENSORS_ZH
}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong with one vehicle now: a kind (the alert's key), a level, both texts."""

    kind: str
    level: Level
    en: str
    zh: str
    details: Mapping[str, Any] = field(default_factory=dict)


def mode_zh(mode: str) -> str:
    return _MODE_ZH.get(mode, mode)


def cause_zh(texts: Sequence[str]) -> str | None:
    """The Chinese name of the first known failsafe cause in the vehicle's texts.

    >>> cause_zh(["PreArm: ok", "GCS Failsafe: RTL"]), cause_zh(["something else"])
    ('地面站信号丢失保护', None)
    """
    for text in reversed(texts):
        low = text.lower()
        for needle, zh in _CAUSES_ZH:
            if needle in low:
                return zh
    return None


def battery(state: VehicleState, limits: BatteryLimits) -> list[Finding]:
    """Battery low (warning) and critical, by remaining % or by voltage per cell, whichever is
    worse; a critical pack is low too, so the warning stays beside the critical alert."""
    pct, volts = state.battery_pct, state.voltage_v
    cell = volts / limits.cells if volts is not None and volts > 0 else None
    crit = (pct is not None and pct <= limits.critical_pct) or (
        cell is not None and cell <= limits.critical_cell_v
    )
    warn = (pct is not None and pct <= limits.warn_pct) or (
        cell is not None and cell <= limits.warn_cell_v
    )
    if not (crit or warn):
        return []
    details = {"battery_pct": pct, "cell_v": round(cell, 3) if cell is not None else None}
    shown_en = f"{pct:.0f} % left" if pct is not None else f"{cell:.2f} V per cell"
    shown_zh = f"剩余 {pct:.0f}%" if pct is not None else f"单体电压 {cell:.2f} V"
    found = [
        Finding(
            "battery_low", "warning", f"battery low: {shown_en}", f"电池电量低：{shown_zh}", details
        )
    ]
    if crit:
        found.append(Finding(
            "battery_critical", "critical", f"battery critical: {shown_en}",
            f"电池电量严重不足：{shown_zh}", details,
        ))  # fmt: skip
    return found


def mode_change(old: str, new: str, *, requested: bool, texts: Sequence[str]) -> Finding | None:
    """A mode change nobody at the station asked for: a failsafe, the pilot's hands, or other.

    `texts` are the vehicle's latest STATUSTEXTs (its own reason, kept in the English text).
    """
    if requested or old == new or new == "UNKNOWN":
        return None
    reason = "; ".join(texts[-3:])
    details = {"from_mode": old, "to_mode": new, "reason": reason}
    if new in FAILSAFE_MODES:
        cause = cause_zh(texts) or "原因未知"
        return Finding(
            "failsafe",
            "critical",
            f"switched itself to {new} (from {old})" + (f": {reason}" if reason else ""),
            f"飞控自动切换到{mode_zh(new)}：{cause}",
            details,
        )
    if new in PILOT_MODES:
        return Finding(
            "manual_control",
            "warning",
            f"pilot took manual control ({new})",
            f"飞手已接管手动控制（{mode_zh(new)}）",
            details,
        )
    return Finding(
        "mode_change",
        "warning",
        f"mode changed to {new} without a station command (from {old})",
        f"飞行模式未经地面站指令变为{mode_zh(new)}",
        details,
    )


def gps(state: VehicleState, s: SafetySettings) -> Finding | None:
    """GPS fix lost or degraded: fix type, satellites, HDOP."""
    why_en: list[str] = []
    why_zh: list[str] = []
    if state.gps_fix < s.gps_min_fix:
        why_en.append(f"fix type {state.gps_fix}")
        why_zh.append("无三维定位" if state.gps_fix < 3 else f"定位类型 {state.gps_fix}")
    if state.satellites is not None and state.satellites < s.gps_min_satellites:
        why_en.append(f"{state.satellites} satellites")
        why_zh.append(f"卫星数 {state.satellites}")
    if state.hdop is not None and state.hdop > s.gps_max_hdop:
        why_en.append(f"HDOP {state.hdop:.1f}")
        why_zh.append(f"水平精度因子 {state.hdop:.1f}")
    if not why_en:
        return None
    lost = state.gps_fix < 2
    return Finding(
        "gps_degraded",
        "critical" if lost and state.armed else "warning",
        ("GPS fix lost: " if lost else "GPS degraded: ") + ", ".join(why_en),
        ("卫星定位丢失：" if lost else "卫星定位变差：") + "，".join(why_zh),
        {"gps_fix": state.gps_fix, "satellites": state.satellites, "hdop": state.hdop},
    )


def health(state: VehicleState) -> Finding | None:
    """Sensors SYS_STATUS says are present and enabled but not healthy (EKF, compass ...)."""
    bad = [bit for bit in _SENSORS_ZH if state.sensors_unhealthy & bit]
    if not bad:
        return None
    return Finding(
        "sensors_unhealthy",
        "critical" if state.armed else "warning",
        "unhealthy: " + ", ".join(_SENSORS_EN[b] for b in bad),
        "传感器异常：" + "、".join(_SENSORS_ZH[b] for b in bad),
        {"sensors": [_SENSORS_EN[b] for b in bad]},
    )


def altitude(state: VehicleState, limit_m: float) -> Finding | None:
    """Higher above take-off than the legal ceiling (120 m for light drones in China)."""
    pos = state.position
    if pos is None or pos.alt_rel_m <= limit_m:
        return None
    return Finding(
        "altitude_limit",
        "warning",
        f"{pos.alt_rel_m:.0f} m above take-off, over the {limit_m:.0f} m limit",
        f"飞行高度 {pos.alt_rel_m:.0f} 米，超过 {limit_m:.0f} 米限高",
        {"alt_rel_m": round(pos.alt_rel_m, 1), "limit_m": limit_m},
    )


def no_fly(distance_m: float | None, warn_m: float, zone: str = "") -> Finding | None:
    """Close to (or inside: distance <= 0) a hard no-fly zone."""
    if distance_m is None or distance_m > warn_m:
        return None
    details = {"distance_m": round(distance_m, 1), "zone": zone}
    if distance_m <= 0:
        return Finding(
            "no_fly", "critical", f"inside no-fly zone {zone}".rstrip(),
            "已进入禁飞区", details,
        )  # fmt: skip
    return Finding(
        "no_fly",
        "warning",
        f"{distance_m:.0f} m from no-fly zone {zone}".rstrip(),
        f"距离禁飞区仅 {distance_m:.0f} 米",
        details,
    )


def telemetry(state: VehicleState) -> Finding | None:
    """The link's range checks dropped impossible values lately (:mod:`..link.sanity`)."""
    if state.telemetry.status != "bad":
        return None
    field_ = state.telemetry.last_field or "?"
    return Finding(
        "bad_telemetry",
        "warning",
        f"impossible telemetry dropped ({field_}, {state.telemetry.rejected} so far)",
        "收到不可能的遥测数据，已丢弃",
        {"field": field_, "rejected": state.telemetry.rejected},
    )


def link(state: VehicleState) -> Finding | None:
    """The vehicle has gone silent."""
    if state.link.status != "lost":
        return None
    return Finding(
        "link_lost",
        "critical" if state.armed else "warning",
        "link lost",
        "链路丢失",
        {"last_heard_s": state.link.last_heard_s},
    )


def shore_margin(m: Margin, s: SafetySettings, wind_source: str) -> list[Finding]:
    """The reach-the-shore margin under the warning (and the critical) threshold."""
    if m.minutes > s.margin_warn_min:
        return []
    where = m.target.name if m.target else "none"
    where_zh = (
        "起降站" if m.target and m.target.kind == "station" else where.replace("rally", "备降点")
    )
    if math.isinf(m.minutes):
        left_en, left_zh = "no landable point can be reached", "无法到达任何可降落点"
    else:
        left_en = f"{m.minutes:.1f} min left after the return to {where}"
        left_zh = f"返回{where_zh}后仅余 {m.minutes:.1f} 分钟"
    details = {
        "margin_min": None if math.isinf(m.minutes) else round(m.minutes, 2),
        "margin_pct": None if math.isinf(m.margin_pct) else round(m.margin_pct, 2),
        "need_pct": None if math.isinf(m.need_pct) else round(m.need_pct, 2),
        "target": where,
        "wind_source": wind_source,
    }
    found = [Finding("margin_low", "warning", f"shore margin low: {left_en}",
                     f"返航余量不足：{left_zh}", details)]  # fmt: skip
    if m.minutes <= s.margin_critical_min:
        found.append(Finding("margin_critical", "critical", f"shore margin critical: {left_en}",
                             f"返航余量告急：{left_zh}", details))  # fmt: skip
    return found
