"""The station's background tasks: one failing is logged and leaves the others running;
closing cancels them all."""

from __future__ import annotations

import asyncio
import logging

from groundstation.tasks import BackgroundTasks


async def test_a_failing_task_is_logged_and_the_others_keep_running(caplog):
    """A task that raises is logged at once with its name; its neighbours are not cancelled."""
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    async def broken() -> None:
        raise RuntimeError("store unreachable")

    with caplog.at_level(logging.ERROR, logger="groundstation.tasks"):
        async with BackgroundTasks() as tasks:
            ticking = tasks.start(ticker(), name="ticker")
            failed = tasks.start(broken(), name="report filer")
            await asyncio.sleep(0.05)
            assert failed.done()
            assert not ticking.done()
            assert "report filer" in caplog.text
            assert "store unreachable" in caplog.text
            before = len(ticks)
            await asyncio.sleep(0.03)
            assert len(ticks) > before
    assert ticking.cancelled()


async def test_close_cancels_newest_first_and_waits():
    """Closing cancels every task, the newest first, and returns once each has ended."""
    order: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            order.append(name)

    tasks = BackgroundTasks()
    started = [tasks.start(forever(n), name=n) for n in ("bridge", "filer", "freshness")]
    await asyncio.sleep(0)
    await tasks.close()
    assert order == ["freshness", "filer", "bridge"]
    assert all(t.cancelled() for t in started)
    assert tasks.names() == []


async def test_a_task_that_ends_by_itself_is_not_an_error(caplog):
    """A task returning normally is not logged, and closing after it is fine."""
    async with BackgroundTasks() as tasks:
        done = tasks.start(asyncio.sleep(0), name="once")
        await done
    assert "once" not in caplog.text
    assert tasks.names() == []
