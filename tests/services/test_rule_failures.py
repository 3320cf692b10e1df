"""A message a rule fails on is still recorded and answered — with an apology,
and nothing of what the rule wrote kept (app/services/rule_failures.py) — over
the JSON endpoint, in a batch beside other messages, and over SMPP, where it is
acknowledged instead of asked for again and again.

The failing rule stands in for a bug: `keyword_router.answer` raises for one
text after writing to the store, as a rule half done would."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.gateways.smpp.gateway import SmppGateway
from app.runtime import Runtime
from app.services import keyword_router
from app.services.clock import utc_now
from app.services.inbound import handle_inbound_many
from app.services.inbound_messages import InboundMessage
from app.services.rule_failures import is_rule_failure
from app.store.models import InboundMessageRow, OutboundMessageRow, SubscriberRow
from tests.conftest import auth
from tests.smpp.conftest import smsc  # noqa: F401 (fixture)
from tests.smpp.fake_smsc import FakeSmsc
from tests.smpp.test_gateway import SUBSCRIBER, mt_text, start  # noqa: F401 (fixture)
from tests.support.polling import eventually
from tests.support.store import rows

pytestmark = pytest.mark.usefixtures("catalog")
APOLOGY = "抱歉，系统暂时无法办理您的短信，未做任何变更"


@pytest.fixture
def failing_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """`BOOM` opts the subscriber out, then raises; every call is counted."""
    real = keyword_router.answer
    calls: list[str] = []

    def answer(turn: Any, text: str, depth: int = 0) -> Any:
        calls.append(text)
        if text == "BOOM":
            assert turn.row is not None
            turn.row.opted_out = True  # half done: must not be kept
            raise ValueError("a rule's bug")
        return real(turn, text, depth)

    monkeypatch.setattr(keyword_router, "answer", answer)
    yield calls


def opted_out(runtime: Runtime) -> bool:
    (row,) = rows(runtime.uow_factory, SubscriberRow)
    return bool(row.opted_out)


def test_the_json_endpoint_answers_with_an_apology_and_keeps_nothing(
    client: TestClient,
    runtime: Runtime,
    add_subscriber: Callable,
    failing_rule: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_subscriber(SUBSCRIBER)
    body = {"from": SUBSCRIBER, "to": "10086", "text": "BOOM", "message_id": "m-1"}
    with caplog.at_level(logging.ERROR, "smshall.inbound"):
        response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "service_error"
    assert response.json()["replies"][0]["text"].startswith(APOLOGY)
    assert not opted_out(runtime)
    (inbound,) = rows(runtime.uow_factory, InboundMessageRow)
    assert (inbound.text, inbound.outcome) == ("BOOM", "service_error")
    assert "ValueError" in caplog.text and "BOOM" not in caplog.text  # no message text
    # The gateway's retry gets the first answer; the rule is not run again.
    again = client.post("/v1/mo", json=body, headers=auth())
    assert again.json()["outcome"] == "service_error" and again.json()["duplicate"] is True
    assert failing_rule.count("BOOM") == 2  # once in the batch, once message by message


def test_the_rest_of_a_batch_is_answered_as_ever(
    runtime: Runtime, add_subscriber: Callable, failing_rule: list[str]
) -> None:
    add_subscriber(SUBSCRIBER)
    now = utc_now()
    messages = [
        InboundMessage("test", f"b-{n}", SUBSCRIBER, "10086", text, now)
        for n, text in enumerate(["CXYE", "BOOM", "HELP"])
    ]
    results = handle_inbound_many(runtime.uow_factory, messages, runtime.reply_context)
    assert [getattr(r, "outcome", r) for r in results] == ["balance", "service_error", "help"]
    assert not opted_out(runtime)


def test_over_smpp_it_is_acknowledged_and_answered(
    start: Callable[..., SmppGateway],  # noqa: F811 (the fixture)
    smsc: FakeSmsc,  # noqa: F811 (the fixture)
    runtime: Runtime,
    add_subscriber: Callable,
    failing_rule: list[str],
) -> None:
    add_subscriber(SUBSCRIBER)
    start()
    sequence = smsc.deliver(
        source_addr="86" + SUBSCRIBER, destination_addr="10086", short_message=b"BOOM"
    )
    eventually(lambda: sequence in smsc.deliver_resps, "deliver_sm_resp")
    assert smsc.deliver_resps[sequence] == 0  # not ESME_RX_T_APPN: no redelivery loop
    eventually(lambda: len(smsc.submits) == 1, "the apology submitted")
    assert mt_text(smsc.submits).startswith(APOLOGY)
    (reply,) = rows(runtime.uow_factory, OutboundMessageRow)
    assert reply.text.startswith(APOLOGY)


def test_a_database_error_is_not_a_rule_failure() -> None:
    assert is_rule_failure(ValueError("a bug"))
    assert not is_rule_failure(OperationalError("SELECT 1", {}, Exception("gone")))
