"""GET /v1/subscribers/{msisdn}: the record, segments today, services; admin only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, auth

pytestmark = pytest.mark.usefixtures("catalog")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_subscriber_with_segments_and_services(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", usage={"2026-10": (150_00, 300)})
    mo = {"from": "13800138000", "to": "10086", "text": "IWJZS 3", "message_id": "m1",
          "received_at": "2026-11-22T10:00:00+08:00"}  # fmt: skip
    client.post("/v1/mo", json=mo, headers=auth())

    response = client.get("/v1/subscribers/+86 138 0013 8000", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["subscriber"]["msisdn"] == "13800138000"
    assert body["subscriber"]["vip_level"] == "gold"
    assert body["subscriber"]["balance_fen"] == 8650
    assert "vip_gold" in body["segments"]
    (service,) = body["services"]
    assert service == {
        "campaign": "IWJZS", "package": "3", "free_months": 9, "activated_on": "2026-11-22",
        "starts_on": "2026-12-01", "ends_on": "2027-08-31", "state": "active",
    }  # fmt: skip


@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {GATEWAY_TOKEN}"}])
def test_admin_token_is_required(
    client: TestClient, add_subscriber: Callable, headers: dict
) -> None:
    add_subscriber("13800138000")
    assert client.get("/v1/subscribers/13800138000", headers=headers).status_code == 401


def test_unknown_subscriber_is_404(client: TestClient) -> None:
    assert client.get("/v1/subscribers/13911112222", headers=ADMIN).status_code == 404


def test_invalid_number_is_422(client: TestClient) -> None:
    response = client.get("/v1/subscribers/12345", headers=ADMIN)
    assert response.status_code == 422
    assert "12345" in response.json()["detail"]
