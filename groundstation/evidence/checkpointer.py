"""Signing the audit chain's head every ``checkpoint_every_s`` while the station runs.

:class:`Checkpointer` is one of the station's background tasks: every interval it signs the
newest audit row if rows came since the last checkpoint (nothing otherwise), and once more when
the station stops. A chain that no longer verifies since the last checkpoint is not signed: that
is logged and raised as a critical stored alert (``evidence.audit_chain``), once per break.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from groundstation.db.alerts import raise_alert
from groundstation.db.audit import write_checkpoint
from groundstation.db.models import AuditCheckpoint
from groundstation.errors import AuditChainBroken

log = logging.getLogger(__name__)

ALERT_KIND = "evidence.audit_chain"


class Checkpointer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        key: Ed25519PrivateKey,
        every_s: float,
        journal: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.key = key
        self.every_s = every_s
        self.journal = journal
        self._broken: str | None = None

    async def run_once(self) -> AuditCheckpoint | None:
        """Sign the head now if it moved; None if nothing was signed."""
        async with self.sessions() as session:
            try:
                checkpoint = await write_checkpoint(session, self.key, self.journal)
            except AuditChainBroken as exc:
                await session.rollback()
                if str(exc) != self._broken:
                    self._broken = str(exc)
                    log.error("audit chain: %s", exc)
                    await raise_alert(
                        session, sysid=None, kind=ALERT_KIND, level="critical",
                        text_en=f"the audit log was tampered with: {exc}",
                        text_zh=f"审计日志被篡改：{exc}", details=dict(exc.fields),
                    )  # fmt: skip
                return None
        self._broken = None
        return checkpoint

    async def run(self) -> None:
        """Sign every interval, for ever (cancelled at shutdown)."""
        while True:
            await asyncio.sleep(self.every_s)
            await self.run_once()
