"""Simulators a test starts in this process, each with a client on its control API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import httpx

from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread


class Running(Protocol):
    thread: SimulatorThread
    http: httpx.Client


S = TypeVar("S", bound=Running)


@contextmanager
def simulators(
    wrap: Callable[[SimulatorThread, httpx.Client], S],
) -> Iterator[Callable[..., S]]:
    """`start(scenario, **options)` runs a simulator on that scenario document and
    gives it, with its control API client, to `wrap`; all are stopped at the end."""
    started: list[S] = []

    def start(scenario: dict[str, Any], **options: Any) -> S:
        thread = SimulatorThread(from_dict(scenario), **options).start()
        sim = wrap(thread, httpx.Client(base_url=thread.http_url, timeout=15))
        started.append(sim)
        return sim

    try:
        yield start
    finally:
        for sim in started:
            sim.http.close()
            sim.thread.stop()
