"""handle_inbound_many: several MOs in one transaction, each in a savepoint of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.runtime import Runtime
from app.services import inbound
from app.services.inbound import (
    InboundMessage,
    InboundResult,
    MessageIdTaken,
    OutboxClaim,
    handle_inbound_many,
)
from app.services.outbox import claim_replies
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from tests.services.messaging import CONTEXT, NOV_23, count, fail_store_for, send
from tests.support.statements import first_words, statements_sent

pytestmark = pytest.mark.usefixtures("catalog")


def mo(message_id: str, text: str, msisdn: str = "13800138000", seconds: int = 0) -> InboundMessage:
    at = NOV_23 + timedelta(seconds=seconds)
    return InboundMessage("test", message_id, msisdn, "10086", text, at)


def test_each_message_gets_its_own_answer_and_reply_row(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", balance_fen=86_50)
    add_subscriber("13800138001", balance_fen=12_30)
    results = handle_inbound_many(
        runtime.uow_factory,
        [mo("a", "CXYE"), mo("b", "CXYE", "13800138001"), mo("c", "nonsense")],
        CONTEXT,
        reply_channel="smpp",
    )
    assert all(isinstance(r, InboundResult) for r in results)
    texts = [r.replies[0].text for r in results if isinstance(r, InboundResult)]
    assert "86.50" in texts[0] and "12.30" in texts[1]
    assert results[2].outcome != results[0].outcome  # type: ignore[union-attr]
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.scalars(select(OutboundMessageRow).order_by(OutboundMessageRow.id))
        assert [(r.msisdn, r.channel, r.state) for r in rows] == [
            ("13800138000", "smpp", "queued"),
            ("13800138001", "smpp", "queued"),
            ("13800138000", "smpp", "queued"),
        ]


def test_a_later_message_sees_what_an_earlier_one_in_the_batch_wrote(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    first, second = handle_inbound_many(
        runtime.uow_factory,
        [mo("a", "IWJZS 2"), mo("b", "IWJZS 2", seconds=1)],
        CONTEXT,
        reply_channel="smpp",
    )
    assert isinstance(first, InboundResult) and isinstance(second, InboundResult)
    assert (first.outcome, second.outcome) == ("activated", "already_active")
    assert count(runtime, ActivationRow) == 1


def test_the_same_message_id_twice_in_a_batch_is_acted_on_once(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    first, again = handle_inbound_many(
        runtime.uow_factory, [mo("a", "IWJZS 2"), mo("a", "IWJZS 2")], CONTEXT, "smpp"
    )
    assert isinstance(first, InboundResult) and isinstance(again, InboundResult)
    assert again.duplicate and again.replies == first.replies
    assert count(runtime, ActivationRow) == 1
    assert count(runtime, InboundMessageRow) == 1
    assert count(runtime, OutboundMessageRow) == 1


def test_a_message_recorded_before_gets_its_first_answer(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", balance_fen=86_50)
    earlier = send(runtime, "CXYE", message_id="a")
    [again] = handle_inbound_many(runtime.uow_factory, [mo("a", "CXYE")], CONTEXT, "smpp")
    assert isinstance(again, InboundResult) and again.duplicate
    assert again.replies[0].text == earlier.replies[0].text
    assert count(runtime, InboundMessageRow) == 1


def test_a_failing_message_rolls_back_alone(
    runtime: Runtime, add_subscriber: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscriber("13800138000")
    add_subscriber("13800138001")
    fail_store_for(monkeypatch, "13800138001")
    results = handle_inbound_many(
        runtime.uow_factory,
        [mo("a", "IWJZS 2"), mo("b", "IWJZS 2", "13800138001"), mo("c", "CXYE")],
        CONTEXT,
        "smpp",
    )
    assert isinstance(results[1], OperationalError)
    assert isinstance(results[0], InboundResult) and results[0].outcome == "activated"
    assert isinstance(results[2], InboundResult)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        recorded = uow.session.scalars(select(InboundMessageRow.gateway_message_id)).all()
        assert sorted(recorded) == ["a", "c"]  # b's inbound row went with its savepoint
        replies = uow.session.scalars(select(OutboundMessageRow.msisdn)).all()
        assert "13800138001" not in replies
    assert count(runtime, ActivationRow) == 1
    # The failed message can be delivered again and is then acted on.
    monkeypatch.undo()
    [retried] = handle_inbound_many(
        runtime.uow_factory, [mo("b", "IWJZS 2", "13800138001")], CONTEXT, "smpp"
    )
    assert isinstance(retried, InboundResult) and retried.outcome == "activated"
    assert count(runtime, ActivationRow) == 2


#: One number's traffic in a batch: reads, a question asked (menu, did-you-mean, the
#: `0000` list), a question answered, an activation, an opt-out, an unknown number.
MIX = ("CXYE", "CD", "XCYE", "IWJZS 2", "0000", "T", "HELP")


def statements_for(runtime: Runtime, messages: list[InboundMessage]) -> list[str]:
    """The SQL statements one `handle_inbound_many` call sends, by their first words."""
    with statements_sent(runtime.engine) as sent:
        results = handle_inbound_many(runtime.uow_factory, messages, CONTEXT, "smpp")
    assert all(isinstance(r, InboundResult) for r in results)
    return first_words(sent, 4)


def test_a_batch_costs_the_same_statements_whatever_its_size(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    """DESIGN.md, "Batches, not messages": N MOs, a constant number of statements.

    Twelve numbers, each sending one text of the mix per batch: a batch of 10
    must send exactly the statements of a batch of 2 of the same kinds. A query
    per message anywhere on the path makes the larger batch's count grow.
    """
    numbers = [f"1380013{n:04d}" for n in range(13)]
    for number in numbers[:-1]:  # the last one is not a subscriber
        add_subscriber(number)
    ids = iter(range(10_000))
    statements_for(runtime, [mo("warm-up", "HELP", numbers[0], seconds=-1)])  # catalog built
    for step, text in enumerate(MIX):

        def batch(of: list[str], step: int = step, text: str = text) -> list[InboundMessage]:
            return [mo(f"m{next(ids)}", text, number, seconds=step) for number in of]

        alone = statements_for(runtime, batch(numbers[:2]))
        together = statements_for(runtime, batch(numbers[2:]))
        assert "SAVEPOINT" not in together
        assert sorted(together) == sorted(alone), text


def test_a_batch_sends_no_statement_per_message_for_any_kind_of_text(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    """The whole mix in one batch, one number a text: the mix three times over
    costs exactly the statements of the mix twice over."""
    numbers = [f"1380014{n:04d}" for n in range(len(MIX) * 5)]
    for number in numbers:
        add_subscriber(number)

    def mixed(of: list[str], prefix: str) -> list[InboundMessage]:
        return [mo(f"{prefix}{i}", MIX[i % len(MIX)], number) for i, number in enumerate(of)]

    statements_for(runtime, [mo("warm-up", "HELP", numbers[0], seconds=-1)])  # catalog built
    twice = statements_for(runtime, mixed(numbers[: 2 * len(MIX)], "s"))
    thrice = statements_for(runtime, mixed(numbers[2 * len(MIX) :], "l"))
    assert sorted(thrice) == sorted(twice)


def test_replies_of_the_claimed_channel_are_claimed_as_they_are_written(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    claim = OutboxClaim("smpp", "gateway-1", lease=120)
    first, duplicate = handle_inbound_many(
        runtime.uow_factory, [mo("a", "CXYE"), mo("a", "CXYE")], CONTEXT, "smpp", claim=claim
    )
    assert isinstance(first, InboundResult) and isinstance(duplicate, InboundResult)
    [claimed] = first.claimed
    assert claimed.text == first.replies[0].text and claimed.attempts == 1
    assert duplicate.duplicate and duplicate.claimed == ()  # nothing new to send
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(OutboundMessageRow, claimed.id)
        assert row is not None and (row.state, row.claimed_by) == ("queued", "gateway-1")
    # Held by its lease: no poller takes it meanwhile.
    assert claim_replies(runtime.uow_factory, "smpp", "poller", limit=10, lease=60) == []


def test_without_a_claim_replies_wait_for_the_poller(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    [result] = handle_inbound_many(runtime.uow_factory, [mo("a", "CXYE")], CONTEXT, "smpp")
    assert isinstance(result, InboundResult) and result.claimed == ()
    [taken] = claim_replies(runtime.uow_factory, "smpp", "poller", limit=10, lease=60)
    assert taken.text == result.replies[0].text


def test_a_message_failing_only_when_its_rows_are_flushed_fails_alone(
    runtime: Runtime, add_subscriber: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reply row is written when the message's savepoint is released: a failure
    there belongs to that message too, and the others still commit."""
    add_subscriber("13800138000")
    add_subscriber("13800138001")
    real = inbound._outbox_row

    def unstorable_for_one_number(inbound_id, reply):  # type: ignore[no-untyped-def]
        row = real(inbound_id, reply)
        if reply.to == "13800138001":
            row.sender = None  # NOT NULL: refused by the database at flush
        return row

    monkeypatch.setattr(inbound, "_outbox_row", unstorable_for_one_number)
    results = handle_inbound_many(
        runtime.uow_factory,
        [mo("a", "CXYE"), mo("b", "CXYE", "13800138001"), mo("c", "HELP")],
        CONTEXT,
        "smpp",
    )
    assert len(results) == 3
    assert isinstance(results[0], InboundResult) and isinstance(results[2], InboundResult)
    assert isinstance(results[1], Exception)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        recorded = uow.session.scalars(select(InboundMessageRow.gateway_message_id)).all()
        assert sorted(recorded) == ["a", "c"]


def test_one_message_id_from_two_numbers_answers_the_first_only(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    """In one batch or the next, a repeated id from another number is refused
    (`MessageIdTaken`), never answered with the first number's reply."""
    add_subscriber("13800138000")
    add_subscriber("13800138001")
    first, same_batch = handle_inbound_many(
        runtime.uow_factory,
        [mo("a", "CXYE"), mo("a", "CXYE", "13800138001")],
        CONTEXT,
        "smpp",
    )
    assert isinstance(first, InboundResult) and first.outcome == "balance"
    assert isinstance(same_batch, MessageIdTaken)
    [next_batch] = handle_inbound_many(
        runtime.uow_factory, [mo("a", "CXYE", "13800138001")], CONTEXT, "smpp"
    )
    assert isinstance(next_batch, MessageIdTaken)
    assert count(runtime, InboundMessageRow) == 1 and count(runtime, OutboundMessageRow) == 1
