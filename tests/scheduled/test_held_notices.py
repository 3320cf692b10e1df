"""Held notices checked again when they leave (DOMAIN.md §7a, §4.1, §4.6, §5, §6), on
both databases: the opt-out and the cancel drop what they make moot in their own
transaction, and the claim drops anything else that no longer applies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import update

import app.gateways.http.kannel_sender as kannel_sender
import app.gateways.links.sender as link_sender
from app.gateways.http.kannel_sender import KannelSender
from app.gateways.smpp.esme import SubmitOutcome
from app.gateways.smpp.sender import SmppSender
from app.runtime import Runtime
from app.services.outbox import (
    ClaimedReply,
    SentPart,
    mark_sent_many,
    notice_rules,
    still_to_send,
)
from app.settings import SmppBind
from app.store.models import ActivationRow, OutboundMessageRow, SubscriberRow
from tests.scheduled.helpers import (
    MSISDN,
    Clock,
    activation,
    add_activation,
    claim,
    local,
    outbox,
    outbox_clock,
    run,
)
from tests.services.messaging import send
from tests.support.statements import statements_sent

pytestmark = pytest.mark.usefixtures("catalog")
ENDS = date(2027, 8, 31)
OTHER = "13900139000"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return outbox_clock(monkeypatch, local(2026, 11, 23, 8, 0))


def the_notice(runtime: Runtime, msisdn: str = MSISDN) -> OutboundMessageRow:
    (row,) = [r for r in outbox(runtime, msisdn) if r.inbound_message_id is None]
    return row


def dropped(runtime: Runtime, msisdn: str = MSISDN) -> tuple[str, str | None]:
    row = the_notice(runtime, msisdn)
    if row.state == "dropped":
        assert row.next_attempt_at is None and row.claimed_by is None
        assert row.finished_at is not None
    return row.state, row.drop_reason


def set_activation(runtime: Runtime, activation_id: int, state: str) -> None:
    """A change made behind the handlers' back: only the check at the claim sees it."""
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.execute(
            update(ActivationRow).where(ActivationRow.id == activation_id).values(state=state)
        )
        uow.commit()


def set_opted_out(runtime: Runtime, msisdn: str = MSISDN) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.execute(
            update(SubscriberRow).where(SubscriberRow.msisdn == msisdn).values(opted_out=True)
        )
        uow.commit()


# --- the steps: IWJZS on 2026-08-11, reminder held from 07:30 to 08:00 --------


def hold_reminder(runtime: Runtime, add_subscriber: Callable, channel: str = "smpp") -> None:
    # Joined December 2025: 3 free months, September to November.
    add_subscriber(MSISDN, opened_on=date(2025, 12, 1))
    assert send(runtime, "IWJZS 2", at=local(2026, 8, 11)).outcome == "activated"
    settings = runtime.settings.model_copy(update={"notice_channel": channel})
    assert run(runtime, local(2026, 11, 23, 7, 30), settings).reminders == 1
    row = the_notice(runtime)
    assert (row.state, row.next_attempt_at) == ("queued", local(2026, 11, 23, 8, 0))


@pytest.fixture
def held_reminder(runtime: Runtime, catalog: None, add_subscriber: Callable) -> None:
    hold_reminder(runtime, add_subscriber)


@pytest.mark.usefixtures("held_reminder")
def test_opt_out_before_the_window_opens_sends_nothing(runtime: Runtime, clock: Clock) -> None:
    assert send(runtime, "T", at=local(2026, 11, 23, 7, 40)).outcome == "opted_out"
    assert dropped(runtime) == ("dropped", "opted_out")  # by the T's own transaction
    assert claim(runtime, clock, local(2026, 11, 23, 8, 0)) == []


@pytest.mark.usefixtures("held_reminder")
def test_cancel_before_the_window_opens_sends_nothing(runtime: Runtime, clock: Clock) -> None:
    assert send(runtime, "QXIWJZS", at=local(2026, 11, 23, 7, 40)).outcome == "cancelled"
    assert dropped(runtime) == ("dropped", "cancelled")
    assert claim(runtime, clock, local(2026, 11, 23, 8, 0)) == []
    assert send(runtime, "Y", at=local(2026, 11, 23, 8, 5)).outcome == "nothing_pending"


