"""The scheduled job's duties for rewards: birthday greetings to the birthday
campaign's targets (DOMAIN.md §4.6; SMS contacts only: voice contacts are on
their account manager's worklist instead, app/services/worklists.py), and
tenure-reward credits, once per contract month whose usage row is imported
(§4.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.sql import Select

from app.domain import notices
from app.domain.birthday import BirthdayCampaign, benefit
from app.domain.notices import BIRTHDAY, CREDIT
from app.domain.replies import render
from app.domain.subscriber import Month
from app.services.clock import utc_now
from app.services.notice_queue import Notice, ScheduledReport, ScheduledRun, queue_notice
from app.services.segmentation import segments_on
from app.store.models import ActivationRow, SubscriberRow, TenureCreditRow
from app.store.notice_candidates import birthdays_on, contracts_with_undecided_months
from app.store.subscribers import subscriber_from_row
from app.store.unit_of_work import UnitOfWork


def birthday_candidates(run: ScheduledRun) -> Select[Any]:
    on = run.on
    days = [(on.month, on.day)]
    if (on.month, on.day) == (2, 28) and notices.birthday_today(date(2000, 2, 29), on):
        days.append((2, 29))  # §4.6: 29 February is kept on 28 February in common years
    return birthdays_on(days, on.year)


def greeter(
    run: ScheduledRun, campaign: BirthdayCampaign, report: ScheduledReport
) -> Callable[[UnitOfWork, int], None]:
    def greet(uow: UnitOfWork, subscriber_id: int) -> None:
        row = uow.notices.locked_subscriber(subscriber_id)
        if row.opted_out or row.contact_method != "sms":
            return
        if not notices.birthday_today(row.birthday, run.on):
            return
        subscriber = subscriber_from_row(row)
        segments = segments_on(uow, row, subscriber, run.on)
        if not benefit(campaign, subscriber, segments, run.on).applies:
            return
        text = render("notice.birthday", run.language)
        # A greeting is for the day itself: never carried over to the next.
        if queue_notice(uow, run, row, Notice(BIRTHDAY, str(run.on.year), text, run.on)):
            report.birthdays += 1

    return greet


def credit_candidates(run: ScheduledRun) -> Select[Any]:
    return contracts_with_undecided_months(Month.of(run.on).first_day())


def credit(uow: UnitOfWork, run: ScheduledRun, activation_id: int, report: ScheduledReport) -> None:
    activation = uow.notices.activation(activation_id)
    subscriber = uow.notices.locked_subscriber(activation.subscriber_id)
    # A contract cancelled early earns nothing for the months after it ended.
    last = min(activation.ends_on, activation.ended_on or activation.ends_on)
    first = Month.of(activation.starts_on).first_day()
    spend = {
        Month.of(month): fen
        for month, fen in uow.notices.spend_by_month(subscriber.id, first, last).items()
    }
    decided = [Month.of(m) for m in uow.notices.credited_months(activation.id)]
    due = notices.credits_due(
        activation.starts_on, last, activation.details, spend, decided, run.on
    )
    for decision in due:
        row = TenureCreditRow(
            activation_id=activation.id,
            month=decision.month.first_day(),
            minutes=decision.minutes,
            created_at=utc_now(),
        )
        if not uow.notices.record_credit(row) or decision.minutes == 0:
            continue  # decided by a concurrent run, or nothing earned
        report.credits += 1
        if not subscriber.opted_out:
            _notify_credit(uow, run, subscriber, activation, decision, report)


def _notify_credit(
    uow: UnitOfWork,
    run: ScheduledRun,
    subscriber: SubscriberRow,
    activation: ActivationRow,
    decision: notices.CreditDecision,
    report: ScheduledReport,
) -> None:
    month = decision.month
    # §4.3: the month after the qualifying one is credited; usage imported late makes
    # that a past month, so the notice names it rather than saying "this month".
    text = render(
        "notice.credit",
        run.language,
        month=_month_name(month, run.zh),
        credited=_month_name(month.plus(1), run.zh),
        minutes=decision.minutes,
    )
    subject = f"{activation.id}:{month.year}-{month.month:02d}"
    if queue_notice(uow, run, subscriber, Notice(CREDIT, subject, text, about=activation)):
        report.credit_notices += 1


def _month_name(month: Month, zh: bool) -> str:
    return f"{month.year}年{month.month}月" if zh else f"{month.year}-{month.month:02d}"
