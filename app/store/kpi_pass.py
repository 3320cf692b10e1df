"""One pass over the subscriber base for the monthly KPI report (DOMAIN.md §8):
the dynamic counts of the month and the month before, photographed retention,
bundling and campaign eligibility from a single scan of the usage months they
read, instead of one scan each.

Every subscriber gets a profile: its status, the set of §3 segments it is in as
of the month's end (a bit mask), whether the photographed base holds it, whether
its spend in the month retains it, whether it is dynamic mid-to-high-end in the
month and in the month before (two bits), and the bundle kinds it holds in the
month (a bit mask; none: -1). The statement counts subscribers per profile, each part
worked out once per subscriber; the profiles are few (a few thousand at most),
so nothing per subscriber leaves the database, and the report adds them up: a
campaign's eligible count is the sum over the `active` profiles whose segments
meet its targets and miss its exclusions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.domain.kpi import DEFAULT_KPI, BundleKind, Bundling, KpiThresholds, Retention
from app.domain.segments import DEFAULT_THRESHOLDS, PhotoWindow, Segment
from app.domain.subscriber import Month, Status
from app.store.models import BundleRow, MonthlyUsageRow, SubscriberRow
from app.store.segment_sql import SegmentSql

#: The bit of each segment in a profile's mask.
SEGMENT_BITS = {segment: 1 << i for i, segment in enumerate(Segment)}
#: The bit of each bundle kind in a profile's kinds.
KIND_BITS = {kind: 1 << i for i, kind in enumerate(BundleKind)}
#: The kinds of a subscriber holding no bundle in the month.
NO_BUNDLE = -1


def mask_of(segments: Iterable[Segment]) -> int:
    return sum(SEGMENT_BITS[s] for s in set(segments))


@dataclass(frozen=True, slots=True)
class BaseProfiles:
    """The pass's counts: per segment mask of `active` subscribers, how many; the
    dynamic mid-to-high-end counts of the month and the month before; and the
    photographed base's retention and bundling, summed over every mask."""

    by_mask: dict[int, int]
    dynamic: tuple[int, int]
    retention: Retention
    bundling: Bundling

    def eligible(self, targets: frozenset[Segment], exclusions: frozenset[Segment]) -> int:
        """`active` subscribers in a target segment and in no excluded one."""
        wanted, barred = mask_of(targets), mask_of(exclusions)
        return sum(n for mask, n in self.by_mask.items() if mask & wanted and not mask & barred)


#: The bits of a profile's dynamic column: the month's, the month before's.
DYNAMIC_NOW, DYNAMIC_BEFORE = 1, 2


def _usage(segments: SegmentSql, photo: PhotoWindow, month: Month, kpi: KpiThresholds) -> Subquery:
    """Per subscriber: `SegmentSql.usage()`'s sums (as of `segments.on`), the photo
    window's row count, the report month's spend (NULL: no row), and its §8
    dynamic bits (spend and MOU of the month, of the month before)."""
    spend, mou, on = MonthlyUsageRow.spend_fen, MonthlyUsageRow.mou, MonthlyUsageRow.month
    in_photo = on.between(photo.first.first_day(), photo.last.first_day())
    high = and_(spend >= kpi.dynamic_spend_fen, mou >= kpi.dynamic_mou)
    dynamic = case(
        (and_(on == month.first_day(), high), DYNAMIC_NOW),
        (and_(on == month.plus(-1).first_day(), high), DYNAMIC_BEFORE),
        else_=0,
    )
    first = min(photo.first, segments.recent.first, month.plus(-1)).first_day()
    last = max(photo.last, segments.recent.last, month).first_day()
    return (
        select(
            *segments.usage().element.selected_columns,
            func.sum(case((in_photo, 1), else_=0)).label("photo_rows"),
            func.max(case((on == month.first_day(), spend))).label("month_spend"),
            func.sum(dynamic).label("dynamic"),
        )
        .where(MonthlyUsageRow.month.between(first, last))
        .group_by(MonthlyUsageRow.subscriber_id)
        .subquery("segment_usage")
    )


def _bundles(month: Month) -> Subquery:
    """Per subscriber holding a bundle in `month` (§8): the kinds held, as bits (a sum
    of distinct bits is their union, on every backend)."""
    overlapping = and_(
        BundleRow.valid_from <= month.last_day(),
        or_(BundleRow.valid_to.is_(None), BundleRow.valid_to >= month.first_day()),
    )
    bit = case(*((BundleRow.kind == k.value, b) for k, b in KIND_BITS.items()), else_=0)
    return (
        select(
            BundleRow.subscriber_id.label("subscriber_id"),
            func.sum(bit.distinct()).label("kinds"),
        )
        .where(overlapping)
        .group_by(BundleRow.subscriber_id)
        .subquery("bundles_held")
    )


def _profiles(on: date, photo: PhotoWindow, kpi: KpiThresholds) -> Select[Any]:
    """Subscribers counted by profile: (status, segments, in base, retained by
    the month's spend, dynamic bits, bundle kinds, count)."""
    month = Month.of(on)
    segments = SegmentSql(on, photo)
    usage = _usage(segments, photo, month, kpi)
    bundles = _bundles(month)
    conditions = ((segments.condition(s, usage), bit) for s, bit in SEGMENT_BITS.items())
    mask = sum((case((c, bit), else_=0) for c, bit in conditions), literal(0))
    months = len(photo.months)
    in_base = and_(
        func.coalesce(usage.c.photo_rows, 0) > 0,
        func.coalesce(usage.c.photo_spend, 0)
        >= DEFAULT_THRESHOLDS.photographed_monthly_fen * months,
    )
    profile = (
        SubscriberRow.status,
        mask,
        case((in_base, 1), else_=0),
        case((func.coalesce(usage.c.month_spend, 0) >= kpi.retained_spend_fen, 1), else_=0),
        func.coalesce(usage.c.dynamic, 0),
        func.coalesce(bundles.c.kinds, NO_BUNDLE),
    )
    return (
        select(*profile, func.count())
        .select_from(SubscriberRow)
        .outerjoin(usage, usage.c.subscriber_id == SubscriberRow.id)
        .outerjoin(bundles, bundles.c.subscriber_id == SubscriberRow.id)
        .group_by(*profile)
    )


def base_profiles(
    session: Session, on: date, photo: PhotoWindow, kpi: KpiThresholds = DEFAULT_KPI
) -> BaseProfiles:
    """The pass for the month of `on`, segments judged as of `on` (§3, §8)."""
    by_mask: dict[int, int] = {}
    base = retained = churned = active_base = bundled = now = before = 0
    by_kind = dict.fromkeys(BundleKind, 0)
    rows = session.execute(_profiles(on, photo, kpi))
    for status, mask, in_base, spends, dynamic, kinds, n in rows:
        active = status == Status.ACTIVE.value
        if active:
            by_mask[mask] = by_mask.get(mask, 0) + n
            now += n if dynamic & DYNAMIC_NOW else 0
            before += n if dynamic & DYNAMIC_BEFORE else 0
        if not in_base:
            continue
        base += n
        churned += n if status == Status.CLOSED.value else 0
        if active:
            active_base += n
            retained += n if spends else 0
            bundled += n if kinds != NO_BUNDLE else 0
            for kind, bit in KIND_BITS.items():
                by_kind[kind] += n if kinds != NO_BUNDLE and kinds & bit else 0
    return BaseProfiles(
        by_mask,
        (now, before),
        Retention(base, retained, churned),
        Bundling(active_base, bundled, {kind: n for kind, n in by_kind.items() if n}),
    )
