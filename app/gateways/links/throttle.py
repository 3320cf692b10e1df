"""Submit pacing for one link: a token bucket at the contracted TPS, and pauses.

A pause (after SMPP's ESME_RTHROTTLED or ESME_RMSGQFUL, CMPP's Result 8) holds
every submit on the link until it ends, so the same message is tried again first.
"""

from __future__ import annotations

import threading
import time


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._tokens = 0.0

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def take(self, timeout: float) -> bool:
        """Wait for a token; False if none comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._paused_until - now
                # An unlimited bind (rate 0) still honours a pause: the SMSC said stop.
                if wait <= 0 and self.rate <= 0:
                    return True
                if wait <= 0:
                    self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                    self._stamp = now
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return True
                    wait = (1.0 - self._tokens) / self.rate
                else:
                    self._stamp = max(self._stamp, self._paused_until)
            if now + wait > deadline:
                time.sleep(max(0.0, deadline - now))
                return False
            time.sleep(wait)
