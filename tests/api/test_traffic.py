"""`GET /v1/traffic` on a fixture of MOs and replies at known times, on both sides
of the one-minute window, by the service clock (never the machine's date)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.traffic import traffic_now
from app.store.models import InboundMessageRow
from tests.conftest import ADMIN_TOKEN
from tests.support.outbox import outbound_row

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
S = timedelta(seconds=1)


def add_mos(runtime: Runtime, *times: datetime) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        for n, at in enumerate(times):
            uow.session.add(
                InboundMessageRow(
                    gateway="http",
                    gateway_message_id=f"mo-{at.timestamp()}-{n}",
                    msisdn="13800000001",
                    short_code="10086",
                    text="CXYE",
                    received_at=at,
                    outcome="balance",
                )  # fmt: skip
            )
        uow.commit()


def add_reply(
    runtime: Runtime,
    created: datetime,
    state: str,
    due: datetime | None = None,
    claimed_by: str | None = None,
) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = outbound_row("13800000001", "您的余额", created, due, state, claimed_by=claimed_by)
        uow.session.add(row)
        uow.commit()


@pytest.fixture
def now(runtime: Runtime) -> datetime:
    """The service clock now, with an hour of older traffic before it."""
    at = utc_now()
    assert at.year == 2026 and at.month == 11  # the suite's service clock
    add_mos(runtime, *(at - timedelta(hours=1) + n * 10 * S for n in range(200)))
    for n in range(50):
        add_reply(runtime, at - timedelta(minutes=50) + n * 10 * S, "delivered")
    return at


def traffic_fixture(runtime: Runtime, now: datetime) -> None:
    # In the window (now - 60 s, now]: three MOs; out: 60 s and 70 s ago, 2 min ahead.
    add_mos(runtime, now - 70 * S, now - 60 * S, now - 50 * S, now - 30 * S, now - 10 * S)
    add_mos(runtime, now + 120 * S)
    add_reply(runtime, now - 10 * 60 * S, "queued", due=now - 10 * 60 * S)  # stuck: oldest
    add_reply(runtime, now - 5 * 60 * S, "queued", due=now + 30 * S, claimed_by="smpp-1")
    add_reply(runtime, now - 65 * S, "delivered")
    add_reply(runtime, now - 55 * S, "failed")
    add_reply(runtime, now - 40 * S, "delivered")
    add_reply(runtime, now - 30 * S, "queued", due=now + 2 * 3600 * S)  # a held notice
    add_reply(runtime, now - 20 * S, "queued", due=now - 20 * S)
    add_reply(runtime, now - 10 * S, "sent")
    add_reply(runtime, now - 5 * S, "dropped")


def test_figures_at_a_pinned_instant(runtime: Runtime, now: datetime) -> None:
    traffic_fixture(runtime, now)
    t = traffic_now(runtime.uow_factory, now)
    assert t.mo == 3 and t.mo_per_second == 0.05
    assert t.replies_by_state == {
        "queued": 2, "sent": 1, "delivered": 1, "failed": 1, "dropped": 1
    }  # fmt: skip
    assert t.replies == 6 and t.replies_per_second == 0.1
    assert (t.queued, t.queued_later) == (4, 1)
    assert t.oldest_queued_at == now - 10 * 60 * S and t.oldest_queued_age_seconds == 600.0
    # 9 s on, the MO of 50 s ago is still in; 11 s on it is out.
    assert traffic_now(runtime.uow_factory, now + 9 * S).mo == 3
    assert traffic_now(runtime.uow_factory, now + 11 * S).mo == 2


def test_traffic_route(client: TestClient, runtime: Runtime, now: datetime) -> None:
    traffic_fixture(runtime, now)
    body = client.get("/v1/traffic", headers=ADMIN).json()
    assert body["window_seconds"] == 60
    assert body["mo"] == 3 and body["mo_per_second"] == 0.05
    assert body["replies_by_state"] == {
        "queued": 2, "sent": 1, "delivered": 1, "failed": 1, "dropped": 1
    }  # fmt: skip
    assert body["replies_per_second"] == 0.1
    queue = body["queue"]
    assert (queue["queued"], queue["later"]) == (4, 1)
    assert 600 <= queue["oldest_queued_age_seconds"] < 630
    assert datetime.fromisoformat(body["at"]) - now < timedelta(seconds=5)


def test_quiet_service(client: TestClient) -> None:
    body = client.get("/v1/traffic", headers=ADMIN).json()
    assert body["mo"] == 0 and body["replies"] == 0
    assert body["replies_by_state"] == {"queued": 0, "sent": 0, "delivered": 0, "failed": 0}
    assert body["queue"] == {
        "queued": 0, "later": 0, "oldest_queued_at": None, "oldest_queued_age_seconds": None
    }  # fmt: skip


def test_console_page_needs_no_token_but_its_data_does(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/console/static/vendor/chart.umd.min.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/console/static/vendor/chart.umd.min.js")
    assert script.status_code == 200 and "Chart.js v4" in script.text[:200]
    assert client.get("/console/static/console.js").status_code == 200
    assert client.get("/v1/traffic").status_code == 401


def test_ids_a_little_out_of_time_order(runtime: Runtime, now: datetime) -> None:
    """Ids are taken in blocks seconds apart: rows up to `SLACK` out of order still
    fall on the right side of the window."""
    add_mos(runtime, now - 20 * S, now - 90 * S, now - 40 * S, now - 75 * S, now - 10 * S)
    add_mos(runtime, now - 61 * S, now - 59 * S)
    assert traffic_now(runtime.uow_factory, now).mo == 4
