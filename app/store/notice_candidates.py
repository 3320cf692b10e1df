"""What the scheduled job finds due (app/services/scheduled.py): each query selects
the ids of one duty's candidates through the index its conditions name
(`ix_activations_due`, the birthday index), so a run reads only what is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import String, and_, cast, exists, extract, func, or_, select
from sqlalchemy.sql import ColumnElement, Select

from app.domain.free_experience import FreeExperienceCampaign
from app.domain.notices import BIRTHDAY, REMINDER
from app.domain.states import ActivationState
from app.domain.tenure_reward import TenureRewardCampaign
from app.store.models import (
    ActivationRow,
    MonthlyUsageRow,
    NoticeRow,
    SubscriberRow,
    TenureCreditRow,
)

_ACTIVE = ActivationState.ACTIVE.value


def _no_notice(kind: str, subject: Any) -> ColumnElement[bool]:
    return ~exists().where(
        NoticeRow.msisdn == SubscriberRow.msisdn,
        NoticeRow.kind == kind,
        NoticeRow.subject == subject,
    )


def free_periods_ending(on: date, until: date) -> Select[Any]:
    """Free experiences running out between `on` and `until` not yet reminded of."""
    return (
        select(ActivationRow.id)
        .join(SubscriberRow, SubscriberRow.id == ActivationRow.subscriber_id)
        .where(ActivationRow.kind == FreeExperienceCampaign.kind, ActivationRow.state == _ACTIVE)
        .where(ActivationRow.ends_on.between(on, until))
        .where(SubscriberRow.opted_out.is_(False))
        .where(_no_notice(REMINDER, cast(ActivationRow.id, String)))
    )


def free_periods_ended(on: date) -> Select[Any]:
    """Free experiences still running whose last day is before `on`."""
    return (
        select(ActivationRow.id)
        .where(ActivationRow.kind == FreeExperienceCampaign.kind, ActivationRow.state == _ACTIVE)
        .where(ActivationRow.ends_on < on)
    )


def birthdays_on(days: Sequence[tuple[int, int]], year: int) -> Select[Any]:
    """SMS contacts born on one of these (month, day)s, not yet greeted this year."""
    same_day = or_(
        *(
            and_(
                extract("month", SubscriberRow.birthday) == month,
                extract("day", SubscriberRow.birthday) == day_,
            )
            for month, day_ in days
        )
    )
    return (
        select(SubscriberRow.id)
        .where(SubscriberRow.birthday.is_not(None), same_day)
        .where(SubscriberRow.status == "active", SubscriberRow.opted_out.is_(False))
        .where(SubscriberRow.contact_method == "sms")  # voice: the manager calls (worklists)
        .where(_no_notice(BIRTHDAY, str(year)))
    )


def contracts_with_undecided_months(this_month: date) -> Select[Any]:
    """Tenure-reward contracts with an imported usage month before `this_month`
    that no credit decided yet."""
    undecided = (
        select(MonthlyUsageRow.id)
        .where(MonthlyUsageRow.subscriber_id == ActivationRow.subscriber_id)
        .where(MonthlyUsageRow.month >= ActivationRow.starts_on)
        .where(
            MonthlyUsageRow.month <= func.coalesce(ActivationRow.ended_on, ActivationRow.ends_on)
        )
        .where(MonthlyUsageRow.month < this_month)
        .where(
            ~exists()
            .where(
                TenureCreditRow.activation_id == ActivationRow.id,
                TenureCreditRow.month == MonthlyUsageRow.month,
            )
            # Two levels down, auto-correlation would leave `activations` in this
            # subquery's FROM: a credit of any contract would decide the month for all.
            .correlate(ActivationRow, MonthlyUsageRow)
        )
    )
    return (
        select(ActivationRow.id)
        .where(ActivationRow.kind == TenureRewardCampaign.kind)
        .where(ActivationRow.starts_on < this_month)
        .where(undecided.exists())
    )


def next_ids(candidates: Select[Any], after: int, size: int) -> Select[Any]:
    """The next `size` candidate ids above `after`, in id order."""
    # The due rows first, through the index their conditions name, then the next
    # batch of them by id. Asked in one go, the planner may walk the whole table
    # in id order instead, expecting to meet `size` due rows early.
    due = candidates.where(candidates.selected_columns[0] > after)
    due_ids = due.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    key = due_ids.c[0]
    return select(key).order_by(key).limit(size)
