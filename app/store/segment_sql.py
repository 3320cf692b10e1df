"""DOMAIN.md §3 segments as SQL conditions, so that searches and reports decide
them set-based, in one GROUP BY over `monthly_usage`, never row by row in Python.

The rules are `app/domain/segments.py`'s (`segments_of`), with its thresholds:
months without a usage row count as zero; photographed, important and stable are
judged over the photo window; new high-end over the latest six complete months;
dynamic over the latest complete month. tests/reports/test_segment_sql.py checks
the two agree subscriber by subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement as Column

from app.domain.segments import (
    DEFAULT_THRESHOLDS,
    PhotoWindow,
    Segment,
    SegmentThresholds,
    latest_complete_months,
)
from app.domain.subscriber import Brand, VipLevel, VipSource
from app.store.models import MonthlyUsageRow, SubscriberRow

#: Segments decided from usage rows; the others read the subscriber record alone.
USAGE_SEGMENTS = frozenset(
    {
        Segment.PHOTOGRAPHED,
        Segment.IMPORTANT_PHOTOGRAPHED,
        Segment.STABLE_HIGH_END,
        Segment.NEW_HIGH_END,
        Segment.DYNAMIC_MID_HIGH_END,
    }
)
_CARDS = {
    Segment.VIP_DIAMOND: VipLevel.DIAMOND,
    Segment.VIP_GOLD: VipLevel.GOLD,
    Segment.VIP_SILVER: VipLevel.SILVER,
}


#: The largest spend in fen a month's row adds to a sum (INTEGER's largest).
SPEND_CAP_FEN = 2**31 - 1


def capped_spend() -> ColumnElement[int]:
    """A usage row's spend as an INTEGER, at most `SPEND_CAP_FEN`, for sums that are
    only compared with thresholds: a sum of INTEGER is a BIGINT, a sum of BIGINT a
    NUMERIC (slow to add up and to pass between PostgreSQL's parallel workers).
    The import admits up to 10^12 fen a row, so a row may not fit; capping keeps
    every comparison `sum ≥ threshold` exact for a threshold up to the cap, spend
    never being negative: no row capped, the sum is exact; one capped, both sums
    reach the cap."""
    spend = MonthlyUsageRow.spend_fen
    return cast(case((spend > SPEND_CAP_FEN, SPEND_CAP_FEN), else_=spend), Integer)


def _in(window: PhotoWindow) -> ColumnElement[bool]:
    return MonthlyUsageRow.month.between(window.first.first_day(), window.last.first_day())


@dataclass(frozen=True)
class SegmentSql:
    """The segments of every subscriber as of `on`: `usage()` is the per-subscriber
    summary to LEFT JOIN on `subscribers.id`; `condition(segment)` the test."""

    on: date
    photo: PhotoWindow | None  # None: only the segments the record alone decides
    thresholds: SegmentThresholds = DEFAULT_THRESHOLDS

    @property
    def recent(self) -> PhotoWindow:
        return latest_complete_months(self.on)

    def _photo(self) -> PhotoWindow:
        if self.photo is None:
            raise ValueError("usage segments are judged over the photo window: none is set")
        return self.photo

    def usage(self, within: Select[Any] | None = None) -> Subquery:
        """Per subscriber, the sums the usage segments read; `within` (a select of
        subscriber ids) keeps the aggregate to a known few, e.g. one manager's."""
        t, photo, recent = self.thresholds, self._photo(), self.recent
        first = min(photo.first, recent.first).first_day()
        last = max(photo.last, recent.last).first_day()
        spend, mou = MonthlyUsageRow.spend_fen, MonthlyUsageRow.mou
        capped = capped_spend()
        latest = MonthlyUsageRow.month == recent.last.first_day()
        strong = and_(_in(photo), spend >= t.stable_spend_fen, mou >= t.stable_mou)
        query = (
            select(
                MonthlyUsageRow.subscriber_id.label("subscriber_id"),
                func.sum(case((_in(photo), capped), else_=0)).label("photo_spend"),
                func.sum(case((_in(photo), mou), else_=0)).label("photo_mou"),
                func.sum(case((strong, 1), else_=0)).label("photo_strong"),
                func.sum(case((_in(recent), capped), else_=0)).label("recent_spend"),
                func.max(case((latest, spend), else_=0)).label("last_spend"),
                func.max(case((latest, mou), else_=0)).label("last_mou"),
            )
            .where(MonthlyUsageRow.month.between(first, last))
            .group_by(MonthlyUsageRow.subscriber_id)
        )
        if within is not None:
            query = query.where(MonthlyUsageRow.subscriber_id.in_(within))
        return query.subquery("segment_usage")

    def condition(self, segment: Segment, usage: Subquery | None = None) -> ColumnElement[bool]:
        """Whether a subscriber row is in `segment`; usage segments need `usage()` joined.

        Never NULL (nullable columns are tested for NULL first), so `~condition`
        is the complement: a NULL `vip_source` is not granted."""
        t, subscriber = self.thresholds, SubscriberRow
        if segment in _CARDS:
            return and_(
                subscriber.brand == Brand.GOTONE.value,
                subscriber.vip_level.is_not(None),
                subscriber.vip_valid_from.is_not(None),
                subscriber.vip_valid_to.is_not(None),
                subscriber.vip_level == _CARDS[segment].value,
                subscriber.vip_valid_from <= self.on,
                subscriber.vip_valid_to >= self.on,
            )
        if segment is Segment.GRANTED_VIP:
            return and_(
                subscriber.vip_source.is_not(None),
                subscriber.vip_source == VipSource.GRANTED.value,
            )
        if segment is Segment.ALERT:
            return subscriber.alert.is_(True)
        if segment is Segment.FIXED_MID_HIGH_END:
            return or_(
                subscriber.plan_fee_fen >= t.fixed_fee_fen,
                subscriber.guaranteed_spend_fen >= t.fixed_fee_fen,
            )
        if usage is None:
            raise ValueError(f"{segment} is decided from usage: join SegmentSql.usage()")

        def of(name: str) -> Column[int]:
            return func.coalesce(usage.c[name], 0)

        months = len(self._photo().months)
        most = max(t.important_monthly_fen, t.photographed_monthly_fen, t.stable_spend_fen)
        if most * max(months, len(self.recent.months)) > SPEND_CAP_FEN:
            raise ValueError("a spend threshold above the cap of capped_spend()")
        photographed = of("photo_spend") >= t.photographed_monthly_fen * months
        important = of("photo_spend") >= t.important_monthly_fen * months
        if segment is Segment.IMPORTANT_PHOTOGRAPHED:
            return important
        if segment is Segment.PHOTOGRAPHED:
            return and_(photographed, ~important)
        if segment is Segment.STABLE_HIGH_END:
            return and_(
                of("photo_spend") >= t.stable_spend_fen * months,
                of("photo_mou") >= t.stable_mou * months,
                of("photo_strong") >= t.stable_min_months,
            )
        if segment is Segment.NEW_HIGH_END:
            return and_(~photographed, of("recent_spend") >= t.photographed_monthly_fen * 6)
        if segment is Segment.DYNAMIC_MID_HIGH_END:
            return and_(of("last_spend") >= t.dynamic_spend_fen, of("last_mou") >= t.dynamic_mou)
        raise ValueError(f"no SQL for segment {segment}")  # pragma: no cover

    def any_of(self, segments: frozenset[Segment], usage: Subquery | None) -> ColumnElement[bool]:
        if not segments:
            return literal(False)
        return or_(*(self.condition(s, usage) for s in sorted(segments)))


def photographed_base(
    photo: PhotoWindow, thresholds: SegmentThresholds = DEFAULT_THRESHOLDS
) -> Subquery:
    """§8's photographed base: subscribers whose spend over the photo window makes
    them photographed (ordinary or important), whatever their status now."""
    months = len(photo.months)
    return (
        select(MonthlyUsageRow.subscriber_id.label("subscriber_id"))
        .where(_in(photo))
        .group_by(MonthlyUsageRow.subscriber_id)
        .having(func.sum(MonthlyUsageRow.spend_fen) >= thresholds.photographed_monthly_fen * months)
        .subquery("photographed_base")
    )
