"""The SQL of an account manager's worklist (DOMAIN.md §9): four indexed queries
on the manager's own subscribers; the rules are app/domain/worklists.py's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, extract, or_, select
from sqlalchemy.orm import Session

from app.domain.birthday import birthday_in
from app.domain.campaigns import Campaign
from app.domain.segments import PhotoWindow
from app.domain.states import ActivationState
from app.domain.subscriber import Brand, ContactMethod, Status
from app.domain.worklists import (
    CONTACT_CADENCE_DAYS,
    MONTHLY_VISITS,
    WorklistRules,
    contacted_by,
    visited_since,
)
from app.store.models import ActivationRow, SubscriberRow
from app.store.segment_sql import SegmentSql

FREE_EXPERIENCE = "free_experience"


def _days(first: date, count: int) -> list[tuple[int, int]]:
    """(month, day) of `count` days from `first`; 29 February is kept on 28 February
    in common years (§4.6), so a 28 February also finds it."""
    days = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        days.append((day.month, day.day))
        if (day.month, day.day) == (2, 28) and birthday_in(day.year, date(2000, 2, 29)) == day:
            days.append((2, 29))
    return days


class WorklistQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _mine(self, manager: str) -> list[ColumnElement[bool]]:
        return [
            SubscriberRow.account_manager == manager,
            SubscriberRow.status == Status.ACTIVE.value,
        ]

    def _card_held(self, today: date) -> list[ColumnElement[bool]]:
        """§3: a card on a GoTone number, valid today."""
        return [
            SubscriberRow.brand == Brand.GOTONE.value,
            SubscriberRow.vip_valid_from <= today,
            SubscriberRow.vip_valid_to >= today,
        ]

    def contact_due(self, manager: str, today: date) -> Sequence[SubscriberRow]:
        """Card holders whose last contact is their card's cadence or more days ago."""
        last = SubscriberRow.last_contacted_on
        due = or_(
            *(
                and_(
                    SubscriberRow.vip_level == level.value,
                    or_(last.is_(None), last <= contacted_by(level, today)),
                )
                for level in CONTACT_CADENCE_DAYS
            )
        )
        query = select(SubscriberRow).where(*self._mine(manager), *self._card_held(today), due)
        return list(self.session.scalars(query.order_by(SubscriberRow.msisdn)))

    def visit_due(self, manager: str, today: date) -> Sequence[SubscriberRow]:
        """Diamond and gold card holders with no visit yet this calendar month."""
        last = SubscriberRow.last_visited_on
        query = select(SubscriberRow).where(
            *self._mine(manager),
            *self._card_held(today),
            SubscriberRow.vip_level.in_([level.value for level in MONTHLY_VISITS]),
            or_(last.is_(None), last < visited_since(today)),
        )
        return list(self.session.scalars(query.order_by(SubscriberRow.msisdn)))

    def low_balance(self, manager: str, rules: WorklistRules) -> Sequence[SubscriberRow]:
        query = select(SubscriberRow).where(
            *self._mine(manager), SubscriberRow.balance_fen < rules.low_balance_fen
        )
        return list(self.session.scalars(query.order_by(SubscriberRow.msisdn)))

    def free_periods_ending(
        self, manager: str, today: date, rules: WorklistRules
    ) -> list[tuple[SubscriberRow, ActivationRow]]:
        """Free experiences still `active` (not kept by a `Y`) whose last free day
        falls within the next `free_period_days` days."""
        last = today + timedelta(days=rules.free_period_days - 1)
        query = (
            select(SubscriberRow, ActivationRow)
            .join(ActivationRow, ActivationRow.subscriber_id == SubscriberRow.id)
            .where(*self._mine(manager))
            .where(
                ActivationRow.kind == FREE_EXPERIENCE, ActivationRow.state == ActivationState.ACTIVE
            )
            .where(ActivationRow.ends_on.between(today, last))
            .order_by(ActivationRow.ends_on, SubscriberRow.msisdn)
        )
        return [(s, a) for s, a in self.session.execute(query)]

    def voice_birthdays(
        self,
        manager: str,
        today: date,
        rules: WorklistRules,
        campaign: Campaign,
        photo: PhotoWindow,
    ) -> list[tuple[SubscriberRow, date]]:
        """Voice-contact subscribers whose birthday falls within the next
        `birthday_days` days and to whom the birthday campaign applies (§4.6)."""
        same_day = or_(
            *(
                and_(
                    extract("month", SubscriberRow.birthday) == month,
                    extract("day", SubscriberRow.birthday) == day,
                )
                for month, day in _days(today, rules.birthday_days)
            )
        )
        candidates = select(SubscriberRow.id).where(
            *self._mine(manager),
            SubscriberRow.contact_method == ContactMethod.VOICE.value,
            SubscriberRow.opted_out.is_(False),
            SubscriberRow.birthday.is_not(None),
            same_day,
        )
        segments = SegmentSql(today, photo)
        usage = segments.usage(within=candidates)  # the few, not every subscriber's usage
        query = (
            select(SubscriberRow)
            .outerjoin(usage, usage.c.subscriber_id == SubscriberRow.id)
            .where(SubscriberRow.id.in_(candidates))
            .where(segments.any_of(campaign.targets, usage))
            .where(~segments.any_of(campaign.exclusions, usage))
        )
        found = []
        for row in self.session.scalars(query):
            assert row.birthday is not None
            day = birthday_in(today.year, row.birthday)
            found.append((row, day if day >= today else birthday_in(today.year + 1, row.birthday)))
        return sorted(found, key=lambda item: (item[1], item[0].msisdn))
