"""The page reads the live protocol as the station's models define it: every vehicle field the
page takes (``VEHICLE_FRAME_FIELDS`` in store.js) is in the schema of ``VehicleFrame``, and
messages built from the models (a live frame, an offline drone, a batch, a snapshot) are read
field by field. The page's modules are served to Chromium from the source tree: no station."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from groundstation.api.live_protocol import SERVER_MESSAGE_TYPES, protocol_schema
from groundstation.link.health import LinkHealth
from groundstation.link.vehicle import Position, VehicleState
from groundstation.telemetry.events import vehicle_frame, wire_texts
from groundstation.telemetry.fleet_bridge import frame_of
from groundstation.telemetry.messages import CommandedBy, VehicleFrame

STATIC = Path(__file__).resolve().parents[2] / "groundstation" / "web" / "static"
ORIGIN = "http://page.test"

LIVE = VehicleState(
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


@pytest.fixture(scope="module")
def page(browser):
    """A blank page on a made-up origin whose /static/app/ is the page's source tree."""
    context = browser.new_context()

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><p>t</p>")
        elif path.startswith("/static/app/") and path.endswith(".js"):
            file = STATIC / path.removeprefix("/static/app/")
            route.fulfill(status=200, content_type="text/javascript", body=file.read_text())
        else:
            route.fulfill(status=404, body="")

    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    yield page
    context.close()


def store_js(page, body: str, arg: object = None) -> Any:
    """Evaluate `body` (an expression using the module `m` and `arg`) with store.js loaded."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/app/js/store.js'); return {body}; }}",
        arg,
    )


def schema_node(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with its ``$ref`` followed and a nullable ``anyOf`` reduced to its non-null part."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        (node,) = [n for n in node["anyOf"] if n.get("type") != "null"]
        return schema_node(schema, node)
    return node


def lookup(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted `path` in `data` (None where a part is missing)."""
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_every_vehicle_field_the_page_reads_is_in_the_schema(page):
    """Each path in VEHICLE_FRAME_FIELDS names a property of VehicleFrame in the schema."""
    fields = store_js(page, "m.VEHICLE_FRAME_FIELDS")
    schema = protocol_schema()
    assert fields, "the page lists no vehicle fields"
    for name, path in fields.items():
        node = schema["$defs"]["VehicleFrame"]
        for part in path.split("."):
            node = schema_node(schema, node)
            assert part in node.get("properties", {}), f"{name}: {path} is not in VehicleFrame"
            node = node["properties"][part]


@pytest.mark.parametrize(
    "frame",
    [
        frame_of(LIVE, vehicle_id=11, name="drone-3"),
        VehicleFrame.offline(4, vehicle_id=12, name="drone-4"),
        frame_of(VehicleState(sysid=5, compid=1), vehicle_id=None, name=None),
        frame_of(LIVE, 11, "drone-3", commanded_by=CommandedBy(station="river-b")),
    ],
    ids=["live", "offline", "heard-no-position", "commanded-elsewhere"],
)
def test_a_frame_from_the_models_is_read_field_by_field(page, frame):
    """The page's vehicle is the frame's values, each at the path the page lists for it."""
    data = vehicle_frame(frame).data
    fields, vehicle = store_js(page, "[m.VEHICLE_FRAME_FIELDS, m.vehicleFromFrame(arg)]", data)
    assert vehicle == {name: lookup(data, path) for name, path in fields.items()}
    assert vehicle["sysid"] == frame.sysid
    assert vehicle["linkStatus"] == frame.link.status


def test_snapshot_and_batch_from_the_models_reach_the_store(page):
    """A snapshot (one live vehicle, one offline) then a batch of frames, as the station encodes
    them, leave each vehicle where its latest frame says; the offline one is not 'seen'."""
    moved = VehicleState(
        sysid=3, compid=1, position=Position(29.06, 119.19, 92.0, 41.5), mode="RTL"
    )  # fmt: skip
    live = frame_of(LIVE, vehicle_id=11, name="drone-3")
    offline = VehicleFrame.offline(4, vehicle_id=12, name="drone-4")
    snapshot = {
        "v": 1,
        "type": "snapshot",
        "ts": "2026-12-06T04:00:00+00:00",
        "data": {
            "user": {"id": 1, "username": "pilot1", "role": "pilot"},
            "vehicles": [json.loads(vehicle_frame(f).data_text) for f in (live, offline)],
            "patrols": [],
            "incidents": [],
        },
    }
    frames = [vehicle_frame(frame_of(moved, 11, "drone-3")), vehicle_frame(offline)]
    (batch,) = wire_texts(frames)
    body = """(() => {
        const store = new m.Store();
        store.applyMessage(arg.snapshot);
        const before = store.vehicles.get(3).lat;
        store.applyMessage(JSON.parse(arg.batch));
        const v3 = store.vehicles.get(3), v4 = store.vehicles.get(4);
        return [before, v3.lat, v3.mode, v3.vehicleId, v4.name, v4.linkStatus, v4.seenAt ?? null];
    })()"""
    got = store_js(page, body, {"snapshot": snapshot, "batch": batch})
    assert got == [29.0512, 29.06, "RTL", 11, "drone-4", "offline", None]


def test_the_page_handles_only_message_types_the_protocol_has():
    """Every ``case "type":`` in the store's message switch is a type the station sends."""
    source = (STATIC / "js" / "store.js").read_text()
    switch = source[source.index("applyMessage(msg)") :]
    handled = set(re.findall(r'case "([a-z.]+)":', switch))
    assert handled, "no message types found in store.js"
    assert handled <= SERVER_MESSAGE_TYPES, handled - SERVER_MESSAGE_TYPES
    assert {"snapshot", "vehicle.frame", "vehicle.frames"} <= handled
