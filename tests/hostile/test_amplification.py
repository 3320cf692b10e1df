"""One long MO draws a reply of a few parts, never dozens: echoes are cut, the
facts never (issue 11, finding 3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.domain import sms_coding
from app.domain.replies import Language, with_echo
from app.gateways.smpp import pdus
from app.runtime import Runtime
from tests.hostile.helpers import deliver_sm, deliveries, outbox, post_mo, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

WHEN = "2026-11-22T10:00:00+08:00"


def parts(text: str) -> int:
    return len(sms_coding.split(text).parts)


@pytest.mark.parametrize(
    "text", ["XCYE " + "我" * 1990, "Z" * 1999, "QX " + "A" * 1990, "TD" + "宝" * 1990]
)
def test_a_long_mo_draws_at_most_the_configured_parts(
    runtime: Runtime, add_subscriber: Callable, text: str
) -> None:
    add_subscriber("13800138000")
    response = post_mo(raw_client(runtime), text, "long-1", received_at=WHEN)
    assert response.status_code == 200, response.text
    (reply,) = response.json()["replies"]
    assert parts(reply["text"]) <= runtime.settings.max_reply_parts
    assert "…" in reply["text"]


def test_did_you_mean_cuts_the_quote_not_the_question(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", balance_fen=8650)
    client = raw_client(runtime)
    asked = post_mo(client, "XCYE " + "1" * 500, "d-1", received_at=WHEN).json()
    assert asked["outcome"] == "did_you_mean" and "Y" in asked["replies"][0]["text"]
    answered = post_mo(client, "Y", "d-2", received_at=WHEN).json()
    assert answered["outcome"] == "balance" and "86.50" in answered["replies"][0]["text"]


def test_one_deliver_sm_of_2999_characters_draws_a_few_submit_sm(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    pdu = deliver_sm(1, "", data_coding=0)
    pdu.short_message = b""
    pdu.message_payload = ("XCYE " + "Y" * 2994).encode()
    [handled] = deliveries(runtime).handle_many([("main", pdu)])
    assert handled.status == pdus.ROK
    (reply,) = outbox(runtime)
    assert parts(reply.text) <= 3


def test_with_echo_cuts_only_the_quote() -> None:
    quoted = with_echo("did_you_mean", Language.EN, "CXYE " + "Y" * 900, max_parts=1)
    assert parts(quoted) == 1 and quoted.startswith('Did you mean "CXYE YYY') and "…" in quoted
    facts = "H" * 400
    only_facts = with_echo("unknown_keyword", Language.EN, "X" * 50, max_parts=1, help=facts)
    assert facts in only_facts and "X" not in only_facts  # the facts go whole, the quote empty
