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
    """What a run measured; `latency_ms` is MO injected -> MT submitted, by percentile."""

    latency_ms: dict[str, float | None] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)  # the first few errors, as repr
    sent: int = 0
    answered: int = 0
    unanswered: int = 0
    errors: int = 0
    duration_s: float = 0.0
    mo_per_s: float = 0.0
    mt_per_s: float = 0.0
    mt_received: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(pct) - 1]


@dataclass
class LoadPlan:
    """What to offer: `count` MOs at `rate`/s from `numbers` handsets numbered from
    `first_number`, texts drawn from `mix`; `protocol` is how they reach the service."""

    rate: float
    count: int
    numbers: int
    mix: list[TrafficItem]
    timeout: float
    first_number: int
    protocol: str


class LoadRun:
    """The handsets of one run: MO posts, the shared MT long-poll, the report they fill."""

    def __init__(
        self,
        plan: LoadPlan,
        client: httpx.AsyncClient,
        mt_client: httpx.AsyncClient,
        rng: random.Random,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.mt_client = mt_client
        self.rng = rng
        self.on_progress = on_progress
        self.report = LoadReport()
        self.latencies: list[float] = []
        self.locks = [asyncio.Lock() for _ in range(plan.numbers)]
        # One shared long-poll feeds every handset: a connection per waiting handset would
        # make the HTTP client, not the system under test, the bottleneck.
        self.arrived: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.wakeups: dict[str, asyncio.Event] = {}
        self.posting = asyncio.Semaphore(MO_CONNECTIONS)
        self.stop = asyncio.Event()

    async def mt_cursor(self) -> int:
        """The MT cursor now: only MT after it can answer this run's MOs."""
        first = await self.client.get("/api/mt", params={"limit": 1, "after": 2**62})
        first.raise_for_status()
        cursor: int = first.json()["cursor"]
        return cursor

    async def offer(self, cursor: int) -> None:
        """Post the MOs at the plan's rate and wait until each is answered or given up."""
        plan = self.plan
        poller = asyncio.create_task(self.poll_mt(cursor))
        start = time.monotonic()
        tasks = []
        for i in range(plan.count):
            delay = start + i / plan.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(i)))
        await asyncio.gather(*tasks)
        self.report.duration_s = round(time.monotonic() - start, 3)
        self.stop.set()
        await poller

    async def poll_mt(self, cursor: int) -> None:
        while not self.stop.is_set():
            r = await self.mt_client.get(
                "/api/mt", params={"after": cursor, "wait": 0.5, "limit": 10_000}
            )
            r.raise_for_status()
            data = r.json()
            for mt in data["mt"]:
                self.arrived[mt["to"]].append(mt)
                event = self.wakeups.get(mt["to"])
                if event is not None:
                    event.set()
            cursor = data["cursor"]

    async def reply_to(self, number: str, after: int) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.plan.timeout
        while True:
            event = self.wakeups[number] = asyncio.Event()
            pending = self.arrived[number]
            match = next((m for m in pending if m["seq"] > after), None)
            if match is not None:
                self.arrived[number] = [m for m in pending if m["seq"] > match["seq"]]
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return None

    async def one(self, i: int) -> None:
        slot = i % self.plan.numbers
        number = str(self.plan.first_number + slot)
        mix = self.plan.mix
        item = self.rng.choices(mix, weights=[m.weight for m in mix])[0]
        async with self.locks[slot]:
            mo = await self.post_mo(number, item)
            if mo is None:
                return
            mt = await self.reply_to(number, mo["mt_cursor"])
            if mt is None:
                self.report.unanswered += 1
            else:
                self.report.answered += 1
                self.latencies.append((mt["t"] - mo["t"]) * 1000.0)

    async def post_mo(self, number: str, item: TrafficItem) -> dict[str, Any] | None:
        """One MO from `number`; None (counted as an error) if the control API refused it."""
        report = self.report
        over = {} if self.plan.protocol == "smpp" else {"protocol": self.plan.protocol}
        try:
            async with self.posting:
                r = await self.client.post(
                    "/api/mo", json={"from": number, "to": item.to, "text": item.text, **over}
                )
            if r.status_code != 200:
                raise RuntimeError(f"POST /api/mo {r.status_code}: {r.text[:200]}")
            mo: dict[str, Any] = r.json()
            report.sent += 1
            return mo
        except (httpx.HTTPError, RuntimeError, ValueError) as exc:
            report.errors += 1
            if len(report.error_samples) < 5:
                report.error_samples.append(repr(exc))
            return None
        finally:
            if self.on_progress:
                self.on_progress(1)

    def finish(self, mt_received: int) -> LoadReport:
        report = self.report
        report.mt_received = mt_received
        duration = max(report.duration_s, 1e-6)
        report.mo_per_s = round(report.sent / duration, 2)
        report.mt_per_s = round(report.mt_received / duration, 2)
        report.latency_ms = {
            f"p{p}": (None if (v := percentile(self.latencies, p)) is None else round(v, 1))
            for p in (50, 95, 99)
        }
        return report


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
    plan = LoadPlan(rate, count, numbers, mix or DEFAULT_MIX, timeout, first_number, protocol)
    # MOs wait for a connection here, not in the client's pool: a long pool queue costs
    # the client more CPU than the requests themselves. Idle connections are dropped
    # before the simulator's 5 s keep-alive ends, so none is reused as it closes.
    limits = httpx.Limits(
        max_connections=MO_CONNECTIONS, max_keepalive_connections=MO_CONNECTIONS,
        keepalive_expiry=2.0,
    )  # fmt: skip
    async with (
        httpx.AsyncClient(
            base_url=url, headers=headers(token), limits=limits, timeout=timeout + 10
        ) as client,
        # The MT long-poll has a client of its own, never queued behind MOs.
        httpx.AsyncClient(base_url=url, headers=headers(token), timeout=timeout + 10) as mt_client,
    ):
        run = LoadRun(plan, client, mt_client, random.Random(seed), on_progress)
        cursor = await run.mt_cursor()
        before = (await client.get("/api/stats")).json()["mt"]["total"]
        await run.offer(cursor)
        after = (await client.get("/api/stats")).json()["mt"]["total"]
    return run.finish(after - before)
