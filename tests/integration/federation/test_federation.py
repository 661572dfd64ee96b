"""Stations and a centre through a real Mosquitto (TLS, logins, ACL) and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiomqtt
import pytest

from groundstation.federation import mqtt
from groundstation.federation.protocol import Command, Envelope, command_topic, event_topic
from groundstation.federation.store import CentreStore, Stored
from tests.integration.federation.broker import Mosquitto
from tests.integration.federation.helpers import centre_of, running, station, wait_for


def frame(sysid: int, lat: float, lon: float, *, armed: bool = False) -> dict[str, object]:
    return {
        "sysid": sysid, "vehicle_id": sysid, "name": f"drone-{sysid}", "lat_deg": lat,
        "lon_deg": lon, "armed": armed, "battery_pct": 90.0,
    }  # fmt: skip


async def test_acl_refuses_a_station_writing_under_another_prefix(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """A station publishing under another station's prefix is dropped by the broker's ACL;
    its own events reach the centre."""
    centre = centre_of(broker, store)
    async with running(centre):
        forged = Envelope(station="river-b", seq=1, kind="alert", data={"text": "forged"})
        own = Envelope(station="river-a", seq=1, kind="alert", data={"text": "own"})
        async with mqtt.client(
            host="127.0.0.1", port=broker.port, username="river-a",
            password=broker.logins["river-a"], ca_file=broker.ca, client_id="forger",
        ) as client:  # fmt: skip
            await client.publish(event_topic("river-b", "alert"), forged.model_dump_json(), qos=1)
            await client.publish(event_topic("river-a", "alert"), own.model_dump_json(), qos=1)
        await wait_for(lambda: store.events())
        await asyncio.sleep(0.3)  # the forged one was sent first: it would be here by now
        assert [e.id for e in await store.events()] == [own.id]
    assert "Denied PUBLISH from forger" in broker.log()


async def test_outage_every_event_reaches_the_centre_once_in_order(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """Events emitted while the broker is down are queued and reach the centre once, in order,
    after it returns."""
    link, _ = station(broker, "river-a", tmp_path)
    centre = centre_of(broker, store)
    emitted: list[Envelope] = []
    async with running(centre, link):
        emitted += [link.emit("alert", {"n": n}) for n in range(5)]
        await wait_for(lambda: len(link.outbox) == 0)
        broker.stop()
        await wait_for(lambda: not link.connected.is_set() and not centre.connected.is_set())
        emitted += [link.emit("patrol.state", {"n": n}) for n in range(5, 40)]
        emitted += [link.emit("vehicle.frame", frame(1, 29.0, 119.1 + n / 1e4)) for n in range(10)]
        await asyncio.sleep(0.5)
        assert len(link.outbox) == 45  # held while the broker is away
        broker.start()
        await wait_for(lambda: len(link.outbox) == 0)
        wanted = [e.id for e in emitted]
        await wait_for(lambda: _ids_include(store, wanted), timeout_s=30)
    got = [e for e in await store.events("river-a") if e.kind != "station.status"]
    assert [e.id for e in got] == wanted
    assert [e.seq for e in got] == sorted(e.seq for e in got)


async def _ids_include(store: CentreStore, wanted: list[str]) -> bool:
    have = {e.id for e in await store.events()}
    return set(wanted) <= have


async def test_a_duplicate_delivery_is_stored_once(store: CentreStore) -> None:
    """The same envelope stored twice (a resend after a lost PUBACK) is kept once."""
    env = Envelope(station="river-a", seq=7, kind="alert", data={"text": "x"})
    assert await store.store(env) is True
    assert await store.store(env) is False
    assert [e.id for e in await store.events()] == [env.id]


async def test_centre_command_executed_or_refused_by_the_right_station(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """An RTL sent to river-a is carried out there; the same sent to river-b, which has no
    pilot on duty, is refused there; each is audited by its station and at the centre."""
    a, audit_a = station(broker, "river-a", tmp_path)
    b, audit_b = station(broker, "river-b", tmp_path, accept_commands=False)
    centre = centre_of(broker, store)
    async with running(centre, a, b):
        to_a = Command(kind="rtl", sysid=1, issued_by="officer-c")
        to_b = Command(kind="rtl", sysid=2, issued_by="officer-c")
        await centre.send("river-a", to_a)
        await centre.send("river-b", to_b)

        async def answered() -> bool:
            records = [await store.command(c.id) for c in (to_a, to_b)]
            return all(r is not None and r.result is not None for r in records)

        await wait_for(answered)
    rec_a, rec_b = await store.command(to_a.id), await store.command(to_b.id)
    assert rec_a is not None
    assert (rec_a.station, rec_a.result) == ("river-a", "done")
    assert rec_b is not None
    assert (rec_b.station, rec_b.result) == ("river-b", "refused")
    assert rec_b.reason == "no pilot on duty at the station"
    assert [(c.id, ack.result) for c, ack in audit_a.entries] == [(to_a.id, "done")]
    assert [(c.id, ack.result) for c, ack in audit_b.entries] == [(to_b.id, "refused")]


async def test_nearest_free_drone_across_stations(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The centre finds the nearest disarmed drone over every station's frames; a flying one
    is not free."""
    a, _ = station(broker, "river-a", tmp_path)
    b, _ = station(broker, "river-b", tmp_path)
    centre = centre_of(broker, store)
    async with running(centre, a, b):
        last = [
            a.emit("vehicle.frame", frame(1, 29.00, 119.00)),
            a.emit("vehicle.frame", frame(2, 29.10, 119.10, armed=True)),
            b.emit("vehicle.frame", frame(1, 29.20, 119.20)),
        ]
        await wait_for(lambda: _ids_include(store, [e.id for e in last]))
    near_b = await store.nearest_free(29.12, 119.12, limit=3)
    assert [(d.station, d.sysid) for d in near_b] == [("river-b", 1), ("river-a", 1)]
    assert 10_000 < near_b[0].distance_m < 12_500  # 0.08 deg lat and lon at 29 N, about 11.6 km


