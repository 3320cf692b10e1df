"""Queries on subscribers and their monthly usage."""

from __future__ import annotations

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


class SubscriberRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, msisdn: str) -> SubscriberRow | None:
        return self.session.scalar(select(SubscriberRow).where(SubscriberRow.msisdn == msisdn))

    def usage_since(self, subscriber_id: int, first: Month) -> list[MonthlyUsage]:
        rows = self.session.execute(
            select(MonthlyUsageRow.month, MonthlyUsageRow.spend_fen, MonthlyUsageRow.mou)
            .where(MonthlyUsageRow.subscriber_id == subscriber_id)
            .where(MonthlyUsageRow.month >= first.first_day())
        )
        return [MonthlyUsage(Month.of(month), spend, mou) for month, spend, mou in rows]
