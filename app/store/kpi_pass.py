"""One pass over the subscriber base for the monthly KPI report (DOMAIN.md §8):
photographed retention, bundling and campaign eligibility from a single scan of
the usage months they read, instead of one scan each.

Every subscriber is given a profile: whether the photographed base holds it, its
status, its spend in the report month, the bundle kinds it holds, and (when
`active`) the set of §3 segments it is in as of the month's end, as a bit mask.
The statement counts subscribers per segment mask, with the retention and
bundling sums per mask; the report adds them up, and a campaign's eligible count
is the sum over the masks that meet its targets and miss its exclusions. The
masks are few (a few dozen), so nothing per subscriber leaves the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Subquery, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.domain.kpi import DEFAULT_KPI, BundleKind, Bundling, KpiThresholds, Retention
from app.domain.segments import DEFAULT_THRESHOLDS, PhotoWindow, Segment
from app.domain.subscriber import Month, Status
from app.store.models import BundleRow, MonthlyUsageRow, SubscriberRow
from app.store.segment_sql import SegmentSql

#: The bit of each segment in a profile's mask.
SEGMENT_BITS = {segment: 1 << i for i, segment in enumerate(Segment)}
#: The mask of a subscriber that is not `active`: in no campaign's audience.
NOT_ACTIVE = -1


def mask_of(segments: Iterable[Segment]) -> int:
    return sum(SEGMENT_BITS[s] for s in set(segments))


@dataclass(frozen=True, slots=True)
class BaseProfiles:
    """The pass's counts: per segment mask of `active` subscribers, how many; and
    the photographed base's retention and bundling, summed over every mask."""

    by_mask: dict[int, int]
    retention: Retention
    bundling: Bundling

    def eligible(self, targets: frozenset[Segment], exclusions: frozenset[Segment]) -> int:
        """`active` subscribers in a target segment and in no excluded one."""
        wanted, barred = mask_of(targets), mask_of(exclusions)
        return sum(
            n
            for mask, n in self.by_mask.items()
            if mask != NOT_ACTIVE and mask & wanted and not mask & barred
        )


def _usage(segments: SegmentSql, month: Month) -> Subquery:
    """Per subscriber: `SegmentSql.usage()`'s sums (as of `segments.on`), and the
    photo window's row count and the report month's spend (NULL: no row)."""
    photo = segments._photo()
    in_photo = MonthlyUsageRow.month.between(photo.first.first_day(), photo.last.first_day())
    in_month = MonthlyUsageRow.month == month.first_day()
    first = min(photo.first, segments.recent.first, month).first_day()
    last = max(photo.last, segments.recent.last, month).first_day()
    return (
        select(
            *segments.usage().element.selected_columns,
            func.sum(case((in_photo, 1), else_=0)).label("photo_rows"),
            func.max(case((in_month, MonthlyUsageRow.spend_fen))).label("month_spend"),
        )
        .where(MonthlyUsageRow.month.between(first, last))
        .group_by(MonthlyUsageRow.subscriber_id)
        .subquery("segment_usage")
    )


def _bundles(month: Month) -> Subquery:
    """Per subscriber holding a bundle in `month`: a flag per kind (§8)."""
    overlapping = and_(
        BundleRow.valid_from <= month.last_day(),
        or_(BundleRow.valid_to.is_(None), BundleRow.valid_to >= month.first_day()),
    )
    return (
        select(
            BundleRow.subscriber_id.label("subscriber_id"),
            *(
                func.max(case((BundleRow.kind == kind.value, 1), else_=0)).label(kind.value)
                for kind in BundleKind
            ),
        )
        .where(overlapping)
        .group_by(BundleRow.subscriber_id)
        .subquery("bundles_held")
    )


def base_profiles(
    session: Session, on: date, photo: PhotoWindow, kpi: KpiThresholds = DEFAULT_KPI
) -> BaseProfiles:
    """The pass for the month of `on`, segments judged as of `on` (§3, §8)."""
    month = Month.of(on)
    segments = SegmentSql(on, photo)
    usage = _usage(segments, month)
    bundles = _bundles(month)
    active = SubscriberRow.status == Status.ACTIVE.value
    mask = case(
        (
            active,
            sum(
                (
                    case((segments.condition(s, usage), bit), else_=0)
                    for s, bit in SEGMENT_BITS.items()
                ),
                literal(0),
            ),
        ),
        else_=NOT_ACTIVE,
    ).label("mask")
    months = len(photo.months)
    in_base = and_(
        func.coalesce(usage.c.photo_rows, 0) > 0,
        func.coalesce(usage.c.photo_spend, 0)
        >= DEFAULT_THRESHOLDS.photographed_monthly_fen * months,
    )

    def how_many(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((and_(in_base, *conditions), 1), else_=0)), 0)

    held = [bundles.c[kind.value] == 1 for kind in BundleKind]
    query = (
        select(
            mask,
            func.count(),
            how_many(),
            how_many(active, func.coalesce(usage.c.month_spend, 0) >= kpi.retained_spend_fen),
            how_many(SubscriberRow.status == Status.CLOSED.value),
            how_many(active),
            how_many(active, bundles.c.subscriber_id.is_not(None)),
            *(how_many(active, h) for h in held),
        )
        .select_from(SubscriberRow)
        .outerjoin(usage, usage.c.subscriber_id == SubscriberRow.id)
        .outerjoin(bundles, bundles.c.subscriber_id == SubscriberRow.id)
        .group_by(mask)
    )
    by_mask: dict[int, int] = {}
    sums = [0] * (5 + len(BundleKind))
    for row_mask, count, *figures in session.execute(query):
        by_mask[int(row_mask)] = int(count)
        sums = [a + int(b) for a, b in zip(sums, figures, strict=True)]
    total, retained, churned, active_base, bundled, *kinds = sums
    by_kind = {kind: n for kind, n in zip(BundleKind, kinds, strict=True) if n}
    return BaseProfiles(
        by_mask, Retention(total, retained, churned), Bundling(active_base, bundled, by_kind)
    )
