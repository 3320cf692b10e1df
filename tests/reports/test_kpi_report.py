"""DOMAIN.md §8 KPIs for October 2026 against a hand-computed fixture, with each
boundary on both sides (80.00 yuan and one fen below, 100 minutes and 99, a
photographed base of exactly 480 yuan and one fen below, bundles ending on the
month's first day and the day before)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from app.domain.kpi import BundleKind
from app.domain.subscriber import Month
from app.runtime import Runtime
from app.services.kpi_table import kpi_rows
from app.services.reports import kpi_report
from tests.reports.fixtures import add_activation, add_bundle

pytestmark = pytest.mark.usefixtures("catalog")  # photo window 2026-01..2026-06
OCTOBER = Month(2026, 10)
NO_CARD = dict(vip_level=None, vip_source=None, vip_type=None, vip_card_no=None)


def photo(monthly_fen: int, first_month_fen: int | None = None) -> dict[str, tuple[int, int]]:
    rows = {f"2026-{m:02d}": (monthly_fen, 50) for m in range(1, 7)}
    if first_month_fen is not None:
        rows["2026-01"] = (first_month_fen, 50)
    return rows


@pytest.fixture
def ids(runtime: Runtime, add_subscriber: Callable) -> dict[str, int]:
    add = add_subscriber
    made = {
        # In the photographed base (≥ 480 over 2026-01..06), active: dynamic at the bounds.
        "A": add("13800000001", {**photo(80_00), "2026-09": (80_00, 100), "2026-10": (80_00, 100)}, **NO_CARD),
        # 479.99 over the window: not in the base; one fen short of dynamic in October.
        "B": add("13800000002", {**photo(80_00, 79_99), "2026-10": (79_99, 100)}, **NO_CARD),
        # Important photographed; 99 minutes: not dynamic in October, retained (spend ≥ 80).
        "C": add("13800000003", {**photo(120_00), "2026-09": (90_00, 150), "2026-10": (100_00, 99)}, **NO_CARD),
        # Closed: churned, not dynamic whatever its usage.
        "D": add("13800000004", {**photo(80_00), "2026-09": (90_00, 150), "2026-10": (90_00, 200)}, status="closed", **NO_CARD),
        # Suspended: spend-lost although it spent.
        "E": add("13800000005", {**photo(80_00), "2026-10": (90_00, 200)}, status="suspended", **NO_CARD),
        # Active, 79.99 in October: spend-lost.
        "F": add("13800000006", {**photo(80_00), "2026-10": (79_99, 500)}, **NO_CARD),
        # Active, no October row (= 0): spend-lost.
        "G": add("13800000007", photo(80_00), **NO_CARD),
        # Not photographed: dynamic in October (and 99 minutes in September: not then).
        "H": add("13800000008", {"2026-09": (80_00, 99), "2026-10": (200_00, 300)}, **NO_CARD),
        "I": add("13800000009", {"2026-10": (80_00, 100)}, **NO_CARD),
        # New high-end (exactly 480 over 2026-04..09) as of 31 October; J is a granted VIP.
        "J": add("13800000010", {"2026-07": (160_00, 50), "2026-08": (160_00, 50), "2026-09": (160_00, 50)}, vip_level=None, vip_source="granted"),
        "K": add("13800000011", {"2026-07": (160_00, 50), "2026-08": (160_00, 50), "2026-09": (160_00, 50)}, **NO_CARD),
    }  # fmt: skip
    # Bundles: A holds two (counted once), F one ending on 1 October; C's ended on
    # 30 September and the next starts 1 November; E (suspended) and B (not
    # photographed) are outside the base.
    add_bundle(runtime, made["A"], "terminal", date(2026, 10, 31), None)
    add_bundle(runtime, made["A"], "family_plan", date(2025, 1, 1), date(2026, 10, 1))
    add_bundle(runtime, made["F"], "terminal", date(2026, 1, 1), date(2026, 10, 1))
    add_bundle(runtime, made["C"], "payment_rebate", date(2025, 1, 1), date(2026, 9, 30))
    add_bundle(runtime, made["C"], "yearly_quarterly", date(2026, 11, 1), None)
    add_bundle(runtime, made["E"], "group_member", date(2026, 1, 1), None)
    add_bundle(runtime, made["B"], "terminal", date(2026, 1, 1), None)
    # Sign-ups: two in October (first and last day), one each side of it.
    add_activation(
        runtime, made["A"], package="2", activated_on=date(2026, 10, 1), ends_on=date(2027, 1, 31)
    )
    add_activation(
        runtime, made["C"], package="3", activated_on=date(2026, 10, 31), ends_on=date(2027, 1, 31)
    )
    add_activation(
        runtime, made["H"], package="2", activated_on=date(2026, 11, 1), ends_on=date(2027, 2, 28)
    )
    add_activation(
        runtime, made["F"], package="2", activated_on=date(2026, 9, 30), ends_on=date(2026, 12, 31)
    )
    # Free periods: ended in October after a reminder (one kept, one lapsed), one
    # ended in October with no reminder, one kept but ending in November.
    add_activation(
        runtime,
        made["D"],
        package="1",
        activated_on=date(2026, 6, 1),
        ends_on=date(2026, 10, 31),
        state="kept",
        reminded=True,
    )
    add_activation(
        runtime,
        made["E"],
        package="1",
        activated_on=date(2026, 6, 1),
        ends_on=date(2026, 10, 1),
        state="lapsed",
        reminded=True,
    )
    add_activation(
        runtime,
        made["G"],
        package="1",
        activated_on=date(2026, 6, 1),
        ends_on=date(2026, 10, 15),
        state="lapsed",
    )
    add_activation(
        runtime,
        made["K"],
        package="1",
        activated_on=date(2026, 6, 1),
        ends_on=date(2026, 11, 1),
        state="kept",
        reminded=True,
    )
    return made  # fmt: skip


def test_dynamic_mid_high_end_and_change(runtime: Runtime, ids: dict[str, int]) -> None:
    dynamic = kpi_report(runtime.uow_factory, OCTOBER).dynamic
    # October: A (80.00 and 100 exactly), H, I. September: A, C (D is closed, H has 99 minutes).
    assert (dynamic.count, dynamic.previous, dynamic.change) == (3, 2, 1)
    assert dynamic.change_rate == Decimal("0.5000")


def test_photographed_retention_split(runtime: Runtime, ids: dict[str, int]) -> None:
    retention = kpi_report(runtime.uow_factory, OCTOBER).retention
    assert retention is not None
    # Base A C D E F G (B is one fen short); retained A C; churned D; spend-lost E F G.
    assert (retention.base, retention.retained, retention.churned) == (6, 2, 1)
    assert retention.spend_lost == 3
    assert retention.retained + retention.churned + retention.spend_lost == retention.base
    assert retention.rate == Decimal("0.3333")


def test_bundling_rate_by_kind(runtime: Runtime, ids: dict[str, int]) -> None:
    bundling = kpi_report(runtime.uow_factory, OCTOBER).bundling
    assert bundling is not None
    # Active base A C F G; bundled A (two kinds, counted once) and F.
    assert (bundling.base, bundling.bundled, bundling.rate) == (4, 2, Decimal("0.5000"))
    assert bundling.by_kind == {BundleKind.TERMINAL: 2, BundleKind.FAMILY_PLAN: 1}
    assert bundling.kind_rate(BundleKind.FAMILY_PLAN) == Decimal("0.2500")
    assert bundling.kind_rate(BundleKind.SERVICE_CARD) == Decimal("0.0000")


def test_campaign_uptake_per_eligible_subscriber(runtime: Runtime, ids: dict[str, int]) -> None:
    uptake = kpi_report(runtime.uow_factory, OCTOBER).uptake
    # Eligible for IWJZS on 31 October: active photographed A C F G and new high-end K;
    # not J (granted VIP), not D (closed) or E (suspended), not B H I (no target segment).
    assert [(u.campaign, u.package, u.activations, u.eligible) for u in uptake] == [
        ("IWJZS", "2", 1, 5),
        ("IWJZS", "3", 1, 5),
    ]
    assert uptake[0].rate == Decimal("0.2000")


def test_free_to_paid_conversion_after_reminders(runtime: Runtime, ids: dict[str, int]) -> None:
    (conversion,) = kpi_report(runtime.uow_factory, OCTOBER).conversion
    assert (conversion.campaign, conversion.reminded, conversion.kept) == ("IWJZS", 2, 1)
    assert conversion.rate == Decimal("0.5000")


def test_rows_for_csv(runtime: Runtime, ids: dict[str, int]) -> None:
    rows = kpi_rows(kpi_report(runtime.uow_factory, OCTOBER))
    assert ("dynamic_mid_high_end", "2026-10", 3, "", "") in rows
    assert ("photographed_spend_lost", "", 3, 6, "0.5000") in rows
    assert ("bundling", "any", 2, 4, "0.5000") in rows
    assert ("bundling", "value_added", 0, 4, "0.0000") in rows
    assert ("free_to_paid", "IWJZS", 1, 2, "0.5000") in rows


def test_an_empty_month(runtime: Runtime) -> None:
    report = kpi_report(runtime.uow_factory, OCTOBER)
    assert (report.dynamic.count, report.dynamic.change_rate) == (0, None)
    assert report.retention is not None and report.retention.rate is None
    assert report.uptake == [] and report.conversion == []
