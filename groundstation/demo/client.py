"""The demo talks to its own station over the public HTTP API, as a pilot or a browser would.

A thin async wrapper over ``httpx``: each call returns the decoded JSON, and a refused call
raises :class:`DemoError` carrying the method, the path, the status and the station's ``detail``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

LOCAL_TZ = "Asia/Shanghai"


class DemoError(RuntimeError):
    """The demo could not do what it needs (a refused API call, a patrol that failed, ...)."""


class StationClient:
    """One signed-in user's view of the station's API."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def login(cls, http: httpx.AsyncClient, username: str, password: str) -> StationClient:
        """Sign in as `username`; :class:`DemoError` if the station refuses."""
        body = await _call(
            http, "POST", "/api/auth/login", json={"username": username, "password": password}
        )
        return cls(http, str(body["access_token"]))

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await _call(self.http, method, path, headers=self.headers, **kwargs)

    async def add_user(self, username: str, password: str, role: str, full_name: str) -> None:
        body = {"username": username, "password": password, "role": role, "full_name": full_name}
        await self._call("POST", "/api/users", json=body)

    async def heard_vehicles(self) -> list[dict[str, Any]]:
        """Systems heard on the link that are not fleet vehicles yet."""
        body = await self._call("GET", "/api/vehicles/heard")
        return list(body["data"])

    async def accept_vehicle(self, sysid: int) -> dict[str, Any]:
        """Make a heard system a fleet vehicle and enrol it for signing (a trusted link)."""
        body = {"enrol": True, "link_trusted": True}
        row: dict[str, Any] = await self._call(
            "POST", f"/api/vehicles/heard/{sysid}/accept", json=body
        )
        return row

    async def update_vehicle(self, vehicle_id: int, fields: dict[str, Any]) -> None:
        await self._call("PATCH", f"/api/vehicles/{vehicle_id}", json=fields)

    async def add_plan(self, body: dict[str, Any]) -> dict[str, Any]:
        plan: dict[str, Any] = await self._call("POST", "/api/plans", json=body)
        return plan

    async def add_schedule(self, plan_id: int, name: str, due: datetime) -> dict[str, Any]:
        """A daily schedule of `plan_id` at `due` (local time), retried for half an hour."""
        local = due.astimezone(ZoneInfo(LOCAL_TZ))
        body = {
            "plan_id": plan_id,
            "name": name,
            "times": [local.strftime("%H:%M:%S")],
            "timezone": LOCAL_TZ,
            "policy": "retry",
            "retry_window_s": 1800,
            "retry_every_s": 10,
        }
        row: dict[str, Any] = await self._call("POST", "/api/schedules", json=body)
        return row

    async def schedule_runs(self) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = await self._call("GET", "/api/schedules/runs")
        return runs

    async def patrols(self) -> list[dict[str, Any]]:
        page = await self._call("GET", "/api/patrols", params={"limit": 50})
        return list(page["data"])

    async def reports(self) -> list[dict[str, Any]]:
        page = await self._call("GET", "/api/reports", params={"limit": 100})
        return list(page["data"])

    async def report_file(self, patrol_id: int, fmt: str) -> bytes:
        """A patrol's report rendered by the station (``html``, ``png``, ``pdf``, ...)."""
        r = await self.http.get(
            f"/api/patrols/{patrol_id}/report", params={"format": fmt}, headers=self.headers
        )
        _check(r)
        return r.content


async def _call(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    try:
        r = await http.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise DemoError(f"{method} {path}: the station did not answer: {exc}") from None
    _check(r)
    if r.status_code == 204:
        return None
    return r.json()


def _check(r: httpx.Response) -> None:
    if r.is_success:
        return
    try:
        detail = r.json().get("detail", r.text)
    except ValueError:
        detail = r.text
    raise DemoError(f"{r.request.method} {r.request.url.path}: {r.status_code} {detail}")
