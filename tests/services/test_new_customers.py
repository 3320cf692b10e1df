"""A card holder whose number was opened after a free experience started signs up
like anyone else (DOMAIN.md §4.1, §4.2): tenure at the campaign's start is none,
so the shortest free period — over the JSON MO endpoint, as a subscriber's
message reaches the service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("catalog")  # IWJZS and TY start 2026-08-01


@pytest.mark.parametrize(
    ("opened_on", "text", "free"),
    [
        (date(2026, 7, 31), "IWJZS 1", "3个月"),  # one month of tenure at the start
        (date(2026, 10, 5), "IWJZS 1", "3个月"),  # opened after the start
        (date(2026, 10, 5), "TY SJB", "免费1个月"),  # TY: one month for every tenure
    ],
)
def test_sign_up_of_a_number_opened_after_the_campaign_started(
    client: TestClient, add_subscriber: Callable[..., int], opened_on: date, text: str, free: str
) -> None:
    add_subscriber("13300133000", opened_on=opened_on)
    body = {"from": "13300133000", "to": "10086", "text": text, "message_id": "new-1"}
    response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["outcome"] == "activated"
    assert free in answer["replies"][0]["text"]
