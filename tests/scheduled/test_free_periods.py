"""Reminders before a free period ends, lapses after it, and the `Y` that keeps it
(DOMAIN.md §4.1, §5, §7a), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.runtime import Runtime
from tests.scheduled.helpers import (
    MSISDN,
    activation,
    add_activation,
    deliver,
    local,
    notices,
    outbox,
    run,
)
from tests.services.messaging import send

pytestmark = pytest.mark.usefixtures("catalog")
ENDS = date(2027, 8, 31)


def test_reminder_seven_days_before_is_queued_once(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN)
    aid = add_activation(runtime, sid, ENDS)
    first = run(runtime, local(2027, 8, 24, 10, 0))
    again = run(runtime, local(2027, 8, 24, 10, 5))
    assert (first.reminders, again.reminders) == (1, 0)
    (message,) = outbox(runtime)
    assert (message.state, message.channel, message.inbound_message_id) == ("queued", "smpp", None)
    assert (message.msisdn, message.sender) == (MSISDN, "10086")
    assert message.next_attempt_at == local(2027, 8, 24, 10, 0)
    assert "2027年8月31日" in message.text and "24小时内回复Y按26元/月" in message.text
    assert message.text.endswith("回复T退订")
    assert activation(runtime, aid).details["reminded_on"] == "2027-08-24"
    (notice,) = notices(runtime)
    assert (notice.kind, notice.subject, notice.outbound_message_id) == (
        "reminder",
        str(aid),
        message.id,
    )


@pytest.mark.parametrize(("day", "reminded"), [(23, False), (24, True), (25, True)])
def test_reminder_day_boundary(
    runtime: Runtime, add_subscriber: Callable, day: int, reminded: bool
) -> None:
    add_activation(runtime, add_subscriber(MSISDN), ENDS)
    assert run(runtime, local(2027, 8, day)).reminders == int(reminded)
    assert len(outbox(runtime)) == int(reminded)


def test_reminder_days_before_is_a_setting(runtime: Runtime, add_subscriber: Callable) -> None:
    add_activation(runtime, add_subscriber(MSISDN), ENDS)
    three = runtime.settings.model_copy(update={"notice_reminder_days_before": 3})
    assert run(runtime, local(2027, 8, 27), three).reminders == 0
    assert run(runtime, local(2027, 8, 28), three).reminders == 1


@pytest.mark.parametrize(
    ("window", "ran_at", "sends_at"),
    [
        (None, local(2027, 8, 24, 3, 0), local(2027, 8, 24, 8, 0)),
        (None, local(2027, 8, 24, 7, 59), local(2027, 8, 24, 8, 0)),
        (None, local(2027, 8, 24, 21, 59), local(2027, 8, 24, 21, 59)),
        (None, local(2027, 8, 24, 22, 0), local(2027, 8, 25, 8, 0)),
        ("09:00-18:00", local(2027, 8, 24, 8, 30), local(2027, 8, 24, 9, 0)),
        ("09:00-18:00", local(2027, 8, 24, 18, 0), local(2027, 8, 25, 9, 0)),
        ("20:00-09:00", local(2027, 8, 24, 12, 0), local(2027, 8, 24, 20, 0)),
        ("whenever", local(2027, 8, 24, 7, 0), local(2027, 8, 24, 8, 0)),
    ],
)
def test_reminder_waits_for_the_allowed_window(
    runtime: Runtime, add_subscriber: Callable, window, ran_at, sends_at
) -> None:
    add_activation(runtime, add_subscriber(MSISDN, contact_window=window), ENDS)
    run(runtime, ran_at)
    (message,) = outbox(runtime)
    assert message.next_attempt_at == sends_at
    assert notices(runtime)[0].local_day == sends_at.date()


def test_daily_cap_moves_the_fourth_notice_to_the_next_day(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN)
    for code in ("SJB", "CL", "HBGJ", "139"):
        add_activation(runtime, sid, ENDS, campaign_code="TY", package_code=code, key=f"TY:{code}")
    assert run(runtime, local(2027, 8, 24, 10, 0)).reminders == 4
    times = sorted(m.next_attempt_at for m in outbox(runtime))
    assert times == [local(2027, 8, 24, 10, 0)] * 3 + [local(2027, 8, 25, 8, 0)]
    days = sorted(n.local_day for n in notices(runtime))
    assert days == [date(2027, 8, 24)] * 3 + [date(2027, 8, 25)]


def test_cap_setting_counts_notices_already_queued(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN)
    one = runtime.settings.model_copy(update={"notice_daily_cap": 1})
    add_activation(runtime, sid, ENDS, campaign_code="TY", package_code="SJB", key="TY:SJB")
    run(runtime, local(2027, 8, 24, 10, 0), one)
    add_activation(runtime, sid, ENDS, campaign_code="TY", package_code="CL", key="TY:CL")
    run(runtime, local(2027, 8, 24, 11, 0), one)
    times = [m.next_attempt_at for m in outbox(runtime)]
    assert times == [local(2027, 8, 24, 10, 0), local(2027, 8, 25, 8, 0)]


def test_no_reminder_that_could_only_arrive_after_the_end(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN)
    aid = add_activation(runtime, sid, ENDS)
    assert run(runtime, local(2027, 8, 31, 22, 30)).reminders == 0
    assert outbox(runtime) == [] and "reminded_on" not in activation(runtime, aid).details


def test_opted_out_gets_no_reminder_but_still_lapses_silently(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    aid = add_activation(runtime, add_subscriber(MSISDN, opted_out=True), ENDS)
    assert run(runtime, local(2027, 8, 24)).reminders == 0
    report = run(runtime, local(2027, 9, 1))
    assert (report.lapsed, report.lapse_notices) == (1, 0)
    assert activation(runtime, aid).state == "lapsed"
    assert outbox(runtime) == []


def test_lapse_the_day_after_the_end_once(runtime: Runtime, add_subscriber: Callable) -> None:
    aid = add_activation(runtime, add_subscriber(MSISDN), ENDS)
    assert run(runtime, local(2027, 8, 31, 23, 0)).lapsed == 0
    first = run(runtime, local(2027, 9, 1, 0, 5))
    again = run(runtime, local(2027, 9, 1, 0, 10))
    assert (first.lapsed, first.lapse_notices, again.lapsed, again.lapse_notices) == (1, 1, 0, 0)
    row = activation(runtime, aid)
    assert (row.state, row.ended_on) == ("lapsed", ENDS)
    (message,) = outbox(runtime)
    assert "已于2027年8月31日结束并取消" in message.text and message.text.endswith("回复T退订")
    assert message.next_attempt_at == local(2027, 9, 1, 8, 0)


def test_y_after_the_reminder_keeps_the_service(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN)
    assert send(runtime, "IWJZS 2").outcome == "activated"  # free until 2027-08-31
    run(runtime, local(2027, 8, 24, 10, 0))
    assert deliver(runtime, local(2027, 8, 24, 10, 0)) == 1
    result = send(runtime, "Y", at=local(2027, 8, 24, 12, 0))
    assert result.outcome == "activated" and "继续使用" in result.replies[0].text
    report = run(runtime, local(2027, 9, 1))
    assert report.lapsed == 0
    with runtime.uow_factory() as uow:
        (row,) = uow.activations.of_subscriber(1)
        assert row.state == "kept" and row.ended_on is None


def test_y_without_a_reminder_keeps_nothing(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN)
    send(runtime, "IWJZS 2")
    assert send(runtime, "Y", at=local(2027, 8, 20)).outcome != "activated"
    assert run(runtime, local(2027, 9, 1)).lapsed == 1
    with runtime.uow_factory() as uow:
        (row,) = uow.activations.of_subscriber(1)
        assert row.state == "lapsed"


def test_kept_cancelled_and_other_kinds_do_not_lapse(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN)
    kept = add_activation(runtime, sid, ENDS, key="a")
    add_activation(runtime, sid, ENDS, key="b", kind="prestore_rebate", campaign_code="YC")
    with runtime.uow_factory() as uow:
        row = uow.activations.get(kept)
        assert row is not None
        row.state = "kept"
        uow.commit()
    report = run(runtime, local(2027, 9, 1))
    assert (report.reminders, report.lapsed) == (0, 0)
