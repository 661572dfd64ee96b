"""Filing a report for every patrol that ends, without a hook in the patrol runner.

:class:`ReportFiler` runs as one of the station's background tasks: every ``poll_s`` seconds it
looks in the store for patrols that reached ``reported`` (or ended ``failed`` / ``aborted``)
since it last looked, computes each one's summary into its report row and tells officers
(``report_ready``: a live alert, and the webhook if one is configured).

It reads the store rather than listening to the live hub, so it is not one more hub client
(a burst of live messages can never drop it) and a patrol that ended while the filer was busy
is still found on the next look.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.models import Patrol, Report
from groundstation.db.types import utcnow
from groundstation.errors import GroundStationError
from groundstation.freshness.grid import DEFAULT_HFOV_DEG
from groundstation.reports.builder import file_report
from groundstation.reports.labels import fmt, kind_figure
from groundstation.reports.notify import Notifier

log = logging.getLogger(__name__)

ENDED = ("reported", "failed", "aborted")


class ReportFiler:
    """Files reports for patrols as they end and announces them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        *,
        since: datetime | None = None,
        poll_s: float = 2.0,
        hfov_deg: float = DEFAULT_HFOV_DEG,
    ) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.poll_s = poll_s
        self.hfov_deg = hfov_deg
        self.watermark = since or utcnow()
        self.filed: list[int] = []

    async def file(self, patrol_id: int) -> dict[str, Any]:
        """File one patrol's report now and notify."""
        async with self.sessions() as session:
            s = await file_report(session, patrol_id, hfov_deg=self.hfov_deg)
        self.filed.append(patrol_id)
        head = f"Report ready: patrol {patrol_id} ({s['state']})"
        parts = [head, fmt("distance_m", s["distance_m"])]
        if figure := kind_figure(s):
            parts.append(figure)
        text = ", ".join([*parts, f"{s['incidents']} incident(s)"])
        await self.notifier.notify(
            "report_ready", text, patrol_id=patrol_id, url=f"/api/patrols/{patrol_id}/report"
        )
        return s

    async def due(self) -> list[int]:
        """Patrols ended since the watermark whose report has no summary yet."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Patrol.id, Patrol.updated_at)
                    .where(Patrol.state.in_(ENDED), Patrol.updated_at >= self.watermark)
                    .order_by(Patrol.updated_at)
                )
            ).all()
            out = []
            for pid, updated in rows:
                report = await session.scalar(select(Report).where(Report.patrol_id == pid))
                if report is None or "summary" not in (report.facts or {}):
                    out.append(pid)
                # a second's overlap: rows committed with the same timestamp are not missed
                self.watermark = max(self.watermark, updated - timedelta(seconds=1))
            return out

    async def run_once(self) -> int:
        """File every due report; returns how many were filed."""
        filed = 0
        for pid in await self.due():
            try:
                await self.file(pid)
                filed += 1
            except GroundStationError as exc:
                log.warning("report for patrol %s not filed: %s", pid, exc)
        return filed

    async def run(self) -> None:
        """Look for ended patrols every ``poll_s`` seconds until cancelled."""
        while True:
            await self.run_once()
            await asyncio.sleep(self.poll_s)