async def test_a_frame_without_a_position_is_stored_and_never_free(store: CentreStore) -> None:
    """A vehicle with no GPS fix yet (no latitude) is stored but is nobody's nearest drone."""
    no_fix = {**frame(3, 0, 0), "lat_deg": None, "lon_deg": None}
    assert await store.store(Envelope(station="river-a", seq=1, kind="vehicle.frame", data=no_fix))
    assert await store.nearest_free(29.0, 119.0) == []


async def test_commands_wait_for_an_offline_station_and_expire(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """Commands sent while a station is offline wait in its persistent session; on its return
    a fresh one is carried out and a stale one is refused as expired, both audited."""
    link, audit = station(broker, "river-a", tmp_path, command_max_age_s=1.0)
    centre = centre_of(broker, store)
    async with running(centre):
        async with running(link):  # the station's session (and subscription) now exist
            pass
        stale = Command(kind="rtl", sysid=1, issued_by="officer-c")
        await centre.send("river-a", stale)
        await asyncio.sleep(1.5)
        fresh = Command(kind="rtl", sysid=2, issued_by="officer-c")
        await centre.send("river-a", fresh)
        link2, audit2 = station(broker, "river-a", tmp_path, command_max_age_s=1.0)
        async with running(link2):

            async def answered() -> bool:
                records = [await store.command(c.id) for c in (stale, fresh)]
                return all(r is not None and r.result is not None for r in records)

            await wait_for(answered)
    assert audit.entries == []
    results = [(c.id, ack.result, (ack.reason or "")[:7]) for c, ack in audit2.entries]
    assert results == [(stale.id, "refused", "expired"), (fresh.id, "done", "")]


async def test_a_station_reads_only_its_own_commands_and_needs_its_password(
    broker: Mosquitto, store: CentreStore
) -> None:
    """river-a subscribed to river-b's commands gets none of them (river-b does), and a login
    with a wrong password is refused."""

    def login(user: str, client_id: str, password: str | None = None) -> aiomqtt.Client:
        return mqtt.client(
            host="127.0.0.1", port=broker.port, username=user,
            password=password or broker.logins[user], ca_file=broker.ca, client_id=client_id,
        )  # fmt: skip

    with pytest.raises(aiomqtt.MqttError):
        async with login("river-a", "intruder", password="not-the-password"):
            pass
    centre = centre_of(broker, store)
    async with (
        running(centre),
        login("river-a", "snoop") as snoop,
        login("river-b", "owner") as owner,
    ):
        await snoop.subscribe(command_topic("river-b"), qos=1)
        await owner.subscribe(command_topic("river-b"), qos=1)
        command = Command(kind="pause", sysid=1, issued_by="officer-c")
        await centre.send("river-b", command)
        async with asyncio.timeout(10):
            got = await anext(aiomqtt_messages(owner))
        assert Command.model_validate(json.loads(got)["data"]).id == command.id
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await anext(aiomqtt_messages(snoop))


async def aiomqtt_messages(client: aiomqtt.Client) -> AsyncIterator[bytes]:
    async for message in client.messages:
        assert isinstance(message.payload, bytes)
        yield message.payload


class _StuckStore(CentreStore):
    """A store whose first write never finishes (the centre dies before committing)."""

    def __init__(self, real: CentreStore) -> None:
        super().__init__(real.engine)
        self.entered = asyncio.Event()

    async def store_events(self, envs: Sequence[Envelope]) -> list[Stored | None]:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_an_event_the_centre_did_not_commit_is_delivered_again(
    broker: Mosquitto, store: CentreStore, tmp_path: Path
) -> None:
    """The centre acknowledges an event only after storing it: one that dies while storing
    gets the event again when it comes back, and stores it once."""
    link, _ = station(broker, "river-a", tmp_path)
    stuck = _StuckStore(store)
    async with running(centre_of(broker, stuck)):
        async with running(link):
            sent = link.emit("alert", {"level": "info", "text": "once"})
            await wait_for(lambda: len(link.outbox) == 0)  # the broker has it
        await asyncio.wait_for(stuck.entered.wait(), 10)
    # the stuck centre is gone without committing; a healthy one takes its session
    async with running(centre_of(broker, store)):
        await wait_for(lambda: _ids_include(store, [sent.id]))
    got = await store.events("river-a")
    assert [(e.kind, e.seq) for e in got] == [("station.status", 1), ("alert", 2)]
    assert got[-1].id == sent.id
