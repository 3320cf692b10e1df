"""Queries on subscribers and their monthly usage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.subscriber import (
    Brand,
    ContactMethod,
    Gender,
    Month,
    MonthlyUsage,
    Status,
    Subscriber,
    VipLevel,
    VipSource,
    VipType,
)
from app.store.models import MonthlyUsageRow, SubscriberRow

E = TypeVar("E", bound=StrEnum)


def _enum_or_none(kind: type[E], value: str | None) -> E | None:
    return None if value is None else kind(value)


def subscriber_from_row(row: SubscriberRow) -> Subscriber:
    return Subscriber(
        msisdn=row.msisdn,
        brand=Brand(row.brand),
        status=Status(row.status),
        opened_on=row.opened_on,
        balance_fen=row.balance_fen,
        name=row.name,
        gender=_enum_or_none(Gender, row.gender),
        birthday=row.birthday,
        mailing_address=row.mailing_address,
        account_manager=row.account_manager,
        vip_type=_enum_or_none(VipType, row.vip_type),
        vip_level=_enum_or_none(VipLevel, row.vip_level),
        vip_source=_enum_or_none(VipSource, row.vip_source),
        vip_card_no=row.vip_card_no,
        vip_valid_from=row.vip_valid_from,
        vip_valid_to=row.vip_valid_to,
        contact_method=ContactMethod(row.contact_method),
        contact_window=row.contact_window,
        alert=row.alert,
        plan_fee_fen=row.plan_fee_fen,
        guaranteed_spend_fen=row.guaranteed_spend_fen,
        bundle_ends_on=row.bundle_ends_on,
        cmmb_handset=row.cmmb_handset,
        mobile_payment=row.mobile_payment,
        opted_out=row.opted_out,
    )


_USAGE = (MonthlyUsageRow.month, MonthlyUsageRow.spend_fen, MonthlyUsageRow.mou)


class SubscriberRepository:
    """Subscribers by number. After `prefetch`, the numbers and usage it loaded
    are answered from memory: a batch reads them in two statements, not two a message."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[str, SubscriberRow | None] = {}
        self._usage: dict[int, list[tuple[date, int, int]]] = {}
        self._usage_from: date | None = None

    def prefetch(self, msisdns: Sequence[str], usage_from: Month) -> list[int]:
        """Load these numbers' rows and their usage from `usage_from` on; their ids."""
        found = {
            row.msisdn: row
            for row in self.session.scalars(
                select(SubscriberRow).where(SubscriberRow.msisdn.in_(list(set(msisdns))))
            )
        }
        self._rows.update({msisdn: found.get(msisdn) for msisdn in msisdns})
        ids = [row.id for row in found.values()]
        self._usage_from = usage_from.first_day()
        self._usage = {subscriber_id: [] for subscriber_id in ids}
        if ids:
            query = (
                select(MonthlyUsageRow.subscriber_id, *_USAGE)
                .where(MonthlyUsageRow.subscriber_id.in_(ids))
                .where(MonthlyUsageRow.month >= self._usage_from)
            )
            for subscriber_id, month, spend, mou in self.session.execute(query):
                self._usage[subscriber_id].append((month, spend, mou))
        return ids

    def get(self, msisdn: str) -> SubscriberRow | None:
        if msisdn in self._rows:
            return self._rows[msisdn]
        return self.session.scalar(select(SubscriberRow).where(SubscriberRow.msisdn == msisdn))

    def usage_since(self, subscriber_id: int, first: Month) -> list[MonthlyUsage]:
        since = first.first_day()
        held = self._usage.get(subscriber_id)
        if held is not None and self._usage_from is not None and since >= self._usage_from:
            rows: list[tuple[date, int, int]] = [r for r in held if r[0] >= since]
        else:
            rows = list(
                self.session.execute(
                    select(*_USAGE)
                    .where(MonthlyUsageRow.subscriber_id == subscriber_id)
                    .where(MonthlyUsageRow.month >= since)
                )
            )
        return [MonthlyUsage(Month.of(month), spend, mou) for month, spend, mou in rows]
