"""Waking the senders of a channel when replies are queued for it in any process.

On PostgreSQL a trigger announces every reply queued unclaimed on the channel
`smshall_outbox`, its payload the reply's channel (migration 0013); one listener
per process and database wakes the senders subscribed to that channel. After
the listener (re)connects it wakes them all: something may have been queued
while nobody listened. SQLite has one process, whose senders are woken directly.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy.engine import Engine

from app.store.notifications import Listener, PerEngine

CHANNEL = "smshall_outbox"


class OutboxWakeups:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._wakes: defaultdict[str, list[Callable[[], None]]] = defaultdict(list)
        self._listener: Listener | None = None
        self._listening = False

    @property
    def listening(self) -> bool:
        """Whether notifications reach this process now (PostgreSQL)."""
        return self._listening

    def subscribe(self, channel: str, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` when replies of `channel` are queued; returns the unsubscribe."""
        with self._lock:
            self._wakes[channel].append(wake)
            if self._listener is None and self._engine.dialect.name == "postgresql":
                self._listener = Listener(
                    self._engine, CHANNEL, self._queued, self._wake_all, self._lost
                )
                self._listener.start()

        def unsubscribe() -> None:
            with self._lock:
                if wake in self._wakes[channel]:
                    self._wakes[channel].remove(wake)
                if self._listener is not None and not any(self._wakes.values()):
                    self._listener.stop()  # the last sender stopped: nobody to wake
                    self._listener = None

        return unsubscribe

    def _queued(self, channel: str) -> None:
        with self._lock:
            wakes = list(self._wakes.get(channel, ()))
        for wake in wakes:
            wake()

    def _lost(self) -> None:
        self._listening = False

    def _wake_all(self) -> None:
        self._listening = True
        with self._lock:
            wakes = [w for ws in self._wakes.values() for w in ws]
        for wake in wakes:
            wake()


#: The process's wake-ups for an engine's database (one listener per engine).
outbox_wakeups = PerEngine(OutboxWakeups)
