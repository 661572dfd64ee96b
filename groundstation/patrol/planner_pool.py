"""Planning in worker processes, so the station's event loop never waits on it.

Planning is CPU work of seconds to minutes. In threads it shared the interpreter's lock and the
default thread pool with password hashing: eight heavy previews made a login take 65 s and left
1.8 s gaps in the live stream. Here it runs in a bounded pool of processes (pebble's
``ProcessPool``, started with *forkserver*, never *fork* from a process with threads and an event
loop), each worker loading the site once. Each plan has a time limit, after which its worker is
killed and replaced; a plan whose client goes away is cancelled the same way; each user may
have only ``per_user`` plans under way at once (429 beyond); :meth:`PlannerPool.close` stops the
workers at shutdown without waiting for them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pebble import ProcessPool

from groundstation.config import PlanningSettings
from groundstation.errors import InvalidRequest, ServiceError
from routes.errors import PlanningError

if TYPE_CHECKING:
    from geodata.site import Site
    from groundstation.patrol.planning import PlanResult
    from groundstation.patrol.request import PlanRequest

log = logging.getLogger(__name__)

#: how often a waiting request checks that its client is still there
DISCONNECT_POLL_S = 0.5


class PlannerBusy(ServiceError):
    """This user already has as many plans being computed as allowed."""

    status = 429


class PlanningTimedOut(ServiceError):
    """A plan took longer than the time limit and was stopped."""

    status = 503


class PlanningCancelled(ServiceError):
    """The plan's client went away; its worker was stopped (nobody reads the answer)."""

    status = 499  # "client closed request", as nginx logs it


# --- worker side ---------------------------------------------------------------------------------

_SITES: dict[str, Site] = {}


def _site(path: str | None) -> Site:
    from geodata.site import load_site

    key = path or ""
    if key not in _SITES:
        _SITES[key] = load_site(path)
    return _SITES[key]


def _plan_in_worker(site_path: str | None, req: PlanRequest) -> tuple[str, Any]:
    """Run in a worker: ("ok", PlanResult), or ("refused", (error class, message, fields))
    for a refusal (the planner's or the request's), or ("crashed", traceback text) for anything
    else."""
    from groundstation.patrol.planning import make_plan

    try:
        return "ok", make_plan(_site(site_path), req)
    except PlanningError as exc:
        return "refused", (type(exc), exc.reason, _plain(exc.details))
    except ServiceError as exc:
        return "refused", (type(exc), exc.message, _plain(exc.fields))
    except Exception:  # a bug: its traceback crosses to the station's log
        return "crashed", traceback.format_exc()


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of an error that cross to the station as they are (plain values)."""
    return {k: v for k, v in fields.items() if v is None or isinstance(v, str | int | float | bool)}


def _rebuilt(error_type: type[Exception], message: str, fields: dict[str, Any]) -> Exception:
    """A refusal from a worker made again in the station: its class, message and fields (an
    `InvalidRequest` with them when its class cannot be made from them)."""
    for args in ((message,), ()):
        try:
            error = error_type(*args, **fields)
        except TypeError:  # a constructor taking other arguments (NotFound: kind and key)
            continue
        if str(error) == message:
            return error
    return InvalidRequest(message, **fields)


def _warm(site_path: str | None) -> None:
    """Worker initializer: load the site and plan a 200 m square on it, so the first request
    does not pay the planner's imports (scipy, OR-Tools: ~2 s) inside its time limit."""
    import shapely
    from shapely.geometry import box, mapping

    from groundstation.patrol.planning import make_plan
    from groundstation.patrol.request import PlanRequest

    site = _site(site_path)
    try:
        zones = site.layer("patrol_areas", local=True)
        centre = shapely.unary_union(list(zones.geometry)).representative_point()
        square = site.frame.to_wgs84(
            box(centre.x - 100, centre.y - 100, centre.x + 100, centre.y + 100)
        )
        make_plan(site, PlanRequest(kind="coverage", polygon=mapping(square), altitude_m=40,
                                    swath_width_m=50, use_station=False))  # fmt: skip
    except Exception as exc:  # a site this square does not suit: imports are done
        log.debug("planner warm-up plan refused: %s", exc)


