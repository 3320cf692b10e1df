"""`GET /metrics` is for the admin token or the metrics token only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.runtime import Runtime
from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, auth
from tests.metrics.scrape import parse

METRICS_TOKEN = "test-metrics-token-0123"


@pytest.fixture
def scraped(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime=runtime.with_settings(metrics_token=SecretStr(METRICS_TOKEN)))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [{}, auth(GATEWAY_TOKEN), auth("not-the-token-at-all"), {"Authorization": METRICS_TOKEN}],
    ids=["none", "gateway token", "wrong token", "no Bearer scheme"],
)
def test_metrics_refused_without_a_token_it_takes(
    scraped: TestClient, headers: dict[str, str]
) -> None:
    response = scraped.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]
    assert "smshall_" not in response.text


@pytest.mark.parametrize("token", [ADMIN_TOKEN, METRICS_TOKEN], ids=["admin", "metrics"])
def test_metrics_answered_for_the_admin_or_the_metrics_token(
    scraped: TestClient, token: str
) -> None:
    response = scraped.get("/metrics", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.text)
    assert ("smshall_outbox_queued", frozenset()) in samples
    assert ("smshall_mo_commit_seconds_count", frozenset()) in samples


def test_metrics_token_alone_is_enough(runtime: Runtime) -> None:
    """No admin token configured: the scraper's token still works, nothing else does."""
    settings = {"metrics_token": SecretStr(METRICS_TOKEN), "admin_token": None}
    with TestClient(create_app(runtime=runtime.with_settings(**settings))) as client:
        assert client.get("/metrics", headers=auth(METRICS_TOKEN)).status_code == 200
        assert client.get("/metrics", headers=auth(ADMIN_TOKEN)).status_code == 401