@pytest.mark.usefixtures("held_reminder")
def test_cancel_from_the_numbered_list_drops_it_too(runtime: Runtime, clock: Clock) -> None:
    assert send(runtime, "0000", at=local(2026, 11, 23, 7, 40)).outcome == "service_list"
    assert send(runtime, "1", at=local(2026, 11, 23, 7, 41)).outcome == "cancelled"
    assert dropped(runtime) == ("dropped", "cancelled")


@pytest.mark.usefixtures("held_reminder")
def test_a_reminder_that_still_applies_is_claimed(runtime: Runtime, clock: Clock) -> None:
    assert claim(runtime, clock, local(2026, 11, 23, 7, 59)) == []  # held: not due yet
    (reply,) = claim(runtime, clock, local(2026, 11, 23, 8, 0))
    assert reply.notice and reply.id == the_notice(runtime).id
    assert still_to_send(runtime.uow_factory, [reply]) == [reply]
    assert dropped(runtime) == ("queued", None)


@pytest.mark.usefixtures("held_reminder")
def test_start_does_not_bring_back_what_the_opt_out_dropped(runtime: Runtime, clock: Clock) -> None:
    send(runtime, "T", at=local(2026, 11, 23, 7, 40))
    assert send(runtime, "START", at=local(2026, 11, 23, 7, 50)).outcome == "opted_in"
    assert claim(runtime, clock, local(2026, 11, 23, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "opted_out")
    # Later notices go out again: the lapse on 1 December.
    assert run(runtime, local(2026, 12, 1, 7, 0)).lapse_notices == 1
    (reply,) = claim(runtime, clock, local(2026, 12, 1, 8, 0))
    assert "结束" in reply.text


@pytest.mark.usefixtures("held_reminder")
def test_a_y_before_the_reminder_leaves_keeps_nothing(runtime: Runtime, clock: Clock) -> None:
    # §5: the question that states the fee has not been asked yet.
    assert send(runtime, "Y", at=local(2026, 11, 23, 7, 45)).outcome == "nothing_pending"
    assert len(claim(runtime, clock, local(2026, 11, 23, 8, 0))) == 1
    assert dropped(runtime) == ("queued", None)


def test_a_reminder_for_a_service_kept_meanwhile_is_dropped(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    aid = add_activation(runtime, add_subscriber(MSISDN), ENDS)
    run(runtime, local(2027, 8, 24, 7, 0))
    set_activation(runtime, aid, "kept")
    assert claim(runtime, clock, local(2027, 8, 24, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "kept")


# --- the check at the claim: every kind, every reason ---------------------------------


def test_reminder_for_a_service_cancelled_behind_the_handlers_back(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    aid = add_activation(runtime, add_subscriber(MSISDN), ENDS)
    run(runtime, local(2027, 8, 24, 7, 0))
    set_activation(runtime, aid, "cancelled")
    assert claim(runtime, clock, local(2027, 8, 24, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "cancelled")


def test_reminder_after_the_free_period_is_out_of_date_or_lapsed(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    first = add_activation(runtime, add_subscriber(MSISDN), ENDS)
    second = add_activation(runtime, add_subscriber(OTHER), ENDS)
    run(runtime, local(2027, 8, 31, 21, 0))  # the last free day, in time
    set_activation(runtime, second, "lapsed")  # the lapse ran first for this one
    # The senders were down until after midnight.
    assert claim(runtime, clock, local(2027, 9, 1, 0, 30)) == []
    assert dropped(runtime, MSISDN) == ("dropped", "out_of_date")
    assert dropped(runtime, OTHER) == ("dropped", "lapsed")
    assert activation(runtime, first).state == "active"  # the lapse job's to decide


def test_lapse_notice_for_a_service_kept_meanwhile(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    aid = add_activation(runtime, add_subscriber(MSISDN), ENDS)
    assert run(runtime, local(2027, 9, 1, 0, 5)).lapse_notices == 1
    set_activation(runtime, aid, "kept")
    assert claim(runtime, clock, local(2027, 9, 1, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "kept")


def test_lapse_notice_that_still_applies_goes(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_activation(runtime, add_subscriber(MSISDN), ENDS)
    run(runtime, local(2027, 9, 1, 0, 5))
    assert len(claim(runtime, clock, local(2027, 9, 1, 8, 0))) == 1


def test_birthday_greeting_after_the_birthday_is_dropped(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_subscriber(MSISDN, contact_window="21:00-23:00")
    assert run(runtime, local(2026, 6, 18, 9, 0)).birthdays == 1  # held until 21:00
    assert claim(runtime, clock, local(2026, 6, 19, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "out_of_date")


def test_birthday_greeting_on_the_day_goes(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_subscriber(MSISDN, contact_window="21:00-23:00")
    run(runtime, local(2026, 6, 18, 9, 0))
    assert len(claim(runtime, clock, local(2026, 6, 18, 21, 59))) == 1


def test_opted_out_behind_the_handlers_back_is_dropped_at_the_claim(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_subscriber(MSISDN)
    run(runtime, local(2026, 6, 18, 6, 0))
    set_opted_out(runtime)
    assert claim(runtime, clock, local(2026, 6, 18, 8, 0)) == []
    assert dropped(runtime) == ("dropped", "opted_out")


CONTRACT = {"years": 12, "minutes": 280, "qualifying_spend_fen": 120_00, "contract_months": 12}


def test_opt_out_drops_every_kind_held_and_nothing_of_anyone_else(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    usage = {"2026-09": (120_00, 300)}
    for msisdn in (MSISDN, OTHER):
        sid = add_subscriber(msisdn, usage=usage, birthday=date(1980, 11, 23))
        add_activation(runtime, sid, date(2026, 11, 30), starts_on=date(2026, 9, 1))
        add_activation(
            runtime, sid, date(2026, 11, 1), key="gone", starts_on=date(2026, 9, 1)
        )  # lapses
        add_activation(
            runtime,
            sid,
            date(2027, 8, 31),
            kind="tenure_reward",
            campaign_code="WLYH",
            key="WLYH",
            starts_on=date(2026, 9, 1),
            fee_fen=0,
            details=CONTRACT,
        )
    cap = runtime.settings.model_copy(update={"notice_daily_cap": 9})
    report = run(runtime, local(2026, 11, 23, 7, 0), cap)
    assert (report.reminders, report.lapse_notices, report.birthdays) == (2, 2, 2)
    assert report.credit_notices == 2
    send(runtime, "T", at=local(2026, 11, 23, 7, 40))
    mine = [r for r in outbox(runtime, MSISDN) if r.inbound_message_id is None]
    assert {(r.state, r.drop_reason) for r in mine} == {("dropped", "opted_out")}
    assert len(mine) == 4
    theirs = claim(runtime, clock, local(2026, 11, 23, 8, 0), rules=notice_rules(cap))
    assert {r.msisdn for r in theirs} == {OTHER} and len(theirs) == 4


def test_cancel_drops_only_that_services_reminder(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    sid = add_subscriber(MSISDN)
    add_activation(runtime, sid, ENDS)
    add_activation(runtime, sid, ENDS, campaign_code="TY", package_code="SJB", key="TY:SJB")
    run(runtime, local(2027, 8, 24, 7, 0))
    assert send(runtime, "QXIWJZS", at=local(2027, 8, 24, 7, 30)).outcome == "cancelled"
    (reply,) = claim(runtime, clock, local(2027, 8, 24, 8, 0))
    assert "手机报" in reply.text
    states = sorted(
        (r.state, r.drop_reason) for r in outbox(runtime) if r.inbound_message_id is None
    )
    assert states == [("dropped", "cancelled"), ("queued", None)]


# --- notices in a sender's hands when the opt-out or the cancel commits ---------------


@pytest.mark.usefixtures("held_reminder")
@pytest.mark.parametrize(("text", "reason"), [("T", "opted_out"), ("QXIWJZS", "cancelled")])
def test_claimed_notice_is_not_handed_over_after_the_opt_out_or_cancel(
    runtime: Runtime, clock: Clock, text: str, reason: str
) -> None:
    (reply,) = claim(runtime, clock, local(2026, 11, 23, 8, 0))
    send(runtime, text, at=local(2026, 11, 23, 8, 1))
    assert dropped(runtime) == ("dropped", reason)
    assert still_to_send(runtime.uow_factory, [reply]) == []


@pytest.mark.usefixtures("held_reminder")
def test_claimed_notice_moot_by_other_means_is_dropped_at_the_hand_over(
    runtime: Runtime, clock: Clock
) -> None:
    (reply,) = claim(runtime, clock, local(2026, 11, 23, 8, 0))
    set_opted_out(runtime)
    assert still_to_send(runtime.uow_factory, [reply]) == []
    assert dropped(runtime) == ("dropped", "opted_out")


class FakeLink:
    """A bound transmitter that accepts every submit_sm."""

    def __init__(self) -> None:
        self.config = SmppBind(name="fake", host="127.0.0.1", system_id="smshall")
        self.submitted: list[dict] = []

    def submit(self, fields: dict) -> SubmitOutcome:
        self.submitted.append(fields)
        return SubmitOutcome(0, f"m{len(self.submitted)}")


class FakeTransmitters:
    any_transmitter = True

    def __init__(self) -> None:
        self.link = FakeLink()

    def transmitter(self) -> FakeLink:
        return self.link

    def window_capacity(self) -> int:
        return 10


def opt_out_after_claiming(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, module) -> None:
    """The sender's claim commits, then the subscriber's `T` does."""
    real = module.claim_replies

    def claim_then_opt_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        claimed = real(*args, **kwargs)
        assert send(runtime, "T", at=local(2026, 11, 23, 8, 1)).outcome == "opted_out"
        return claimed

    monkeypatch.setattr(module, "claim_replies", claim_then_opt_out)


@pytest.mark.usefixtures("held_reminder")
@pytest.mark.parametrize("opts_out", [False, True])
def test_smpp_sender_does_not_submit_a_notice_dropped_after_its_claim(
    runtime: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch, opts_out: bool
) -> None:
    clock.now = local(2026, 11, 23, 8, 0)
    if opts_out:
        opt_out_after_claiming(runtime, monkeypatch, link_sender)
    transmitters = FakeTransmitters()
    sender = SmppSender(runtime.uow_factory, transmitters, runtime.settings, worker="smpp")
    sender._marks.start()
    try:
        assert sender.claim_and_send() == 1
    finally:
        sender.stop()
    assert len(transmitters.link.submitted) == int(not opts_out)
    assert dropped(runtime) == (("dropped", "opted_out") if opts_out else ("sent", None))


@pytest.mark.parametrize("opts_out", [False, True])
def test_kannel_sender_does_not_send_a_notice_dropped_after_its_claim(
    runtime: Runtime,
    add_subscriber: Callable,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    opts_out: bool,
) -> None:
    hold_reminder(runtime, add_subscriber, channel="kannel")
    clock.now = local(2026, 11, 23, 8, 0)
    if opts_out:
        opt_out_after_claiming(runtime, monkeypatch, kannel_sender)
    calls: list[httpx.Request] = []

    def kannel(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    client = httpx.Client(transport=httpx.MockTransport(kannel))
    assert KannelSender(runtime.uow_factory, runtime.settings, client).send_due() == 1
    assert len(calls) == int(not opts_out)
    assert dropped(runtime) == (("dropped", "opted_out") if opts_out else ("sent", None))


# --- set-based: a statement count that does not grow with the batch -------------------


@pytest.fixture
def statements(runtime: Runtime) -> Iterator[list[str]]:
    with statements_sent(runtime.engine) as sent:
        yield sent


def _held_for(runtime: Runtime, add_subscriber: Callable, count: int, first: int) -> None:
    for n in range(first, first + count):
        add_activation(runtime, add_subscriber(f"1380013{n:04d}"), ENDS)


@pytest.mark.parametrize("moot", [False, True])
def test_claim_and_hand_over_cost_the_same_for_one_notice_or_many(
    runtime: Runtime,
    add_subscriber: Callable,
    clock: Clock,
    statements: list[str],
    moot: bool,
) -> None:
    costs = []
    for day_, count in ((24, 1), (25, 6)):
        _held_for(runtime, add_subscriber, count, first=day_ * 100)
        run(runtime, local(2027, 8, day_, 7, 0))
        if moot:
            with runtime.uow_factory() as uow:
                assert uow.session is not None
                uow.session.execute(update(SubscriberRow).values(opted_out=True))
                uow.commit()
        statements.clear()
        claimed = claim(runtime, clock, local(2027, 8, day_, 8, 0))
        assert len(claimed) == (0 if moot else count)
        at_claim = len(statements)
        statements.clear()
        fake = [ClaimedReply(i, "", "", "", 1, notice=True) for i in range(1, count + 1)]
        still_to_send(runtime.uow_factory, claimed or fake)
        costs.append((at_claim, len(statements)))
        mark_sent_many(runtime.uow_factory, [(r.id, [SentPart("t", f"m{r.id}")]) for r in claimed])
    assert costs[0] == costs[1]


def test_answers_are_handed_over_without_a_query(runtime: Runtime, statements: list[str]) -> None:
    answers = [ClaimedReply(i, MSISDN, "10086", "hi", 1) for i in range(5)]
    assert still_to_send(runtime.uow_factory, answers) == answers
    assert statements == []
