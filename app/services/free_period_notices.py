"""The scheduled job's duties for free experiences (DOMAIN.md §4.1, §7a):
remind before the free period ends, and lapse it, with a short notice, when it
ended without a `Y`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.sql import Select

from app.domain import notices
from app.domain.notices import LAPSE, REMINDER
from app.domain.replies import day, render, yuan
from app.domain.states import ActivationState
from app.services.keeping import REMINDED
from app.services.notice_queue import Notice, ScheduledReport, ScheduledRun, names, queue_notice
from app.store.notice_candidates import free_periods_ended, free_periods_ending
from app.store.unit_of_work import UnitOfWork


def reminder_candidates(run: ScheduledRun) -> Select[Any]:
    return free_periods_ending(run.on, run.on + timedelta(days=run.days_before))


def remind(uow: UnitOfWork, run: ScheduledRun, activation_id: int, report: ScheduledReport) -> None:
    activation = uow.notices.activation(activation_id)
    subscriber = uow.notices.locked_subscriber(activation.subscriber_id)
    uow.notices.lock(activation)
    if (
        subscriber.opted_out
        or activation.state != ActivationState.ACTIVE
        or not notices.reminder_due(activation.ends_on, run.on, run.days_before)
    ):
        return
    text = render(
        "notice.reminder",
        run.language,
        **names(run, activation),
        ends_on=day(activation.ends_on, run.language),
        fee=yuan(activation.monthly_fee_fen),
        hours=run.confirm_hours,  # §5: a `Y` keeps it only within this window after it left
    )
    # A reminder arriving after the last free day could no longer be answered.
    notice = Notice(REMINDER, str(activation.id), text, activation.ends_on, activation)
    sent_on = queue_notice(uow, run, subscriber, notice)
    if sent_on is not None:
        activation.details = {**activation.details, REMINDED: sent_on.isoformat()}
        report.reminders += 1


def lapse_candidates(run: ScheduledRun) -> Select[Any]:
    return free_periods_ended(run.on)


def lapse(uow: UnitOfWork, run: ScheduledRun, activation_id: int, report: ScheduledReport) -> None:
    activation = uow.notices.activation(activation_id)
    subscriber = uow.notices.locked_subscriber(activation.subscriber_id)
    uow.notices.lock(activation)
    if activation.state != ActivationState.ACTIVE or not notices.lapse_due(
        activation.ends_on, run.on
    ):
        return  # kept by a `Y`, cancelled, or lapsed by a concurrent run
    activation.state, activation.ended_on = ActivationState.LAPSED.value, activation.ends_on
    report.lapsed += 1
    text = None
    if not subscriber.opted_out:
        text = render(
            "notice.lapsed",
            run.language,
            **names(run, activation),
            ends_on=day(activation.ends_on, run.language),
        )
    notice = Notice(LAPSE, str(activation.id), text, about=activation)
    if queue_notice(uow, run, subscriber, notice) and text:
        report.lapse_notices += 1
