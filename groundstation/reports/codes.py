"""Codes the store keeps (plan kinds, patrol states, event kinds and levels, incident types and
statuses) as the words a Chinese police report prints: ``中文 / English``, never the raw code.

Wording follows the station page (``web/static/js/i18n.js``) so report and page agree. A code
without a translation is shown as it is (a new code should be added here, not hidden).

>>> label("kind", "tour")
'重点部位巡查 / hotspot tour'
>>> label("incident_status", "open")
'待处理 / open'
>>> event_text("preflight passed")
'飞行前检查通过 / preflight passed'
>>> label("state", "something_new")
'something_new'
"""

from __future__ import annotations

_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {
        "coverage": ("区域覆盖巡查", "area coverage"),
        "shore": ("岸线巡查", "shoreline loop"),
        "corridor": ("河道走廊巡查", "corridor"),
        "tour": ("重点部位巡查", "hotspot tour"),
    },
    "state": {
        "planned": ("已计划", "planned"),
        "preflight": ("飞行前检查", "preflight"),
        "uploading": ("上传航线", "uploading"),
        "launching": ("起飞中", "launching"),
        "flying": ("巡逻中", "flying"),
        "returning": ("返航中", "returning"),
        "landed": ("已降落", "landed"),
        "reported": ("已完成并出报告", "completed, reported"),
        "completed": ("已完成", "completed"),
        "aborted": ("已中止", "aborted"),
        "failed": ("失败", "failed"),
    },
    "level": {
        "info": ("信息", "info"),
        "warning": ("警告", "warning"),
        "critical": ("严重", "critical"),
    },
    "event": {
        "preflight": ("飞行前检查", "preflight check"),
        "link_lost": ("链路中断", "link lost"),
        "link_regained": ("链路恢复", "link regained"),
        "regained": ("链路恢复", "link regained"),
        "returning": ("返航", "returning"),
        "aborted": ("中止", "aborted"),
        "failed": ("失败", "failed"),
        "rtl": ("自动返航", "return to launch"),
        "low_battery": ("电量低", "low battery"),
        "battery_low": ("电量低", "low battery"),
        "battery_return": ("电量不足返航", "battery return"),
        "fence_breach": ("越出电子围栏", "geofence breach"),
        "fence_refit": ("电子围栏调整", "geofence adjusted"),
        "mode_changed": ("飞行模式变更", "flight mode changed"),
        "aborted_item": ("航点中止", "mission item aborted"),
        "failsafe": ("失效保护", "failsafe"),
        "failure": ("故障", "failure"),
        "resume": ("续飞", "resumed"),
        "reattached": ("重新接管", "reattached"),
        "station_restart": ("地面站重启", "ground station restarted"),
        "statustext": ("飞控消息", "autopilot message"),
        "sequence": ("航点进度", "mission progress"),
    },
    "incident_type": {
        "illegal_fishing": ("非法捕捞", "illegal fishing"),
        "illegal_sand_mining": ("非法采砂", "illegal sand mining"),
        "pollution_discharge": ("非法排污", "illegal discharge"),
        "fire_or_smoke": ("火情烟雾", "fire or smoke"),
        "drowning_risk": ("溺水风险", "drowning risk"),
        "illegal_dumping": ("非法倾倒", "illegal dumping"),
        "poaching": ("偷猎", "poaching"),
        "theft": ("盗窃", "theft"),
        "other": ("其他", "other"),
    },
    "incident_status": {
        "open": ("待处理", "open"),
        "assigned": ("已指派", "assigned"),
        "resolved": ("已处置", "resolved"),
    },
}

#: Fixed event texts the station writes, translated (free texts are shown as written).
_TEXTS: dict[str, str] = {
    "preflight passed": "飞行前检查通过",
    "mission started": "任务开始",
}


def label(group: str, code: str) -> str:
    """`code` of `group` (kind, state, level, event, incident_type, incident_status) as
    ``中文 / English``; an unknown code as it is."""
    words = _LABELS.get(group, {}).get(code)
    return f"{words[0]} / {words[1]}" if words else code


def event_text(text: str) -> str:
    """An event's text, with its Chinese first when the station's wording is a fixed one."""
    zh = _TEXTS.get(text.strip().lower())
    return f"{zh} / {text}" if zh else text


def english(group: str, code: str) -> str:
    """`code` of `group` in English words only (for the map's Latin-only title)."""
    words = _LABELS.get(group, {}).get(code)
    return words[1] if words else code
