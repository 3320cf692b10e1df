"""POST /v1/mo over HTTP: auth, validation, normalisation, the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN, auth

pytestmark = pytest.mark.usefixtures("catalog")

BODY = {"from": "13800138000", "to": "10086", "text": "iwjzs 2", "message_id": "gw-123",
        "received_at": "2026-11-22T10:00:00+08:00"}  # fmt: skip


def test_activated_with_nine_months(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    response = client.post("/v1/mo", json=BODY, headers=auth())
    assert response.status_code == 200
    body = response.json()
    assert (body["message_id"], body["outcome"], body["duplicate"]) == (
        "gw-123",
        "activated",
        False,
    )
    (reply,) = body["replies"]
    assert (reply["to"], reply["from"]) == ("13800138000", "10086")
    assert "9个月" in reply["text"] and "2026年12月1日" in reply["text"]


def test_same_message_id_twice_answers_the_same(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    first = client.post("/v1/mo", json=BODY, headers=auth()).json()
    second = client.post("/v1/mo", json=BODY, headers=auth()).json()
    assert second["duplicate"] is True
    assert second["replies"] == first["replies"] and second["outcome"] == "activated"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    services = client.get("/v1/subscribers/13800138000", headers=admin).json()["services"]
    assert len(services) == 1


def test_a_message_id_another_number_used_is_refused_without_its_answer(
    client: TestClient, add_subscriber: Callable
) -> None:
    """A gateway reusing an id across numbers must not hand the second number the
    first one's reply (card number, account manager, birthday): 409, nothing kept."""
    add_subscriber("13800138000")
    add_subscriber("13900139000", vip_card_no="GT0002")
    first = client.post("/v1/mo", json={**BODY, "text": "CXVIP"}, headers=auth())
    assert first.status_code == 200 and "GT0001" in first.json()["replies"][0]["text"]
    other = {**BODY, "from": "13900139000", "text": "CXVIP"}
    refused = client.post("/v1/mo", json=other, headers=auth())
    assert refused.status_code == 409
    assert "another number" in refused.json()["detail"] and "GT0001" not in refused.text
    # The same number repeating its id still gets its first answer.
    again = client.post("/v1/mo", json={**BODY, "text": "CXVIP"}, headers=auth()).json()
    assert again["duplicate"] is True and "GT0001" in again["replies"][0]["text"]
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/v1/subscribers/13900139000", headers=admin).status_code == 200


@pytest.mark.parametrize("number", ["+8613800138000", "8613800138000", "008613800138000",
                                    "138-0013-8000", "+86 138 0013 8000"])  # fmt: skip
def test_numbers_are_normalised(client: TestClient, add_subscriber: Callable, number: str) -> None:
    add_subscriber("13800138000")
    body = client.post("/v1/mo", json={**BODY, "from": number}, headers=auth()).json()
    assert body["outcome"] == "activated"
    assert body["replies"][0]["to"] == "13800138000"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Bearer {ADMIN_TOKEN}"},
                                     {"Authorization": "Basic dGVzdDp0ZXN0"}])  # fmt: skip
def test_gateway_token_is_required(
    client: TestClient, headers: dict, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    response = client.post("/v1/mo", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Nothing was recorded: the same id with the token still activates.
    assert client.post("/v1/mo", json=BODY, headers=auth()).json()["duplicate"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": "12345"}, "from"),
        ({"from": "01012345678"}, "from"),
        ({"from": None}, "from"),
        ({"to": "10086abc"}, "to"),
        ({"message_id": ""}, "message_id"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"text": 42}, "text"),
        ({"extra": 1}, "extra"),
    ],
)
def test_malformed_fields_get_422_naming_the_field(
    client: TestClient, change: dict, field: str
) -> None:
    body = {**BODY, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 422
    assert field in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


def test_missing_field_is_named(client: TestClient) -> None:
    body = {k: v for k, v in BODY.items() if k != "text"}
    response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "text"


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/mo", content=b'{"from": "138', headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "json" in response.text.lower()


def test_received_at_defaults_to_now(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    body = {k: v for k, v in BODY.items() if k != "received_at"}
    assert client.post("/v1/mo", json=body, headers=auth()).json()["outcome"] in {
        "activated",
        "campaign_inactive",  # the shipped window ends on 2027-07-31
    }


def test_naive_received_at_is_operator_time(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    body = {**BODY, "received_at": "2026-08-01T00:30:00"}  # Shanghai: first day of the window
    assert client.post("/v1/mo", json=body, headers=auth()).json()["outcome"] == "activated"


def test_granted_vip_gets_not_eligible(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13900139000", vip_source="granted")
    body = {**BODY, "from": "13900139000"}
    assert client.post("/v1/mo", json=body, headers=auth()).json()["outcome"] == "not_eligible"
