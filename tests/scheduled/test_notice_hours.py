"""A notice still queued past its slot (a sender down, a backlog, a retry pushed late)
leaves only when DOMAIN.md §7a allows it at the claim: operator hours 08:00-22:00, the
subscriber's contact window as it stands then, and the day's cap of notices per number.
Otherwise the claim puts it back until the next time allowed, or drops it `out_of_date`
when that is past its end. Answers to MOs are no notices: they leave at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from app.domain.held_notices import NoticeRules
from app.gateways.http.kannel_sender import KannelSender
from app.runtime import Runtime
from app.services.inbound import InboundMessage, handle_inbound
from app.services.outbox import SentPart, mark_sent_many
from app.store.models import SubscriberRow
from tests.scheduled.helpers import (
    MSISDN,
    Clock,
    add_activation,
    claim,
    local,
    notices,
    outbox,
    outbox_clock,
    run,
)
from tests.services.messaging import CONTEXT
from tests.support.statements import first_words, statements_sent

pytestmark = pytest.mark.usefixtures("catalog")
ENDS = date(2027, 8, 31)
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return outbox_clock(monkeypatch, local(2027, 8, 24, 8, 0))


def sent(runtime: Runtime, claimed: list) -> None:
    mark_sent_many(runtime.uow_factory, [(r.id, [SentPart("t", f"m{r.id}")]) for r in claimed])


def answer_mo(runtime: Runtime, at: datetime, message_id: str = "mo-1") -> None:
    """A `CX` at `at` whose answer goes out by SMS through the outbox."""
    message = InboundMessage("test", message_id, MSISDN, "10086", "CX", at)
    handle_inbound(runtime.uow_factory, message, CONTEXT, "smpp")


def notice_rows(runtime: Runtime, msisdn: str = MSISDN) -> list:
    return [r for r in outbox(runtime, msisdn) if r.inbound_message_id is None]


def assert_held_until(runtime: Runtime, at: datetime, msisdn: str = MSISDN) -> None:
    """Queued again, unleased, its attempts as they were, until `at`; its notice
    counted on that local day."""
    (row,) = [
        r for r in notice_rows(runtime, msisdn) if r.state == "queued" and r.claimed_by is None
    ]
    assert (row.next_attempt_at, row.claimed_by, row.attempts) == (at, None, 0)
    (notice,) = [n for n in notices(runtime) if n.outbound_message_id == row.id]
    assert notice.local_day == at.date()


def queue_reminder(runtime: Runtime, add_subscriber: Callable, **subscriber: object) -> None:
    add_activation(runtime, add_subscriber(MSISDN, **subscriber), ENDS)
    assert run(runtime, local(2027, 8, 24, 10, 0)).reminders == 1


# --- operator hours --------------------------------------------------------------------


def test_claimed_at_23_30_waits_for_08_00(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    queue_reminder(runtime, add_subscriber)
    assert claim(runtime, clock, local(2027, 8, 24, 23, 30)) == []
    assert_held_until(runtime, local(2027, 8, 25, 8, 0))
    assert claim(runtime, clock, local(2027, 8, 25, 7, 59)) == []  # not due yet
    assert len(claim(runtime, clock, local(2027, 8, 25, 8, 0))) == 1


def test_claimed_at_23_30_waits_for_the_contact_window(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    queue_reminder(runtime, add_subscriber, contact_window="09:00-12:00")
    assert claim(runtime, clock, local(2027, 8, 24, 23, 30)) == []
    assert_held_until(runtime, local(2027, 8, 25, 9, 0))


def test_claimed_before_dawn_waits_for_08_00_that_day(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    queue_reminder(runtime, add_subscriber)
    assert claim(runtime, clock, local(2027, 8, 25, 3, 0)) == []
    assert_held_until(runtime, local(2027, 8, 25, 8, 0))


@pytest.mark.parametrize(
    ("hour", "minute", "leaves"), [(21, 59, True), (22, 0, False), (7, 59, False), (8, 0, True)]
)
def test_the_edges_of_operator_hours(
    runtime: Runtime, add_subscriber: Callable, clock: Clock, hour: int, minute: int, leaves: bool
) -> None:
    queue_reminder(runtime, add_subscriber)
    day = 24 if hour >= 12 else 25
    claimed = claim(runtime, clock, local(2027, 8, day, hour, minute))
    assert len(claimed) == int(leaves)
    if leaves:
        assert claimed[0].attempts == 1
    else:
        assert_held_until(runtime, local(2027, 8, 25, 8, 0))


# --- the subscriber's contact window ---------------------------------------------------


def test_claimed_after_the_window_closed_waits_for_it_to_open_again(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_activation(runtime, add_subscriber(MSISDN, contact_window="14:00-16:00"), ENDS)
    assert run(runtime, local(2027, 8, 24, 10, 0)).reminders == 1  # held until 14:00
    assert claim(runtime, clock, local(2027, 8, 24, 16, 0)) == []
    assert_held_until(runtime, local(2027, 8, 25, 14, 0))
    assert len(claim(runtime, clock, local(2027, 8, 25, 14, 0))) == 1


def test_the_window_set_after_the_notice_was_queued_holds_it(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    queue_reminder(runtime, add_subscriber)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.execute(update(SubscriberRow).values(contact_window="18:00-20:00"))
        uow.commit()
    assert claim(runtime, clock, local(2027, 8, 24, 10, 5)) == []
    assert_held_until(runtime, local(2027, 8, 24, 18, 0))


# --- the daily cap ---------------------------------------------------------------------


def four_for_one_day(runtime: Runtime, add_subscriber: Callable) -> None:
    """Four reminders to one number all due on 25 August at 09:00 (a job run with a
    higher cap than the senders', say)."""
    sid = add_subscriber(MSISDN)
    for key in ("a", "b", "c", "d"):
        add_activation(runtime, sid, ENDS, key=key)
    cap = runtime.settings.model_copy(update={"notice_daily_cap": 9})
    assert run(runtime, local(2027, 8, 25, 9, 0), cap).reminders == 4


def test_the_fourth_after_three_sent_today_waits_for_tomorrow(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    four_for_one_day(runtime, add_subscriber)
    first = claim(runtime, clock, local(2027, 8, 25, 9, 0), limit=3)
    assert len(first) == 3
    sent(runtime, first)
    assert claim(runtime, clock, local(2027, 8, 25, 9, 1)) == []
    assert_held_until(runtime, local(2027, 8, 26, 8, 0))
    assert len(claim(runtime, clock, local(2027, 8, 26, 8, 0))) == 1


def test_notices_another_sender_holds_count_against_the_cap(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    four_for_one_day(runtime, add_subscriber)
    assert len(claim(runtime, clock, local(2027, 8, 25, 9, 0), limit=3)) == 3  # not sent yet
    assert (
        claim(
            runtime,
            clock,
            local(
                2027,
                8,
                25,
                9,
                0,
            ),
        )
        == []
    )
    assert_held_until(runtime, local(2027, 8, 26, 8, 0))


def test_one_claim_sends_no_more_than_the_cap(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    four_for_one_day(runtime, add_subscriber)
    assert len(claim(runtime, clock, local(2027, 8, 25, 9, 0))) == 3
    assert_held_until(runtime, local(2027, 8, 26, 8, 0))


def test_a_backlog_from_yesterday_keeps_to_todays_cap(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    sid = add_subscriber(MSISDN)
    add_activation(runtime, sid, ENDS)
    assert run(runtime, local(2027, 8, 24, 10, 0)).reminders == 1  # the senders were down
    for key in ("b", "c", "d"):
        add_activation(runtime, sid, date(2027, 9, 1), key=key)
    assert run(runtime, local(2027, 8, 25, 9, 0)).reminders == 3
    assert len(claim(runtime, clock, local(2027, 8, 25, 10, 0))) == 3
    assert_held_until(runtime, local(2027, 8, 26, 8, 0))


def test_the_cap_counts_per_number_and_per_day(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    other = "13900139000"
    four_for_one_day(runtime, add_subscriber)
    add_activation(runtime, add_subscriber(other), ENDS)
    assert run(runtime, local(2027, 8, 25, 9, 0)).reminders == 1
    sent(runtime, claim(runtime, clock, local(2027, 8, 25, 9, 0)))
    assert [r.state for r in notice_rows(runtime, other)] == ["sent"]
    assert_held_until(runtime, local(2027, 8, 26, 8, 0))
    assert len(claim(runtime, clock, local(2027, 8, 26, 8, 0))) == 1  # a new day


def test_the_configured_cap_is_the_claims(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    four_for_one_day(runtime, add_subscriber)
    claimed = claim(runtime, clock, local(2027, 8, 25, 9, 0), rules=NoticeRules(SH, 9))
    assert len(claimed) == 4


def test_the_sender_claims_by_its_settings(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    sid = add_subscriber(MSISDN)
    add_activation(runtime, sid, ENDS, key="a")
    add_activation(runtime, sid, ENDS, key="b")
    settings = runtime.settings.model_copy(update={"notice_channel": "kannel"})
    assert run(runtime, local(2027, 8, 25, 9, 0), settings).reminders == 2
    clock.now = local(2027, 8, 25, 9, 0)
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(202, text="0: Accepted"))
    )
    one = settings.model_copy(update={"notice_daily_cap": 1})
    assert KannelSender(runtime.uow_factory, one, client).send_due() == 1
    assert sorted(r.state for r in notice_rows(runtime)) == ["queued", "sent"]


# --- a next allowed time past the notice's end ------------------------------------------


def test_held_past_its_end_is_dropped_out_of_date(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_subscriber(MSISDN)
    assert run(runtime, local(2026, 6, 18, 9, 0)).birthdays == 1  # for the birthday only
    assert claim(runtime, clock, local(2026, 6, 18, 22, 30)) == []
    ((state, reason, at),) = [(r.state, r.drop_reason, r.next_attempt_at) for r in outbox(runtime)]
    assert (state, reason, at) == ("dropped", "out_of_date", None)


def test_a_reminder_on_the_last_free_day_claimed_too_late_is_dropped(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    add_activation(runtime, add_subscriber(MSISDN, contact_window="09:00-12:00"), ENDS)
    assert run(runtime, local(2027, 8, 31, 10, 0)).reminders == 1
    assert claim(runtime, clock, local(2027, 8, 31, 12, 30)) == []
    assert [(r.state, r.drop_reason) for r in outbox(runtime)] == [("dropped", "out_of_date")]


# --- answers to MOs are no notices --------------------------------------------------------


def test_an_answer_claimed_at_23_30_leaves_at_once(
    runtime: Runtime, add_subscriber: Callable, clock: Clock
) -> None:
    queue_reminder(runtime, add_subscriber)
    answer_mo(runtime, local(2027, 8, 24, 23, 30))
    claimed = claim(runtime, clock, local(2027, 8, 24, 23, 30))
    assert [r.notice for r in claimed] == [False]
    assert_held_until(runtime, local(2027, 8, 25, 8, 0))


@pytest.fixture
def statements(runtime: Runtime) -> Iterator[list[str]]:
    with statements_sent(runtime.engine) as sent:
        yield sent


def test_a_claim_of_answers_reads_nothing_of_notices(
    runtime: Runtime, add_subscriber: Callable, clock: Clock, statements: list[str]
) -> None:
    add_subscriber(MSISDN)
    for n in range(3):
        answer_mo(runtime, local(2027, 8, 24, 23, 30 + n), f"mo-{n}")
    statements.clear()
    assert len(claim(runtime, clock, local(2027, 8, 24, 23, 40))) == 3
    sent = [s for s in first_words(statements, 1) if s not in ("BEGIN", "COMMIT")]
    assert sent == ["SELECT", "UPDATE"]


def test_holding_costs_the_same_for_one_notice_or_many(
    runtime: Runtime, add_subscriber: Callable, clock: Clock, statements: list[str]
) -> None:
    costs = []
    for day_, count in ((24, 1), (25, 6)):
        for n in range(count):
            add_activation(runtime, add_subscriber(f"1380013{day_:02d}{n:02d}"), ENDS)
        run(runtime, local(2027, 8, day_, 10, 0))
        statements.clear()
        assert claim(runtime, clock, local(2027, 8, day_, 23, 0)) == []
        costs.append(len(statements))
    assert costs[0] == costs[1]
