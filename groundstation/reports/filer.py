"""Filing a report for every patrol that ends, without a hook in the patrol runner.

:func:`report_hook` is a lifespan hook: it listens to the live hub like a map client does and,
when a patrol reaches ``reported`` (or ends ``failed`` / ``aborted``), computes its summary into
the report row and tells officers (``report_ready``). If the hub drops the listener (overflow),
it subscribes again; a patrol missed meanwhile still gets its report on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.errors import GroundStationError
from groundstation.reports.builder import file_report
from groundstation.reports.labels import fmt
from groundstation.reports.notify import Notifier, ReportSettings
from groundstation.telemetry.hub import ClientClosed, Hub

log = logging.getLogger(__name__)

ENDED = frozenset({"reported", "failed", "aborted"})


class ReportFiler:
    """Files reports for patrols as they end and announces them."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], hub: Hub, notifier: Notifier
    ) -> None:
        self.sessions = sessions
        self.hub = hub
        self.notifier = notifier
        self.filed: list[int] = []
        self._done: dict[int, str] = {}

    async def file(self, patrol_id: int) -> dict[str, Any]:
        """File one patrol's report now and notify."""
        async with self.sessions() as session:
            s = await file_report(session, patrol_id)
        self.filed.append(patrol_id)
        text = (
            f"Report ready: patrol {patrol_id} ({s['state']}), {fmt('distance_m', s['distance_m'])}"
            f", covered {fmt('covered_frac', s['covered_frac'])}, {s['incidents']} incident(s)"
        )
        await self.notifier.notify(
            "report_ready", text, patrol_id=patrol_id, url=f"/api/patrols/{patrol_id}/report"
        )
        return s

    async def run(self) -> None:
        """Listen for patrol ends until cancelled; filing runs beside, so the hub never waits."""
        todo: asyncio.Queue[int] = asyncio.Queue()
        worker = asyncio.create_task(self._work(todo), name="report filing")
        try:
            await self._listen(todo)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self, todo: asyncio.Queue[int]) -> None:
        while True:
            pid = await todo.get()
            try:
                await self.file(pid)
            except GroundStationError as exc:
                log.warning("report for patrol %s not filed: %s", pid, exc)
            finally:
                todo.task_done()

    async def _listen(self, todo: asyncio.Queue[int]) -> None:
        while True:
            client = self.hub.subscribe()
            try:
                while True:
                    msg = await client.get()
                    if msg.type != "patrol.state":
                        continue
                    pid, state = msg.data.get("id"), msg.data.get("state")
                    if isinstance(pid, int) and state in ENDED and self._done.get(pid) != state:
                        self._done[pid] = str(state)
                        todo.put_nowait(pid)
            except ClientClosed as exc:
                if exc.reason == "shutdown":
                    return
                log.warning("report filer dropped by the hub (%s); listening again", exc.reason)
            finally:
                self.hub.unsubscribe(client)


@contextlib.asynccontextmanager
async def report_hook(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan hook: the report filer and the notifier on ``app.state``."""
    rs = ReportSettings()
    notifier = Notifier(app.state.hub, rs.webhook_url, rs.webhook_timeout_s)
    filer = ReportFiler(app.state.sessions, app.state.hub, notifier)
    app.state.notifier, app.state.report_filer = notifier, filer
    task = asyncio.create_task(filer.run(), name="report filer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
