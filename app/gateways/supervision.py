"""A link that must stay up, whatever the protocol: SMPP binds and CMPP links.

One thread per link runs its lifecycle: `_connect_and_serve` (the protocol's
connect, login and keep-alive, returning when the session ends), then a wait
of `rebind_delay` (exponential, capped, jittered; back to the base once a
session lived `STABLE_AFTER` seconds), and again, until `stop()`. Any failure
ends the session, never the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from app.gateways.smpp.backoff import rebind_delay
from app.gateways.smpp.window import ResponseTimeout, WindowClosed

log = logging.getLogger("smshall.links")

#: A session that lived this long counts as healthy: the next attempt starts from the base delay.
STABLE_AFTER = 30.0


class SupervisedLink:
    #: What the log calls one: "bind", "link".
    kind = "link"

    def __init__(
        self,
        name: str,
        thread_name: str,
        reconnect: tuple[float, float],
        states: tuple[StrEnum, StrEnum, StrEnum],
    ) -> None:
        """`reconnect` is (base, cap) in seconds; `states` (idle, waiting, stopped)."""
        self.name = name
        self.state, self._waiting, self._stopped = states
        self.reconnect_base, self.reconnect_max = reconnect
        self.session: Any = None
        self.counters: Counter[str] = Counter()
        self.last_error = ""
        #: When the current session logged in (wall clock); None while down.
        self.up_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Begin stopping without waiting (a gateway stops all its links in parallel)."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _set_state(self, state: StrEnum) -> None:
        if state is not self.state:
            log.info("%s %s: %s -> %s", self.kind, self.name, self.state, state)
        self.state = state

    def _connect_and_serve(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._connect_and_serve()
            except Exception as error:  # a link must outlive any failure
                self.last_error = str(error) or type(error).__name__
                self.counters["failures"] += 1
                log.warning("%s %s: %s", self.kind, self.name, self.last_error)
            finally:
                if self.session is not None:
                    self.session.close(self.last_error or "session ended")
                self.session = None
                self.up_since = None
            if self._stop.is_set():
                break
            attempt = 0 if time.monotonic() - started > STABLE_AFTER else attempt + 1
            delay = rebind_delay(attempt, self.reconnect_base, self.reconnect_max)
            self._set_state(self._waiting)
            log.info("%s %s: again in %.2fs (attempt %d)", self.kind, self.name, delay, attempt)
            self._stop.wait(delay)
        self._set_state(self._stopped)

    def _keep_alive(
        self,
        session: Any,
        interval: float,
        misses_allowed: int,
        probe: Callable[[], object],
        what: str,
    ) -> None:
        """`probe` (enquire_link, ACTIVE_TEST) after `interval` seconds of silence;
        `misses_allowed` unanswered in a row close the session. Returns when the
        session is closed or the link is stopping."""
        misses = 0
        while not self._stop.is_set() and not session.closed.is_set():
            idle = time.monotonic() - session.last_received
            if idle >= interval:
                try:
                    probe()
                    misses = 0
                except ResponseTimeout as error:
                    misses += 1
                    self.counters["keep_alive_unanswered"] += 1
                    if misses >= misses_allowed:
                        session.close(f"{what} unanswered ({misses} in a row): {error}")
                        return
                except WindowClosed:
                    return
                continue
            wait = min(interval - idle, 0.2)
            self._stop.wait(max(wait, 0.01))
