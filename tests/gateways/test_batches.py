"""Batches: what waits is taken at once, nothing is lost, a failing batch kills no worker."""

from __future__ import annotations

import threading

import pytest

from app.gateways.batches import Batches, writers_for


def test_items_put_while_a_batch_is_handled_form_the_next_batch() -> None:
    seen: list[list[int]] = []
    busy, release = threading.Event(), threading.Event()

    def handle(batch: list[int]) -> None:
        seen.append(batch)
        busy.set()
        release.wait(5)

    batches: Batches[int] = Batches(handle, workers=1, size=3, name="t").start()
    batches.put(0)
    assert busy.wait(5)  # the lone worker holds [0]
    for n in range(1, 6):
        batches.put(n)
    release.set()
    batches.stop()
    assert seen == [[0], [1, 2, 3], [4, 5]]
    assert batches.counters == {"batches": 3, "items": 6}


def test_stop_handles_everything_queued_first() -> None:
    handled: list[int] = []
    lock = threading.Lock()

    def handle(batch: list[int]) -> None:
        with lock:
            handled.extend(batch)

    batches: Batches[int] = Batches(handle, workers=3, size=7, name="t").start()
    for n in range(500):
        batches.put(n)
    batches.stop()
    assert sorted(handled) == list(range(500))


def test_a_failing_batch_leaves_the_worker_running(caplog: pytest.LogCaptureFixture) -> None:
    handled: list[int] = []

    def handle(batch: list[int]) -> None:
        if -1 in batch:
            raise RuntimeError("bad batch")
        handled.extend(batch)

    batches: Batches[int] = Batches(handle, workers=1, size=1, name="t").start()
    for n in (-1, 1, 2):
        batches.put(n)
    batches.stop()
    assert handled == [1, 2]
    assert "a batch of 1 failed" in caplog.text


def test_sizes_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        Batches(lambda batch: None, workers=0, size=1, name="t")
    with pytest.raises(ValueError):
        Batches(lambda batch: None, workers=1, size=0, name="t")


def test_sqlite_gets_one_writer_other_databases_what_is_asked() -> None:
    assert writers_for("sqlite", 4) == 1
    assert writers_for("postgresql", 4) == 4
