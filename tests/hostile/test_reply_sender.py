"""Replies always go out from the configured short code, never from whatever
destination an MO names (issue 11, finding 10)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.gateways.smpp import pdus
from app.runtime import Runtime
from tests.conftest import auth
from tests.hostile.helpers import deliver_sm, deliveries, outbox, post_mo, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

WHEN = "2026-11-22T10:00:00+08:00"


@pytest.fixture
def own_code(runtime: Runtime) -> Runtime:
    runtime.settings = runtime.settings.model_copy(update={"short_code": "10086"})
    return runtime


def test_smpp_mo_to_a_mobile_number_is_answered_from_the_short_code(
    own_code: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    batch = [("main", deliver_sm(1, "CXYE", destination="13700137000")),
             ("main", deliver_sm(2, "HELP", destination="hello"))]  # fmt: skip
    assert [h.status for h in deliveries(own_code).handle_many(batch)] == [pdus.ROK] * 2
    assert [row.sender for row in outbox(own_code)] == ["10086", "10086"]


def test_json_mo_to_another_code_is_answered_from_the_short_code(
    own_code: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    response = post_mo(raw_client(own_code), "CXYE", "s-1", to="13700137000", received_at=WHEN)
    assert response.json()["replies"][0]["from"] == "10086"


def test_ussd_sms_comes_from_the_short_code(own_code: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    form = {"sessionId": "s-1", "serviceCode": "*10086*9#", "phoneNumber": "13800138000",
            "text": "1*1"}  # fmt: skip
    assert raw_client(own_code).post("/v1/ussd", data=form, headers=auth()).status_code == 200
    assert {row.sender for row in outbox(own_code)} == {"10086"}
