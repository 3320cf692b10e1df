"""Import rows and scheduled notices in `/metrics`, counted by the use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.services.importing import import_subscribers, import_usage
from tests.metrics.scrape import grew, scrape
from tests.scheduled.helpers import MSISDN, add_activation, local, outbox, run

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo"


def data_rows(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").strip().splitlines()) - 1


def test_import_rows_by_kind(runtime: Runtime, client: TestClient) -> None:
    before = scrape(client)
    import_subscribers(runtime.uow_factory, DEMO / "subscribers.csv")
    import_usage(runtime.uow_factory, DEMO / "usage.csv")
    import_usage(runtime.uow_factory, DEMO / "usage.csv")  # again: every row counts again
    after = scrape(client)
    subscribers, usage = data_rows(DEMO / "subscribers.csv"), data_rows(DEMO / "usage.csv")
    assert subscribers > 0 and usage > 0
    assert grew(before, after, "smshall_import_rows_total", kind="subscribers") == subscribers
    assert grew(before, after, "smshall_import_rows_total", kind="usage") == 2 * usage


@pytest.mark.usefixtures("catalog")
def test_scheduled_notices_sent_and_deferred(
    runtime: Runtime, client: TestClient, add_subscriber: Callable
) -> None:
    """Four reminders on one day: three go now, the daily cap holds the fourth."""
    sid = add_subscriber(MSISDN)
    for code in ("SJB", "CL", "HBGJ", "139"):
        add_activation(
            runtime, sid, date(2027, 8, 31), campaign_code="TY", package_code=code, key=f"TY:{code}"
        )
    before = scrape(client)
    assert run(runtime, local(2027, 8, 24, 10, 0)).reminders == 4
    after = scrape(client)
    assert len(outbox(runtime)) == 4
    sent = grew(before, after, "smshall_scheduled_notices_sent_total", kind="reminder")
    deferred = grew(before, after, "smshall_scheduled_notices_deferred_total", kind="reminder")
    assert (sent, deferred) == (3, 1)
    assert grew(before, after, "smshall_replies_total", state="queued") == 4
    assert after[("smshall_outbox_queued", frozenset())] == 4
