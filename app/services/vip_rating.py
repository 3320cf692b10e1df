"""The annual VIP rating, `smshall rate-vip YEAR [--apply]` (DOMAIN.md §3).

From the usage rows of calendar year YEAR, each subscriber's card is
proposed by `domain.segments.vip_level_for_spend`: GoTone only (diamond
≥ 8000, gold ≥ 4000, silver ≥ 2000 yuan). Granted VIPs keep their card
untouched; a closed number is proposed no card.

Validity: a card rated on YEAR runs from 1 February of YEAR+1 to 31 January
of YEAR+2. December's usage is known only in January, so the rating is done
in January and the cards it gives start with the next month; a year's cards
therefore end on 31 January, the day before the next rating's start. The
record holds one card, so applying before 1 February YEAR+1 would cut the
current card short: `apply` refuses to (`RatingTooEarly`). That day is the
operator's, as every day is (SMSHALL_TIMEZONE): at 07:00 in Shanghai on
1 February it is still 31 January in UTC, and the cards start all the same.

A subscriber's old card is the level on the record, whatever its validity;
the same level again is a renewal (`unchanged`, its validity moved on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.domain.segments import vip_level_for_spend
from app.domain.subscriber import Brand, Status, VipLevel, VipSource
from app.services.clock import local_day, utc_now
from app.settings import Settings
from app.store.models import MonthlyUsageRow, SubscriberRow
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
RANK = {None: 0, VipLevel.SILVER: 1, VipLevel.GOLD: 2, VipLevel.DIAMOND: 3}
KINDS = ("up", "down", "new", "removed", "unchanged")
BATCH = 500
#: The operator's time zone unless told otherwise: the settings' default.
OPERATOR_ZONE = ZoneInfo(Settings.model_fields["timezone"].default)


class RatingTooEarly(Exception):
    """`apply` before the rated cards start would leave subscribers without one."""


@dataclass(frozen=True, slots=True)
class CardChange:
    msisdn: str
    old: VipLevel | None
    new: VipLevel | None
    spend_fen: int

    @property
    def kind(self) -> str:
        return change_kind(self.old, self.new)


@dataclass
class RatingReport:
    year: int
    valid_from: date
    valid_to: date
    applied: bool = False
    changes: list[CardChange] = field(default_factory=list)  # unchanged ones too
    granted_skipped: int = 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for change in self.changes:
            counts[change.kind] += 1
        return counts


def change_kind(old: VipLevel | None, new: VipLevel | None) -> str:
    if old == new:
        return "unchanged"
    if old is None:
        return "new"
    if new is None:
        return "removed"
    return "up" if RANK[new] > RANK[old] else "down"


def card_validity(year: int) -> tuple[date, date]:
    """Cards rated on `year` run 1 February `year+1` to 31 January `year+2`."""
    return date(year + 1, 2, 1), date(year + 2, 1, 31)


def rate_vip(
    uow_factory: UowFactory,
    year: int,
    apply: bool = False,
    today: date | None = None,
    zone: ZoneInfo = OPERATOR_ZONE,
) -> RatingReport:
    """Propose (and with `apply`, write) every subscriber's card for `year`.

    `today` is the operator's day (default: the service clock's day in `zone`).
    Writes go a batch of subscribers per transaction; running it again with
    the same usage changes nothing more.
    """
    valid_from, valid_to = card_validity(year)
    if apply and (today or local_day(utc_now(), zone)) < valid_from:
        raise RatingTooEarly(f"cards rated on {year} start on {valid_from}; apply from that day")
    report = RatingReport(year, valid_from, valid_to, applied=apply)
    after = 0
    while True:
        with uow_factory() as uow:
            assert uow.session is not None
            query = (
                select(SubscriberRow)
                .where(SubscriberRow.id > after)
                .order_by(SubscriberRow.id)
                .limit(BATCH)
            )
            rows = list(uow.session.scalars(query.with_for_update() if apply else query))
            if not rows:
                return report
            after = rows[-1].id
            spend = _year_spend(uow, [r.id for r in rows], year)
            for row in rows:
                if row.vip_source == VipSource.GRANTED:
                    report.granted_skipped += 1
                    continue
                change = _propose(row, spend.get(row.id, 0))
                if change.old is None and change.new is None:
                    continue
                report.changes.append(change)
                if apply:
                    _write(row, change.new, valid_from, valid_to)
            if apply:
                uow.commit()


def _year_spend(uow: UnitOfWork, ids: list[int], year: int) -> dict[int, int]:
    assert uow.session is not None
    query = (
        select(MonthlyUsageRow.subscriber_id, func.sum(MonthlyUsageRow.spend_fen))
        .where(MonthlyUsageRow.subscriber_id.in_(ids))
        .where(MonthlyUsageRow.month.between(date(year, 1, 1), date(year, 12, 1)))
        .group_by(MonthlyUsageRow.subscriber_id)
    )
    return {sid: int(total or 0) for sid, total in uow.session.execute(query)}


def _propose(row: SubscriberRow, spend_fen: int) -> CardChange:
    old = VipLevel(row.vip_level) if row.vip_level else None
    new = None if row.status == Status.CLOSED else vip_level_for_spend(Brand(row.brand), spend_fen)
    return CardChange(row.msisdn, old, new, spend_fen)


def _write(row: SubscriberRow, level: VipLevel | None, valid_from: date, valid_to: date) -> None:
    row.updated_at = utc_now()
    if level is None:
        row.vip_level = row.vip_source = row.vip_type = None
        row.vip_valid_from = row.vip_valid_to = None
        return
    row.vip_level, row.vip_source = level.value, VipSource.SPEND.value
    row.vip_type = row.vip_type or "individual"
    # The card number is the operator's (the physical card): kept, never invented.
    row.vip_valid_from, row.vip_valid_to = valid_from, valid_to
