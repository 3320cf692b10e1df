"""Customer segments and service levels, DOMAIN.md §3.

Thresholds are inclusive lower bounds. Spend is in fen, MOU in minutes. The
photo window is configuration (the catalog sets it), never a constant here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.subscriber import Brand, Month, MonthlyUsage, Subscriber, VipLevel, VipSource


class Segment(StrEnum):
    VIP_DIAMOND = "vip_diamond"
    VIP_GOLD = "vip_gold"
    VIP_SILVER = "vip_silver"
    GRANTED_VIP = "granted_vip"
    IMPORTANT_PHOTOGRAPHED = "important_photographed"  # 重要拍照客户
    PHOTOGRAPHED = "photographed"  # ordinary 拍照客户
    STABLE_HIGH_END = "stable_high_end"  # 稳定高端
    NEW_HIGH_END = "new_high_end"  # 新增高端
    DYNAMIC_MID_HIGH_END = "dynamic_mid_high_end"  # 动态中高端
    FIXED_MID_HIGH_END = "fixed_mid_high_end"  # 固定中高端
    ALERT = "alert"  # 预警客户


VIP_CARDS: Mapping[VipLevel, Segment] = {
    VipLevel.DIAMOND: Segment.VIP_DIAMOND,
    VipLevel.GOLD: Segment.VIP_GOLD,
    VipLevel.SILVER: Segment.VIP_SILVER,
}

#: The five service levels, highest first (DOMAIN.md §3).
SERVICE_LEVELS: tuple[Segment, ...] = (
    Segment.VIP_DIAMOND,
    Segment.VIP_GOLD,
    Segment.VIP_SILVER,
    Segment.IMPORTANT_PHOTOGRAPHED,
    Segment.PHOTOGRAPHED,
)


@dataclass(frozen=True, slots=True)
class PhotoWindow:
    """The months over which the operator photographs its base (拍照), inclusive."""

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"photo window ends ({self.last}) before it starts ({self.first})")

    @property
    def months(self) -> list[Month]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [self.first.plus(i) for i in range(count)]


@dataclass(frozen=True, slots=True)
class SegmentThresholds:
    """The per-month figures behind DOMAIN.md §3, in fen and minutes."""

    photographed_monthly_fen: int = 80_00  # 480 over a six-month window
    important_monthly_fen: int = 120_00  # 720 over a six-month window
    stable_spend_fen: int = 120_00
    stable_mou: int = 100
    stable_min_months: int = 4
    dynamic_spend_fen: int = 80_00
    dynamic_mou: int = 100
    fixed_fee_fen: int = 80_00
    vip_diamond_year_fen: int = 8000_00
    vip_gold_year_fen: int = 4000_00
    vip_silver_year_fen: int = 2000_00


DEFAULT_THRESHOLDS = SegmentThresholds()


def held_vip_card(subscriber: Subscriber, on: date) -> VipLevel | None:
    """The VIP card the record holds on `on` (DOMAIN.md §3).

    Cards are held, not recomputed per message. An expired card, a card without
    validity dates, or a card on a non-GoTone number counts as no card.
    """
    if subscriber.vip_level is None or subscriber.brand is not Brand.GOTONE:
        return None
    valid_from, valid_to = subscriber.vip_valid_from, subscriber.vip_valid_to
    if valid_from is None or valid_to is None or not valid_from <= on <= valid_to:
        return None
    return subscriber.vip_level


def vip_level_for_spend(
    brand: Brand, previous_year_spend_fen: int, thresholds: SegmentThresholds = DEFAULT_THRESHOLDS
) -> VipLevel | None:
    """The card the annual rating assigns (DOMAIN.md §3): GoTone only, by last year's spend."""
    if brand is not Brand.GOTONE:
        return None
    if previous_year_spend_fen >= thresholds.vip_diamond_year_fen:
        return VipLevel.DIAMOND
    if previous_year_spend_fen >= thresholds.vip_gold_year_fen:
        return VipLevel.GOLD
    if previous_year_spend_fen >= thresholds.vip_silver_year_fen:
        return VipLevel.SILVER
    return None


