"""The patrol service's two writes, as a narrow Protocol for the modules it drives.

:class:`PatrolRecorder` is what a runner and recovery both need to say what happened to a
patrol: a state change (checked and stored by the service) and an event (stored, and sent live
when a person should see it). ``service.PatrolService`` is the one implementation; the hosts in
:mod:`groundstation.patrol.runner` and :mod:`groundstation.patrol.recovery` extend this Protocol
so neither imports the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from groundstation.db.models import Patrol, PatrolState
from groundstation.reasons import Reason

if TYPE_CHECKING:
    from groundstation.telemetry.events import AlertLevel


class RecentCommand(NamedTuple):
    """A command someone sent a vehicle: a pilot (``source`` "pilot") or the station itself."""

    command: str
    user: str
    source: str = "pilot"
    full_name: str | None = None


class PatrolRecorder(Protocol):
    """Store a patrol's state changes and events (``service.PatrolService`` is the one)."""

    async def transition(
        self, patrol_id: int, dst: PatrolState, cause: Reason, user_id: int | None = None
    ) -> Patrol: ...

    async def event(
        self,
        patrol_id: int,
        kind: str,
        text: str,
        level: AlertLevel = "info",
        notify: bool = False,
        reason: Reason | None = None,
        **data: Any,
    ) -> None: ...
