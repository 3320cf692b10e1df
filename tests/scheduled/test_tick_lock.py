"""One process runs each tick of the scheduled job (PostgreSQL advisory lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select, text

from app.runtime import Runtime
from app.services.scheduled import ScheduledReport, run_scheduled
from app.store.models import SubscriberRow
from tests.scheduled.helpers import add_activation, local, outbox

pytestmark = pytest.mark.usefixtures("catalog")
ENDS = date(2027, 8, 31)
NOTHING = ScheduledReport().as_dict()


def _postgresql_only(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs the job in one process; there is no lock to take")


def test_a_tick_another_process_runs_is_skipped(runtime: Runtime, add_subscriber: Callable) -> None:
    _postgresql_only(runtime)
    add_activation(runtime, add_subscriber("13800138000"), ENDS)
    other = Runtime.from_settings(runtime.settings)  # another process's own engine
    try:
        with other.uow_factory() as running:
            assert running.notices.hold_tick()
            skipped = run_scheduled(runtime.uow_factory, local(2027, 8, 24), runtime.settings)
            assert skipped.as_dict() == NOTHING
            assert outbox(runtime) == []
        done = run_scheduled(runtime.uow_factory, local(2027, 8, 24), runtime.settings)
    finally:
        other.engine.dispose()
    assert done.reminders == 1
    assert len(outbox(runtime)) == 1


def test_of_two_concurrent_runs_one_does_the_work(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    _postgresql_only(runtime)
    ids = [add_subscriber(f"1380013{n:04d}") for n in range(6)]
    for sid in ids:
        add_activation(runtime, sid, ENDS)
    reports: dict[str, ScheduledReport] = {}

    def first() -> None:
        reports["first"] = run_scheduled(runtime.uow_factory, local(2027, 8, 24), runtime.settings)

    with runtime.uow_factory() as support:  # a clerk's transaction holds one subscriber
        assert support.session is not None
        support.session.execute(
            select(SubscriberRow.id).where(SubscriberRow.id == ids[0]).with_for_update()
        )
        running = threading.Thread(target=first)
        running.start()
        _wait_for_the_tick_lock(runtime)  # the first run holds its tick, waiting on the row
        reports["second"] = run_scheduled(runtime.uow_factory, local(2027, 8, 24), runtime.settings)
    running.join(timeout=60)
    assert reports["second"].as_dict() == NOTHING
    assert reports["first"].reminders == 6
    assert len(outbox(runtime)) == 6


def _wait_for_the_tick_lock(runtime: Runtime) -> None:
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    for _ in range(3000):
        with runtime.engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.01)
    raise AssertionError("the first run never took the tick's lock")


def test_sqlite_runs_every_tick(runtime: Runtime, add_subscriber: Callable) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite side of the lock")
    add_activation(runtime, add_subscriber("13800138000"), ENDS)
    with runtime.uow_factory() as tick:
        assert tick.notices.hold_tick()  # no statement: the write lock stays free
        report = run_scheduled(runtime.uow_factory, local(2027, 8, 24), runtime.settings)
    assert report.reminders == 1
