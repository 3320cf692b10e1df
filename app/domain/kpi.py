"""The operator's monthly KPIs, DOMAIN.md §8: the definitions, their thresholds
and ratios. The store counts (SQL aggregates); this module says what is counted
and turns counts into rates.

All for one calendar month M; spend and MOU are M's usage row (no row = 0).
Status is the subscriber's status as the store holds it now: the store keeps
no status history, so "active at the end of M" is read as "active" for the
report's month.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.segments import DEFAULT_THRESHOLDS
from app.domain.subscriber import Month


class BundleKind(StrEnum):
    """The seven sticky-service bundle kinds of DOMAIN.md §8."""

    TERMINAL = "terminal"  # 终端捆绑
    PAYMENT_REBATE = "payment_rebate"  # 缴费回馈
    YEARLY_QUARTERLY = "yearly_quarterly"  # 包年包季
    FAMILY_PLAN = "family_plan"  # 幸福家庭计划
    GROUP_MEMBER = "group_member"  # 有效集团成员
    VALUE_ADDED = "value_added"  # 升值套餐
    SERVICE_CARD = "service_card"  # 业务卡激活


@dataclass(frozen=True, slots=True)
class KpiThresholds:
    """DOMAIN.md §8, in fen and minutes; both bounds inclusive."""

    #: dynamic mid-to-high-end in M: spend ≥ 80 and MOU ≥ 100 (80.00 and 100 count).
    dynamic_spend_fen: int = DEFAULT_THRESHOLDS.dynamic_spend_fen
    dynamic_mou: int = DEFAULT_THRESHOLDS.dynamic_mou
    #: a photographed customer is retained in M with spend ≥ 80 (and `active`).
    retained_spend_fen: int = DEFAULT_THRESHOLDS.photographed_monthly_fen


DEFAULT_KPI = KpiThresholds()
#: The seed's targets (§8): retention 75–80 %, bundling 70 %.
RETENTION_TARGET = (Decimal("0.75"), Decimal("0.80"))
BUNDLING_TARGET = Decimal("0.70")


def ratio(part: int, whole: int) -> Decimal | None:
    """`part ÷ whole` to four decimals (half up); None when there is no whole."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class DynamicHighEnd:
    """§8 dynamic mid-to-high-end count in M and its change from the month before."""

    month: Month
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_rate(self) -> Decimal | None:
        return ratio(self.change, self.previous)


@dataclass(frozen=True, slots=True)
class Retention:
    """§8 photographed-customer retention. Every loss is exactly one of churned
    (`closed`) or spend-lost (not closed, not retained): the split adds up to the base."""

    base: int
    retained: int
    churned: int

    def __post_init__(self) -> None:
        if self.retained + self.churned > self.base:
            raise ValueError("retained and churned exceed the photographed base")

    @property
    def spend_lost(self) -> int:
        return self.base - self.retained - self.churned

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.retained, self.base)


@dataclass(frozen=True, slots=True)
class Bundling:
    """§8 sticky-service bundling: subscribers holding ≥ 1 bundle in M (each counted
    once) over the photographed base still `active`; and per kind."""

    base: int
    bundled: int
    by_kind: dict[BundleKind, int]

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.bundled, self.base)

    def kind_rate(self, kind: BundleKind) -> Decimal | None:
        return ratio(self.by_kind.get(kind, 0), self.base)


@dataclass(frozen=True, slots=True)
class Uptake:
    """Campaign uptake: sign-ups in M per eligible subscriber (active, in a target
    segment, in no excluded one), by campaign and package."""

    campaign: str
    package: str
    activations: int
    eligible: int

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.activations, self.eligible)


@dataclass(frozen=True, slots=True)
class Conversion:
    """Free-to-paid conversion after reminders (§4.1, §5): of the free experiences
    whose free period ended in M after a reminder went out, those kept at the
    normal fee by the subscriber's `Y` (the rest lapsed or were cancelled)."""

    campaign: str
    reminded: int
    kept: int

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.kept, self.reminded)


@dataclass(frozen=True, slots=True)
class KpiReport:
    month: Month
    dynamic: DynamicHighEnd
    retention: Retention | None  # None: no photo window in the catalog
    bundling: Bundling | None
    uptake: list[Uptake]
    conversion: list[Conversion]
