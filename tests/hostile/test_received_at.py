"""A gateway's time far from the service clock is never the decision date
(issue 11, finding 6): JSON refuses it naming `received_at`; Kannel takes the
MO as of now (an SMSC with a wrong clock must not silence every MO)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta

import pytest
from pydantic import SecretStr

from app.runtime import Runtime
from app.services.clock import utc_now
from app.store.models import InboundMessageRow
from tests.hostile.helpers import count, post_mo, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

KANNEL_TOKEN = "hostile-kannel-token"


@pytest.fixture
def strict(runtime: Runtime) -> Runtime:
    """The shipped window: a week back, ten minutes ahead."""
    runtime.settings = runtime.settings.model_copy(
        update={"received_at_max_age_days": 7.0, "kannel_token": SecretStr(KANNEL_TOKEN)}
    )
    return runtime


@pytest.mark.parametrize(
    "when",
    ["9999-12-31T23:59:59+00:00", "0001-01-01", "0001-01-01T00:00:00+14:00",
     "9999-12-31T23:59:59", "2000-01-01T00:00:00+00:00"],
)  # fmt: skip
def test_far_off_received_at_is_422_naming_it(
    strict: Runtime, add_subscriber: Callable, when: str
) -> None:
    add_subscriber("13800138000")
    response = post_mo(raw_client(strict), "CXYE", "r-1", received_at=when)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == "received_at"
    assert count(strict, InboundMessageRow) == 0


def test_a_recent_received_at_is_taken(strict: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    client = raw_client(strict)
    yesterday = (utc_now() - timedelta(days=1)).isoformat()
    assert post_mo(client, "CXYE", "r-1", received_at=yesterday).status_code == 200
    tomorrow = (utc_now() + timedelta(days=1)).isoformat()
    assert post_mo(client, "CXYE", "r-2", received_at=tomorrow).status_code == 422


@pytest.mark.parametrize("time", ["9999-12-31 23:59:59", "0001-01-01 00:00:00", "99999999999"])
def test_kannel_far_off_time_is_taken_as_now(
    strict: Runtime, add_subscriber: Callable, time: str
) -> None:
    add_subscriber("13800138000")
    before = utc_now()
    url = (
        f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=k-1&from=13800138000&to=10086&time={time}&text=CXYE"
    )
    response = raw_client(strict).get(url)
    assert response.status_code == 200, response.text
    with strict.uow_factory() as uow:
        row = uow.messages.find_inbound("kannel", "k-1")
        assert row is not None
        received = row.received_at.astimezone(UTC)
    assert before - timedelta(seconds=1) <= received <= utc_now()
