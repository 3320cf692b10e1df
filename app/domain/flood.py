"""Token buckets: for a number that floods the short code, and for an HTTP client.

Each number may send `burst` MOs at once and `per_minute` more every minute.
Past that its MOs are still recorded and acknowledged (so no SMSC delivers them
again), but answered once with a short notice and then not at all until the
bucket refills: one flooder must not turn the outbox into its echo (500 × `0000`
had made 500 replies).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

#: Numbers tracked at most; past it, those whose bucket has refilled are forgotten.
TRACKED = 100_000


class Admission(StrEnum):
    ADMITTED = "admitted"  # answered as usual
    NOTICE = "notice"  # the first MO refused since the bucket ran dry: one short notice
    SILENT = "silent"  # refused again before the bucket refilled: recorded, not answered


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # seconds, when `tokens` was counted
    warned: bool = False


class FloodGuard:
    """Token buckets by number; `per_minute` 0 admits everything."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()  # gateways admit from several threads

    def admit(self, number: str, now: float) -> Admission:
        if self.rate <= 0:
            return Admission.ADMITTED
        with self._lock:
            bucket = self._buckets.get(number)
            if bucket is None:
                if len(self._buckets) >= TRACKED:
                    self._forget_full(now)
                bucket = self._buckets[number] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                bucket.warned = False
                return Admission.ADMITTED
            if bucket.warned:
                return Admission.SILENT
            bucket.warned = True
            return Admission.NOTICE

    def _forget_full(self, now: float) -> None:
        """Drop the numbers whose bucket would be full again: they start afresh anyway."""
        refill = self.burst / self.rate
        self._buckets = {n: b for n, b in self._buckets.items() if now - b.at < refill}


class ClientBuckets:
    """Token buckets by client (an HTTP peer): `per_second` requests after a burst
    of `burst`; `per_second` 0 admits everything."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.rate = per_second
        self.burst = max(1, burst)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait(self, client: str, now: float) -> float:
        """0 if the request is admitted (a token taken), else the seconds until one is."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= TRACKED:
                    self._buckets.clear()  # every client starts afresh: a full bucket
                bucket = self._buckets[client] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate
