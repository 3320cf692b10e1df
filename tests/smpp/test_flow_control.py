"""Window, token bucket, status verdicts and rebind delays."""

from __future__ import annotations

import random
import threading

import pytest

from app.gateways.links.backoff import rebind_delay
from app.gateways.links.throttle import TokenBucket
from app.gateways.links.window import Window, WindowClosed
from app.gateways.smpp.status_codes import Verdict, verdict


def test_window_counts_only_counted_requests() -> None:
    w = Window(2)
    assert w.acquire(0.01) and w.acquire(0.01)
    w.register(1, True)
    w.register(2, True)
    w.register(3, False)
    assert not w.acquire(0.01)
    assert w.outstanding == 2
    assert w.resolve(1, object())  # type: ignore[arg-type]
    assert w.acquire(0.01)
    assert not w.resolve(99, object())  # type: ignore[arg-type]


def test_window_failure_releases_every_waiter() -> None:
    w = Window(1)
    assert w.acquire(0.01)
    future = w.register(7, True)
    w.fail_all("killed")
    with pytest.raises(WindowClosed):
        future.result(1)
    assert not w.acquire(0.01)
    with pytest.raises(WindowClosed):
        w.register(8, False)


def test_window_blocks_until_a_response_frees_a_slot() -> None:
    w = Window(1)
    assert w.acquire(0.01)
    w.register(1, True)
    threading.Timer(0.05, lambda: w.resolve(1, object())).start()  # type: ignore[arg-type]
    assert w.acquire(5.0)


def test_bucket_pause_holds_tokens() -> None:
    bucket = TokenBucket(rate=1000)
    assert bucket.take(0.1)
    bucket.pause(10)
    assert bucket.paused
    assert not bucket.take(0.05)


def test_bucket_limits_burst() -> None:
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.take(0) and bucket.take(0)
    assert not bucket.take(0)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0x00, Verdict.OK),
        (0x58, Verdict.THROTTLED),
        (0x14, Verdict.THROTTLED),
        (0x08, Verdict.TEMPORARY),
        (0x64, Verdict.TEMPORARY),
        (0x0B, Verdict.PERMANENT),
        (0x45, Verdict.PERMANENT),
        (0x01, Verdict.PERMANENT),
    ],
)
def test_verdicts(status: int, expected: Verdict) -> None:
    assert verdict(status) is expected


def test_rebind_delay_grows_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [rebind_delay(n, 1.0, 60.0, rng) for n in range(10)]
    assert all(0.5 * min(60, 2**n) <= d <= min(60, 2**n) for n, d in enumerate(delays))
    assert len({round(d, 6) for d in delays}) == len(delays)


def test_an_unlimited_bind_still_honours_a_pause() -> None:
    bucket = TokenBucket(0)
    assert bucket.take(timeout=0.01)
    bucket.pause(5.0)
    assert not bucket.take(timeout=0.05)  # held by the pause, not waved through
