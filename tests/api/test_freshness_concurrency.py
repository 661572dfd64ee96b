"""Many officers opening the freshness map at once: every request is answered."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_32_concurrent_freshness_requests_all_finish(station, officer):
    """32 requests at once on a cold station (grid not built yet) all get their map.

    16 or more at once used to hang until the pool's 30 s timeout: each request held a pooled
    connection while it waited for the freshness lock.
    """
    with ThreadPoolExecutor(32) as pool:
        futures = [
            pool.submit(station.client.get, "/api/freshness", headers=officer) for _ in range(32)
        ]
        statuses = [f.result(timeout=120).status_code for f in futures]
    assert statuses == [200] * 32
