"""The station's background tasks, started in one place and stopped together.

The fleet bridge, the report filer and the freshness refresh each run one endless coroutine
beside the service. :class:`BackgroundTasks` holds them (a reference to every task, ruff's
RUF006), logs a task that dies instead of leaving the error in it unseen until shutdown, and at
exit cancels them all and waits for them, newest first.

It is not an :class:`asyncio.TaskGroup` on purpose: a task group cancels the task that opened it
when a child fails, and that task is the server's lifespan, so a failing report filer would stop
the station. A dead background task is logged; the rest of the station keeps running.

>>> async def main() -> list[str]:
...     async with BackgroundTasks() as tasks:
...         tasks.start(asyncio.sleep(3600), name="sleeper")
...         names = tasks.names()
...     return names + [str(len(tasks.names()))]
>>> asyncio.run(main())
['sleeper', '0']
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)


class BackgroundTasks:
    """An async context manager owning long-running tasks; exiting cancels and awaits them."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run `coro` until the tasks are closed (or it ends by itself)."""
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_log_failure)
        self._tasks.append(task)
        return task

    def names(self) -> list[str]:
        """The names of the tasks still held, oldest first."""
        return [t.get_name() for t in self._tasks]

    async def close(self) -> None:
        """Cancel every task, newest first, and wait for each to end."""
        tasks, self._tasks = self._tasks[::-1], []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _log_failure(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("background task %r failed: %s", task.get_name(), exc, exc_info=exc)
