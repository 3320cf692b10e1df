"""Load generator: MO traffic across many handsets through the control API.

Each handset has at most one MO waiting for its answer, and only an MT newer
than that MO counts, so a reply is matched to the MO that caused it. Latency is measured on the simulator's clock
(MO injected -> MT submitted), which excludes HTTP overhead of this client.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from gateway_sim.control_client import headers
from gateway_sim.scenario import TrafficItem

#: Concurrent MO posts to the control API.
MO_CONNECTIONS = 32

DEFAULT_MIX = [
    TrafficItem("cxye", 4),
    TrafficItem("cxll", 3),
    TrafficItem("iwjzs 2", 2),
    TrafficItem("help", 1),
    TrafficItem("查话费", 1),
]


@dataclass
class LoadReport:
    sent: int = 0
    answered: int = 0
    unanswered: int = 0
    errors: int = 0
    duration_s: float = 0.0
    mo_per_s: float = 0.0
    mt_per_s: float = 0.0
    mt_received: int = 0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(pct) - 1]


async def run_load(
    url: str,
    token: str | None,
    *,
    rate: float,
    count: int,
    numbers: int,
    mix: list[TrafficItem] | None = None,
    timeout: float = 10.0,
    first_number: int = 13900000000,
    seed: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    protocol: str = "smpp",
) -> LoadReport:
    """`protocol` is how the handsets' MOs reach the service: `smpp` or `cmpp`."""
    if rate <= 0 or count <= 0 or numbers <= 0:
        raise ValueError("rate, count and numbers must be positive")
    mix = mix or DEFAULT_MIX
    rng = random.Random(seed)
    report = LoadReport()
    latencies: list[float] = []
    locks = [asyncio.Lock() for _ in range(numbers)]
    # One shared long-poll feeds every handset: a connection per waiting handset would
    # make the HTTP client, not the system under test, the bottleneck.
    arrived: dict[str, list[dict[str, Any]]] = defaultdict(list)
    wakeups: dict[str, asyncio.Event] = {}
    # MOs wait for a connection here, not in the client's pool: a long pool queue costs
    # the client more CPU than the requests themselves. Idle connections are dropped
    # before the simulator's 5 s keep-alive ends, so none is reused as it closes.
    limits = httpx.Limits(
        max_connections=MO_CONNECTIONS, max_keepalive_connections=MO_CONNECTIONS,
        keepalive_expiry=2.0,
    )  # fmt: skip
    posting = asyncio.Semaphore(MO_CONNECTIONS)
    over = {} if protocol == "smpp" else {"protocol": protocol}

    async with (
        httpx.AsyncClient(
            base_url=url, headers=headers(token), limits=limits, timeout=timeout + 10
        ) as client,
        # The MT long-poll has a client of its own, never queued behind MOs.
        httpx.AsyncClient(base_url=url, headers=headers(token), timeout=timeout + 10) as mt_client,
    ):
        first = await client.get("/api/mt", params={"limit": 1, "after": 2**62})
        first.raise_for_status()
        before = (await client.get("/api/stats")).json()["mt"]["total"]
        stop = asyncio.Event()

        async def poll_mt(cursor: int) -> None:
            while not stop.is_set():
                r = await mt_client.get(
                    "/api/mt", params={"after": cursor, "wait": 0.5, "limit": 10_000}
                )
                r.raise_for_status()
                data = r.json()
                for mt in data["mt"]:
                    arrived[mt["to"]].append(mt)
                    event = wakeups.get(mt["to"])
                    if event is not None:
                        event.set()
                cursor = data["cursor"]

        async def reply_to(number: str, after: int) -> dict[str, Any] | None:
            deadline = time.monotonic() + timeout
            while True:
                event = wakeups[number] = asyncio.Event()
                pending = arrived[number]
                match = next((m for m in pending if m["seq"] > after), None)
                if match is not None:
                    arrived[number] = [m for m in pending if m["seq"] > match["seq"]]
                    return match
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    return None

        async def one(i: int) -> None:
            slot = i % numbers
            number = str(first_number + slot)
            item = rng.choices(mix, weights=[m.weight for m in mix])[0]
            async with locks[slot]:
                try:
                    async with posting:
                        r = await client.post(
                            "/api/mo",
                            json={"from": number, "to": item.to, "text": item.text, **over},
                        )
                    if r.status_code != 200:
                        raise RuntimeError(f"POST /api/mo {r.status_code}: {r.text[:200]}")
                    mo = r.json()
                    report.sent += 1
                except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                    report.errors += 1
                    if len(report.error_samples) < 5:
                        report.error_samples.append(repr(exc))
                    return
                finally:
                    if on_progress:
                        on_progress(1)
                mt = await reply_to(number, mo["mt_cursor"])
                if mt is None:
                    report.unanswered += 1
                else:
                    report.answered += 1
                    latencies.append((mt["t"] - mo["t"]) * 1000.0)

        poller = asyncio.create_task(poll_mt(first.json()["cursor"]))
        start = time.monotonic()
        tasks = []
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        report.duration_s = round(time.monotonic() - start, 3)
        stop.set()
        await poller
        after = (await client.get("/api/stats")).json()["mt"]["total"]

    report.mt_received = after - before
    duration = max(report.duration_s, 1e-6)
    report.mo_per_s = round(report.sent / duration, 2)
    report.mt_per_s = round(report.mt_received / duration, 2)
    report.latency_ms = {
        f"p{p}": (None if (v := percentile(latencies, p)) is None else round(v, 1))
        for p in (50, 95, 99)
    }
    return report
