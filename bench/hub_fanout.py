"""Live hub fan-out cost, in process (no sockets): N vehicles at R Hz into M clients, some slow.

    .venv/bin/python bench/hub_fanout.py [--vehicles 100] [--rate 10] [--clients 50]
                                         [--slow 5] [--seconds 5]

Fast clients take every message at once; slow ones sleep 50 ms per message. Prints publish cost,
messages delivered, and publish-to-relay latency p50/p99 for the fast clients. This is the hub's
share of the issue's end-to-end budget (p99 < 100 ms); bench/live.py measures the whole path.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from groundstation.telemetry.hub import ClientClosed, Hub, make_message


async def run(vehicles: int, rate: float, clients: int, slow: int, seconds: float) -> None:
    hub = Hub(queue_size=256, stuck_s=10.0, max_rate_hz=10)
    latencies: list[float] = []
    delivered = [0] * clients

    async def relay(i: int, is_slow: bool) -> None:
        client = hub.subscribe()
        try:
            while True:
                msg = await client.get()
                delivered[i] += 1
                if is_slow:
                    await asyncio.sleep(0.05)
                else:
                    latencies.append(time.perf_counter() - msg.data["t"])
        except ClientClosed:
            pass

    tasks = [asyncio.create_task(relay(i, i < slow)) for i in range(clients)]
    await asyncio.sleep(0)
    period = 1.0 / rate
    publish_s = 0.0
    published = 0
    start = time.perf_counter()
    tick = 0
    while time.perf_counter() - start < seconds:
        for v in range(vehicles):
            t = time.perf_counter()
            msg = make_message(
                "vehicle.frame",
                {"sysid": v + 1, "lat_deg": 29.05, "lon_deg": 119.18, "alt_rel_m": 60.0, "t": t},
                key=f"vehicle:{v + 1}",
            )
            hub.publish(msg)
            publish_s += time.perf_counter() - t
            published += 1
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * period - time.perf_counter()))
    await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted(latencies)

    def p(q: float) -> float:
        """The q-quantile latency in ms (0 with nothing delivered)."""
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0

    fast_rx = sum(delivered[slow:])
    slow_rx = sum(delivered[:slow])
    print(f"vehicles x rate     {vehicles} x {rate:g} Hz for {seconds:g} s")
    print(f"clients             {clients} ({slow} slow)")
    print(f"published           {published} ({published / seconds:.0f}/s)")
    print(f"publish cost        {publish_s / published * 1e6:.1f} us per message (all clients)")
    print(f"delivered fast      {fast_rx} ({fast_rx / seconds:.0f}/s)")
    print(
        f"delivered slow      {slow_rx} (coalesced, {slow_rx / max(slow, 1) / seconds:.1f}/s each)"
    )
    print(f"latency fast p50    {p(0.5):.2f} ms")
    print(f"latency fast p99    {p(0.99):.2f} ms")
    stats = hub.stats
    print(f"dropped             overflow {stats.dropped_overflow}, stuck {stats.dropped_stuck}")
    print(f"mean latency        {statistics.fmean(lat) * 1000 if lat else 0:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--slow", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    a = parser.parse_args()
    asyncio.run(run(a.vehicles, a.rate, a.clients, a.slow, a.seconds))


if __name__ == "__main__":
    main()
