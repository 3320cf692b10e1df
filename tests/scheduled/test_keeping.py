"""The `Y` that keeps a free experience at its normal fee (DOMAIN.md §5, §4.1), on
both databases: only the answer to a reminder that has left, within the
confirmation window after it left, while the free period still runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from app.runtime import Runtime
from app.services.answers import ReplyContext
from tests.scheduled.helpers import (
    MSISDN,
    activation,
    add_activation,
    deliver,
    local,
    outbox,
    run,
)
from tests.services.messaging import CONTEXT, send

pytestmark = pytest.mark.usefixtures("catalog")

#: IWJZS on 11 August 2026, joined December 2025: free September to November.
FREE_UNTIL = date(2026, 11, 30)
#: The run at 07:30 queues the reminder; it leaves when the operator's hours open.
QUEUED_AT = local(2026, 11, 23, 7, 30)
LEAVES_AT = local(2026, 11, 23, 8, 0)


def signed_up(runtime: Runtime, add_subscriber: Callable) -> int:
    """The subscriber's id."""
    sid = add_subscriber(MSISDN, opened_on=date(2025, 12, 1))
    assert send(runtime, "IWJZS 2", at=local(2026, 8, 11)).outcome == "activated"
    return sid


def reminded(runtime: Runtime, add_subscriber: Callable, at: datetime = QUEUED_AT) -> int:
    """The reminder queued (not yet sent); the activation's id."""
    sid = signed_up(runtime, add_subscriber)
    assert run(runtime, at).reminders == 1
    with runtime.uow_factory() as uow:
        (row,) = uow.activations.of_subscriber(sid)
        return row.id


def yes(runtime: Runtime, at: datetime, context: ReplyContext = CONTEXT) -> str:
    return send(runtime, "Y", at=at, context=context).outcome


def test_the_reminder_says_the_window(runtime: Runtime, add_subscriber: Callable) -> None:
    reminded(runtime, add_subscriber)
    (notice,) = [r for r in outbox(runtime, MSISDN) if r.inbound_message_id is None]
    assert "24小时内回复Y按26元/月继续使用" in notice.text


