"""Each HTTP client's request rate: past it, 429 with Retry-After and nothing read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.domain.flood import ClientBuckets
from app.main import create_app
from app.runtime import Runtime
from app.store.models import InboundMessageRow
from tests.conftest import auth
from tests.services.messaging import count

pytestmark = pytest.mark.usefixtures("catalog")


def test_buckets_admit_a_burst_then_say_how_long_to_wait() -> None:
    buckets = ClientBuckets(per_second=2, burst=2)
    assert [buckets.wait("10.0.0.1", 0.0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.wait("10.0.0.1", 0.0) == pytest.approx(0.5)
    assert buckets.wait("10.0.0.2", 0.0) == 0.0  # another client
    assert buckets.wait("10.0.0.1", 0.5) == 0.0  # a token refilled
    assert ClientBuckets(per_second=0, burst=1).wait("10.0.0.1", 0.0) == 0.0


def test_a_client_past_its_rate_gets_429_with_retry_after(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    limited = runtime.with_settings(http_per_second=0.01, http_burst=2)
    with TestClient(create_app(runtime=limited)) as client:

        def mo(n: int) -> int:
            body = {"from": "13800138000", "to": "10086", "text": "CXYE", "message_id": f"c{n}"}
            return client.post("/v1/mo", json=body, headers=auth()).status_code

        assert [mo(1), mo(2)] == [200, 200]
        refused = client.post(
            "/v1/mo",
            json={"from": "13800138000", "to": "10086", "text": "CXYE", "message_id": "c3"},
            headers=auth(),
        )
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1 and "retry in" in refused.json()["detail"]
        assert client.get("/health").status_code == 200  # never limited
    assert count(limited, InboundMessageRow) == 2  # the refused one was never read
