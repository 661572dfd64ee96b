"""Run-time control of a running simulator: JSON lines over TCP (`--control tcp:127.0.0.1:PORT`).

One JSON object per line in, one per line out: `{"ok": true, ...}` or
`{"ok": false, "error": ...}`.
Operations (times in simulated seconds):

    {"op": "status"}                                       vehicles and current faults
    {"op": "faults", "packet_loss_pct": 10, "latency_ms": 200}
    {"op": "cut_link", "sysid": 2, "seconds": 20}          sysid null: every vehicle
    {"op": "mute", "sysid": 2, "seconds": 20}              vehicle stops answering
    {"op": "gps_loss", "sysid": 1, "seconds": 30}
    {"op": "battery_sag", "sysid": 1, "pct": 40}
    {"op": "param", "sysid": 1, "name": "FS_GCS_ENABLE", "value": 1}
    {"op": "scene", "objects": [{"kind": "boat", "lat": 29.0531, "lon": 119.1818,
     "heading": 40}], "replace": false}               place objects the cameras see
    {"op": "wind", "sysid": null, "speed_m_s": 8, "from_deg": 90, "gust_m_s": 1}   null: all

Try it: `printf '{"op":"status"}\\n' | nc 127.0.0.1 PORT`.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from simulator.camera.scene import SceneError, SceneObject
from simulator.faults import FaultError
from simulator.params import ParamError

if TYPE_CHECKING:
    from simulator.fleet import SimFleet

MAX_LINE = 4096


class ControlError(ValueError):
    """A control request that is malformed or names something that does not exist."""


def handle_request(fleet: SimFleet, line: str) -> dict[str, Any]:
    """Execute one JSON request line and return the JSON-able reply."""
    try:
        req = json.loads(line)
        if not isinstance(req, dict):
            raise ControlError("request must be a JSON object")
        return {"ok": True, **_dispatch(fleet, req)}
    except json.JSONDecodeError as exc:
        return {"ok": False, "error": f"not JSON: {exc.msg} at column {exc.colno}"}
    except (ControlError, FaultError, ParamError, SceneError) as exc:
        return {"ok": False, "error": str(exc)}


def _number(req: dict[str, Any], key: str) -> float:
    value = req.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{key!r} must be a number, got {value!r}")
    return float(value)


def _sysid(req: dict[str, Any], allow_none: bool = False) -> int | None:
    value = req.get("sysid")
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"'sysid' must be an integer, got {value!r}")
    return value


def _dispatch(fleet: SimFleet, req: dict[str, Any]) -> dict[str, Any]:
    op = req.get("op")
    f = fleet.faults
    if op == "status":
        return {
            "vehicles": [v.state.to_json() for v in fleet.vehicles.values()],
            "faults": {"packet_loss_pct": f.packet_loss_pct, "latency_ms": f.latency_ms},
            "bad_frames": fleet.bad_frames,
        }
    if op == "faults":
        loss = _number(req, "packet_loss_pct") if "packet_loss_pct" in req else None
        latency = _number(req, "latency_ms") if "latency_ms" in req else None
        f.set(packet_loss_pct=loss, latency_ms=latency)
        return {}
    if op == "cut_link":
        f.cut_link(_sysid(req, allow_none=True), _number(req, "seconds"))
        return {}
    if op in ("mute", "gps_loss"):
        sysid = _sysid(req)
        assert sysid is not None
        (f.mute if op == "mute" else f.gps_loss)(sysid, _number(req, "seconds"))
        return {}
    if op == "battery_sag":
        sysid = _sysid(req)
        assert sysid is not None
        f.battery_sag(sysid, _number(req, "pct"))
        return {}
    if op == "wind":
        sysid = _sysid(req, allow_none=True)
        if sysid is not None and sysid not in fleet.vehicles:
            raise ControlError(f"no vehicle with system id {sysid}")
        gust = _number(req, "gust_m_s") if "gust_m_s" in req else 0.0
        fleet.set_wind(_number(req, "speed_m_s"), _number(req, "from_deg"), gust, sysid)
        return {}
    if op == "param":
        sysid = _sysid(req)
        if sysid not in fleet.vehicles:
            raise ControlError(f"no vehicle with system id {sysid}")
        name = req.get("name")
        if not isinstance(name, str):
            raise ControlError("'name' must be a parameter name")
        value = fleet.vehicles[sysid].autopilot.params.set(name, _number(req, "value"))
        return {"value": value}
    if op == "scene":
        return _scene(fleet, req)
    raise ControlError(
        f"unknown op {op!r}; one of status, faults, cut_link, mute, gps_loss, battery_sag, "
        "param, scene, wind"
    )


def _scene(fleet: SimFleet, req: dict[str, Any]) -> dict[str, Any]:
    if fleet.cameras is None:
        raise ControlError("no cameras: start the simulator with --camera")
    items = req.get("objects", [])
    if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
        raise ControlError("'objects' must be a list of {kind, lat, lon, heading}")
    objects = [SceneObject.from_json(d) for d in items]
    fleet.cameras.place(objects, replace=bool(req.get("replace", False)))
    return {"objects": len(fleet.cameras.scene.objects)}


async def serve_control(fleet: SimFleet, host: str, port: int) -> asyncio.Server:
    """Start the control server; the caller closes it."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                if len(line) > MAX_LINE:
                    reply: dict[str, Any] = {"ok": False, "error": "line too long"}
                else:
                    reply = handle_request(fleet, line.decode("utf-8", errors="replace"))
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(client, host, port, limit=MAX_LINE * 2)