def _ready() -> bool:
    return True


# --- station side --------------------------------------------------------------------------------


class PlannerPool:
    """The station's planning workers."""

    def __init__(self, site_path: Path | str | None, settings: PlanningSettings) -> None:
        self.site_path = str(site_path) if site_path is not None else None
        self.settings = settings
        self._pool = ProcessPool(
            max_workers=settings.workers,
            max_tasks=settings.max_tasks_per_worker,
            initializer=_warm,
            initargs=(self.site_path,),
            context=multiprocessing.get_context("forkserver"),
        )
        self._under_way: Counter[object] = Counter()
        self._warming: asyncio.Future[list[bool]] | None = None
        self.timed_out = 0
        self.cancelled = 0

    @contextlib.contextmanager
    def _slot(self, user: object) -> Iterator[None]:
        if user is not None and self._under_way[user] >= self.settings.per_user:
            raise PlannerBusy(
                f"you already have {self._under_way[user]} plan(s) being computed (at most "
                f"{self.settings.per_user} at once); wait for them to finish"
            )
        self._under_way[user] += 1
        try:
            yield
        finally:
            self._under_way[user] -= 1
            if self._under_way[user] <= 0:
                del self._under_way[user]

    async def plan(
        self,
        req: PlanRequest,
        *,
        user: object = None,
        client_gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> PlanResult:
        """Plan `req` in a worker; the refusal the planner gives is raised here as it was.

        Raises :class:`PlannerBusy` (this `user` has too many under way),
        :class:`PlanningTimedOut`, or :class:`PlanningCancelled` when `client_gone` says so.
        """
        with self._slot(user):
            await self.warm()
            future = self._pool.schedule(
                _plan_in_worker, args=(self.site_path, req), timeout=self.settings.time_limit_s
            )
            waiting = asyncio.wrap_future(future)
            try:
                while True:
                    done, _ = await asyncio.wait({waiting}, timeout=DISCONNECT_POLL_S)
                    if done:
                        break
                    if client_gone is not None and await client_gone():
                        self.cancelled += 1
                        raise PlanningCancelled("the client went away")
                outcome, value = waiting.result()
            except concurrent.futures.TimeoutError:
                self.timed_out += 1
                self._pool.schedule(_ready)  # the killed worker's successor warms up first
                raise PlanningTimedOut(
                    f"planning took longer than {self.settings.time_limit_s:g} s and was stopped;"
                    " plan a smaller area or a wider swath"
                ) from None
            finally:
                if future.cancel():  # type: ignore[no-untyped-call]  # stops a running plan
                    # its worker is replaced: load the site in the new one before the next plan,
                    # whose time limit would otherwise include the start-up
                    self._pool.schedule(_ready)
        if outcome == "refused":
            raise _rebuilt(*value)
        if outcome == "crashed":
            log.error("planning failed in a worker:\n%s", value)
            raise RuntimeError("planning failed in a worker (see the station's log)")
        result: PlanResult = value
        return result

    async def warm(self) -> None:
        """Start the workers (each loads the site and plans a small square) if not yet done.

        :meth:`plan` waits for this first, so no plan's time limit includes the start-up; a
        station that never plans never starts a worker.
        """
        if self._warming is None:
            workers = range(self.settings.workers)
            self._warming = asyncio.gather(
                *(asyncio.wrap_future(self._pool.schedule(_ready)) for _ in workers)
            )
        await asyncio.shield(self._warming)

    def close(self) -> None:
        """Stop every worker now (running plans are abandoned)."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=10)


@contextlib.asynccontextmanager
async def planner_pool(
    site_path: Path | str | None, settings: PlanningSettings
) -> AsyncIterator[PlannerPool]:
    """The pool for a service's lifetime (its workers start with the first plan)."""
    pool = PlannerPool(site_path, settings)
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.close)
