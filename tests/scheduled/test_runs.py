"""The job as a whole: concurrent runs (PostgreSQL), the timer, the CLI."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.gateways.scheduled_timer import ScheduledTimer
from app.main import create_app
from app.runtime import Runtime
from app.services.scheduled import ScheduledReport, run_scheduled
from app.settings import get_settings
from tests.scheduled.helpers import add_activation, local, notices, outbox

pytestmark = pytest.mark.usefixtures("catalog")
ENDS = date(2027, 8, 31)


def test_two_concurrent_runs_send_nothing_twice(runtime: Runtime, add_subscriber: Callable) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every transaction; the race needs PostgreSQL")
    for n in range(12):
        sid = add_subscriber(
            f"1380013{n:04d}", birthday=date(1980, 8, 24), vip_valid_to=date(2027, 12, 31)
        )
        add_activation(runtime, sid, ENDS)
        add_activation(runtime, sid, date(2027, 8, 23), key="old")  # lapses
    small_batches = runtime.settings.model_copy(update={"scheduled_batch_size": 5})
    barrier = threading.Barrier(2)
    reports: list[ScheduledReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(run_scheduled(runtime.uow_factory, local(2027, 8, 24), small_batches))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(reports) == 2
    total = {k: sum(r.as_dict()[k] for r in reports) for k in reports[0].as_dict()}
    assert (total["reminders"], total["lapsed"], total["lapse_notices"]) == (12, 12, 12)
    assert total["birthdays"] == 12
    assert len(outbox(runtime)) == 36
    assert len(notices(runtime)) == 36
    # The cap of 3 holds: each subscriber's three notices on that one day.
    assert {n.local_day for n in notices(runtime)} == {date(2027, 8, 24)}


def test_timer_runs_the_job_and_stops(runtime: Runtime, add_subscriber: Callable) -> None:
    add_activation(runtime, add_subscriber("13800138000"), ENDS)
    fast = runtime.settings.model_copy(update={"scheduled_interval": 0.01})
    timer = ScheduledTimer(runtime.uow_factory, fast, clock=lambda: local(2027, 8, 24))
    timer.start()
    try:
        for _ in range(500):  # at most a few seconds; normally the first poll or two
            if timer.runs >= 2:
                break
            time.sleep(0.01)
    finally:
        timer.stop()
    assert timer.runs >= 2
    assert len(outbox(runtime)) == 1  # many runs, one reminder


def test_timer_disabled_with_interval_zero(runtime: Runtime) -> None:
    off = runtime.settings.model_copy(update={"scheduled_interval": 0})
    timer = ScheduledTimer(runtime.uow_factory, off)
    timer.start()
    assert timer._thread is None
    timer.stop()


def test_the_service_starts_and_stops_the_timer(runtime: Runtime) -> None:
    with TestClient(create_app(runtime=runtime)) as client:
        timer = client.app.state.scheduled  # type: ignore[attr-defined]
        assert timer._thread is not None and timer._thread.is_alive()
    assert timer._thread is None


def test_cli_run_scheduled(
    runtime: Runtime,
    add_subscriber: Callable,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    add_activation(runtime, add_subscriber("13800138000"), ENDS)
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["run-scheduled", "--at", "2027-08-24T07:00"]) == 0
        assert "reminders: 1" in capsys.readouterr().out
        assert main(["run-scheduled", "--at", "2027-08-24T07:30+08:00"]) == 0
        assert "reminders: 0" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    (message,) = outbox(runtime)
    assert message.next_attempt_at == local(2027, 8, 24, 8, 0)
