"""Telling officers: a report is ready, a scheduled patrol was skipped.

Every notice goes to the live stream as an ``alert`` (the map page shows it) and, when
``ECOPATROL_REPORTS__WEBHOOK_URL`` is set, is POSTed there as JSON
(``{"kind", "text", "level", ...details}``) with httpx. A webhook that fails or times out is
logged and counted, never raised: a notice must not stop a patrol or a report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from groundstation.telemetry.events import AlertLevel, alert
from groundstation.telemetry.hub import Hub

log = logging.getLogger(__name__)

NoticeKind = Literal["report_ready", "patrol_skipped", "patrol_delayed"]


@dataclass(eq=False)
class Notifier:
    """Publishes notices on the hub and, optionally, to a webhook."""

    hub: Hub | None
    webhook_url: str | None = None
    timeout_s: float = 5.0
    transport: httpx.AsyncBaseTransport | None = None
    sent: int = 0
    failed: int = 0
    last_error: str = field(default="", repr=False)

    async def notify(
        self, kind: NoticeKind, text: str, level: AlertLevel = "info", **details: Any
    ) -> None:
        """Send one notice (live alert, then webhook if configured)."""
        if self.hub is not None:
            self.hub.publish(alert(level, text, kind=kind, **details))
        if not self.webhook_url:
            return
        body = {"kind": kind, "text": text, "level": level, **details}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as c:
                response = await c.post(self.webhook_url, json=body)
                response.raise_for_status()
            self.sent += 1
        except httpx.HTTPError as exc:
            self.failed += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("webhook %s failed for %s: %s", self.webhook_url, kind, self.last_error)