def photographed_segment(
    spend_fen: int, months: int, thresholds: SegmentThresholds = DEFAULT_THRESHOLDS
) -> Segment | None:
    """Ordinary (480 ≤ spend < 720) or important (≥ 720) photographed, over `months` months."""
    if spend_fen >= thresholds.important_monthly_fen * months:
        return Segment.IMPORTANT_PHOTOGRAPHED
    if spend_fen >= thresholds.photographed_monthly_fen * months:
        return Segment.PHOTOGRAPHED
    return None


def is_stable_high_end(
    usage: Mapping[Month, MonthlyUsage],
    window: PhotoWindow,
    thresholds: SegmentThresholds = DEFAULT_THRESHOLDS,
) -> bool:
    """Average spend ≥ 120 and MOU ≥ 100 over the window, with ≥ 4 such months."""
    rows = [usage.get(m) for m in window.months]
    count = len(rows)
    spend = sum(r.spend_fen for r in rows if r)
    mou = sum(r.mou for r in rows if r)
    strong = sum(
        1
        for r in rows
        if r and r.spend_fen >= thresholds.stable_spend_fen and r.mou >= thresholds.stable_mou
    )
    return (
        spend >= thresholds.stable_spend_fen * count
        and mou >= thresholds.stable_mou * count
        and strong >= thresholds.stable_min_months
    )


def is_dynamic_mid_high_end(
    row: MonthlyUsage | None, thresholds: SegmentThresholds = DEFAULT_THRESHOLDS
) -> bool:
    """In one month: spend ≥ 80 and MOU ≥ 100 (DOMAIN.md §3, §8)."""
    return (
        row is not None
        and row.spend_fen >= thresholds.dynamic_spend_fen
        and row.mou >= thresholds.dynamic_mou
    )


def latest_complete_months(on: date, count: int = 6) -> PhotoWindow:
    """The `count` calendar months before the month of `on`."""
    this = Month.of(on)
    return PhotoWindow(this.plus(-count), this.plus(-1))


def segments_of(
    subscriber: Subscriber,
    usage: Iterable[MonthlyUsage],
    photo: PhotoWindow,
    on: date,
    thresholds: SegmentThresholds = DEFAULT_THRESHOLDS,
) -> frozenset[Segment]:
    """Every segment of DOMAIN.md §3 the subscriber is in on `on`.

    Months without a usage row count as zero spend and zero minutes. Dynamic
    mid-to-high-end is judged on the latest complete month.
    """
    by_month = {row.month: row for row in usage}
    found: set[Segment] = set()

    card = held_vip_card(subscriber, on)
    if card is not None:
        found.add(VIP_CARDS[card])
    if subscriber.vip_source is VipSource.GRANTED:
        found.add(Segment.GRANTED_VIP)
    if subscriber.alert:
        found.add(Segment.ALERT)

    def spend_over(window: PhotoWindow) -> int:
        return sum(by_month[m].spend_fen for m in window.months if m in by_month)

    photo_months = len(photo.months)
    photographed = photographed_segment(spend_over(photo), photo_months, thresholds)
    if photographed is not None:
        found.add(photographed)
    if is_stable_high_end(by_month, photo, thresholds):
        found.add(Segment.STABLE_HIGH_END)

    recent = latest_complete_months(on)
    if photographed is None and photographed_segment(spend_over(recent), 6, thresholds):
        found.add(Segment.NEW_HIGH_END)
    if is_dynamic_mid_high_end(by_month.get(recent.last), thresholds):
        found.add(Segment.DYNAMIC_MID_HIGH_END)
    if is_fixed_mid_high_end(subscriber, thresholds):
        found.add(Segment.FIXED_MID_HIGH_END)
    return frozenset(found)


def is_fixed_mid_high_end(
    subscriber: Subscriber, thresholds: SegmentThresholds = DEFAULT_THRESHOLDS
) -> bool:
    """A plan fee ≥ 80 or a guaranteed minimum spend ≥ 80 (DOMAIN.md §3)."""
    return (
        subscriber.plan_fee_fen >= thresholds.fixed_fee_fen
        or subscriber.guaranteed_spend_fen >= thresholds.fixed_fee_fen
    )


def service_level(segments: Iterable[Segment]) -> Segment | None:
    """The highest of the five service levels the subscriber holds (DOMAIN.md §3)."""
    held = set(segments)
    return next((level for level in SERVICE_LEVELS if level in held), None)