def test_y_before_the_reminder_leaves_keeps_nothing(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    aid = reminded(runtime, add_subscriber)
    result = send(runtime, "Y", at=local(2026, 11, 23, 7, 45))
    assert result.outcome == "nothing_pending"
    assert "没有待确认" in result.replies[0].text
    assert activation(runtime, aid).state == "active"
    # The reminder still applies and leaves at 08:00; a Y then keeps the service.
    assert deliver(runtime, LEAVES_AT) == 1
    assert yes(runtime, local(2026, 11, 23, 8, 5)) == "activated"
    assert activation(runtime, aid).state == "kept"


@pytest.mark.parametrize(
    ("after", "outcome"),
    [
        (timedelta(seconds=-1), "nothing_pending"),  # received before the question left
        (timedelta(0), "activated"),
        (timedelta(hours=24), "activated"),  # the window's last instant
        (timedelta(hours=24, seconds=1), "nothing_pending"),
    ],
)
def test_y_counts_within_the_window_after_the_reminder_left(
    runtime: Runtime, add_subscriber: Callable, after: timedelta, outcome: str
) -> None:
    aid = reminded(runtime, add_subscriber)
    deliver(runtime, LEAVES_AT)
    assert yes(runtime, LEAVES_AT + after) == outcome
    assert activation(runtime, aid).state == ("kept" if outcome == "activated" else "active")


def test_y_days_after_the_reminder_keeps_nothing_and_the_service_lapses(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    aid = reminded(runtime, add_subscriber)
    deliver(runtime, LEAVES_AT)
    assert yes(runtime, local(2026, 11, 29, 20, 0)) == "nothing_pending"
    assert run(runtime, local(2026, 12, 1, 7, 0)).lapsed == 1
    assert activation(runtime, aid).state == "lapsed"


@pytest.mark.parametrize(
    ("after", "outcome"),
    [(timedelta(hours=48), "activated"), (timedelta(hours=48, seconds=1), "nothing_pending")],
)
def test_the_window_is_the_configured_one(
    runtime: Runtime, add_subscriber: Callable, after: timedelta, outcome: str
) -> None:
    wide = runtime.with_settings(confirm_hours=48)
    signed_up(runtime, add_subscriber)
    assert run(wide, QUEUED_AT).reminders == 1
    (notice,) = [r for r in outbox(runtime, MSISDN) if r.inbound_message_id is None]
    assert "48小时内回复Y" in notice.text
    deliver(runtime, LEAVES_AT)
    assert yes(runtime, LEAVES_AT + after, wide.reply_context) == outcome


def test_y_after_the_reminder_was_dropped_unsent_keeps_nothing(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    aid = reminded(runtime, add_subscriber)
    assert send(runtime, "T", at=local(2026, 11, 23, 7, 40)).outcome == "opted_out"
    assert send(runtime, "START", at=local(2026, 11, 23, 7, 50)).outcome == "opted_in"
    assert deliver(runtime, LEAVES_AT) == 0  # the question with the price never left
    (notice,) = [r for r in outbox(runtime, MSISDN) if r.inbound_message_id is None]
    assert notice.state == "dropped"
    assert yes(runtime, local(2026, 11, 23, 9, 0)) == "nothing_pending"
    assert run(runtime, local(2026, 12, 1, 7, 0)).lapsed == 1
    assert activation(runtime, aid).state == "lapsed"


@pytest.mark.parametrize(
    ("at", "outcome"),
    [
        (local(2026, 11, 30, 23, 59), "activated"),  # the last free day
        (local(2026, 12, 1, 0, 0), "nothing_pending"),  # within 24 hours, but the period ended
    ],
)
def test_y_keeps_only_while_the_free_period_runs(
    runtime: Runtime, add_subscriber: Callable, at: datetime, outcome: str
) -> None:
    # The runs of the days before were missed: the reminder goes on the last free day.
    aid = reminded(runtime, add_subscriber, at=local(2026, 11, 30, 21, 0))
    assert deliver(runtime, local(2026, 11, 30, 21, 0)) == 1
    assert yes(runtime, at) == outcome
    assert activation(runtime, aid).state == ("kept" if outcome == "activated" else "active")
    assert activation(runtime, aid).ends_on == FREE_UNTIL


@pytest.mark.parametrize(
    ("on", "period"),
    [
        (date(2026, 11, 30), "（免费至2026年11月30日，之后26元/月）"),  # the last free day
        (date(2026, 12, 1), "（26元/月）"),  # the first paid day: in force, no end date
    ],
)
def test_cxtc_shows_a_kept_package_at_its_fee(
    runtime: Runtime, add_subscriber: Callable, on: date, period: str
) -> None:
    reminded(runtime, add_subscriber)
    deliver(runtime, LEAVES_AT)
    assert yes(runtime, local(2026, 11, 23, 9, 0)) == "activated"
    assert run(runtime, local(2026, 12, 1, 7, 0)).lapsed == 0
    text = send(runtime, "CXTC", at=local(on.year, on.month, on.day)).replies[0].text
    assert f"我家26元套餐{period}" in text
    if on > FREE_UNTIL:
        assert "2026年11月30日" not in text and "至" not in text  # no end date, none past


@pytest.fixture
def selects(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        # The catalog is read again whenever its change notice arrives: not the Y's cost.
        catalog = "FROM campaigns" in statement or "FROM catalog_settings" in statement
        if statement.lstrip().upper().startswith("SELECT") and not catalog:
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", record)


def test_one_query_for_every_reminded_service(
    runtime: Runtime, add_subscriber: Callable, selects: list[str]
) -> None:
    costs = []
    for msisdn, codes in (("13800138001", ["SJB"]), ("13800138002", ["SJB", "CL", "HBGJ"])):
        sid = add_subscriber(msisdn)
        for code in codes:
            add_activation(
                runtime, sid, date(2027, 8, 31), campaign_code="TY", package_code=code,
                key=f"TY:{code}",
            )  # fmt: skip
        assert run(runtime, local(2027, 8, 24, 7, 0)).reminders == len(codes)
        assert deliver(runtime, local(2027, 8, 24, 8, 0)) == len(codes)
        selects.clear()
        result = send(runtime, "Y", msisdn=msisdn, at=local(2027, 8, 24, 9, 0))
        assert result.outcome == "activated"
        costs.append(len(selects))
        assert sum("FROM notices" in statement for statement in selects) == 1
    assert costs[0] == costs[1]
