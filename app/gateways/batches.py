"""Opportunistic batching: items put from many threads, handled by a few workers in lists.

A free worker takes everything waiting, up to `size`, at once. At low load a
batch is a single item and waits for nothing; under load a batch holds what
arrived while the previous one was being written, so the database pays one
transaction per batch instead of one per message (group commit) without a
timer adding latency. (concurrent.futures pools hand out one item per call;
nothing in the standard library or our dependencies drains a queue in lists.)
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("smshall.batches")

T = TypeVar("T")
_STOP = object()


def writers_for(dialect: str, elsewhere: int) -> int:
    """Workers for batches that write to the database.

    SQLite gets one: the process holds a single connection to it
    (`app/store/database.py`) and a second worker would only queue for it, where
    the pool lets the worker that just gave it back take it again first, so
    the other's batch waits several rounds (seconds at the tail).
    """
    return 1 if dialect == "sqlite" else elsewhere


class Batches(Generic[T]):
    def __init__(
        self, handle: Callable[[list[T]], None], *, workers: int, size: int, name: str
    ) -> None:
        if workers < 1 or size < 1:
            raise ValueError("workers and size must be at least 1")
        self.handle = handle
        self.size = size
        self.name = name
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        self._started = False
        self._lock = threading.Lock()
        #: How many batches were handled and how many items they held (their mean size
        #: says how much group commit is saving).
        self.counters = {"batches": 0, "items": 0}

    def start(self) -> Batches[T]:
        with self._lock:
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()
        return self

    def put(self, item: T) -> None:
        self._queue.put(item)

    def stop(self, timeout: float = 10.0) -> None:
        """Handle what is queued already, then end the workers."""
        if not self._started:
            return
        for _ in self._workers:
            self._queue.put(_STOP)
        for worker in self._workers:
            worker.join(timeout)

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[T] = [first]  # type: ignore[list-item]
            stop = False
            while len(batch) < self.size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            with self._lock:
                self.counters["batches"] += 1
                self.counters["items"] += len(batch)
            try:
                self.handle(batch)
            except Exception:  # a worker must outlive any batch
                log.exception("%s: a batch of %d failed", self.name, len(batch))
            if stop:
                return
