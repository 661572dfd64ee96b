"""The weather and alerts endpoints: a pilot's weather entry, the gate's verdicts, roles;
alerts listed with filters and acknowledged once."""

from __future__ import annotations

from groundstation.app import services_of
from groundstation.db.alerts import raise_alert


def test_a_pilot_enters_the_weather_and_the_gate_says_no(station, pilot, officer):
    """A pilot's entry (gusts 15 m/s for an hour) makes the gate's gusts verdict a no-go;
    an officer may read the weather but not enter it; a too-long validity is refused."""
    c = station.client
    r = c.get("/api/weather", headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["report"] is None
    assert r.json()["verdicts"][0]["ok"] is True
    body = {"gust_m_s": 15.0, "visibility_m": 9000, "valid_for_s": 3600}
    assert c.post("/api/weather", json=body, headers=officer).status_code == 403
    r = c.post("/api/weather", json=body, headers=pilot)
    assert r.status_code == 200, r.text
    verdicts = {v["name"]: v for v in r.json()["verdicts"]}
    assert verdicts["gusts"]["ok"] is False
    assert "entered by pilot1" in verdicts["gusts"]["reason"]
    assert r.json()["report"]["entered_by"] == "pilot1"
    long = {**body, "valid_for_s": 48 * 3600}
    assert c.post("/api/weather", json=long, headers=pilot).status_code == 422


def test_alerts_list_filter_and_acknowledge(station, pilot, officer):
    """Stored alerts are listed by kind and open state; a pilot acknowledges one with a note
    (twice: 409); an officer may list but not acknowledge."""
    services = services_of(station.client.app)

    async def store() -> int:
        async with services.sessions() as session:
            row, _ = await raise_alert(
                session, sysid=4, kind="battery_low", level="warning", text_en="battery low",
                text_zh="电池电量低",
            )  # fmt: skip
            return row.id

    portal = station.client.portal  # the app's own event loop (inside the TestClient block)
    assert portal is not None
    alert_id = portal.call(store)
    c = station.client
    r = c.get("/api/alerts?open=true&kind=battery_low", headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 1
    ack = f"/api/alerts/{alert_id}/acknowledge"
    assert c.post(ack, json={"note": "x"}, headers=officer).status_code == 403
    r = c.post(ack, json={"note": "landed"}, headers=pilot)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == "pilot1"
    assert c.post(ack, json={}, headers=pilot).status_code == 409
    assert c.get("/api/alerts?open=true", headers=pilot).json()["count"] == 0
