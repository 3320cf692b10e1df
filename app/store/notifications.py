"""A thread that LISTENs on a PostgreSQL channel over a connection of its own.

NOTIFY is delivered when the writing transaction commits. While the listener is
not connected (starting, or after losing its connection) notifications go
unseen: `on_listening` runs each time it (re)connects and `on_lost` when the
connection goes, so the owner can treat anything as possibly changed meanwhile.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

import psycopg
from sqlalchemy.engine import Engine

log = logging.getLogger("smshall.notifications")

#: Seconds between attempts to listen again after the connection was lost.
RECONNECT_EVERY = 2.0

T = TypeVar("T")


def _nothing() -> None:
    pass


class Listener:
    def __init__(
        self,
        engine: Engine,
        channel: str,
        on_notify: Callable[[str], None],
        on_listening: Callable[[], None] = _nothing,
        on_lost: Callable[[], None] = _nothing,
    ) -> None:
        self.channel = channel
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_notify = on_notify
        self._on_listening = on_listening
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{channel}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {self.channel}")
                    self._on_listening()
                    failures = 0
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=1.0):
                            self._on_notify(notification.payload)
            except psycopg.Error as error:
                failures += 1
                if failures == 1:  # once per outage, not every retry
                    log.warning("%s listener lost its connection: %s", self.channel, error)
            finally:
                self._on_lost()
            self._stop.wait(RECONNECT_EVERY)


class PerEngine(Generic[T]):
    """One `make(engine)` per engine in this process, made at first use: a watch
    with its listener per database, however many places ask for it."""

    def __init__(self, make: Callable[[Engine], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> T:
        with self._lock:
            made = self._made.get(engine)
            if made is None:
                made = self._made[engine] = self._make(engine)
            return made
