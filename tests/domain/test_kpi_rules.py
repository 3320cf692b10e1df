"""The pure rules behind the operator's reports: DOMAIN.md §8 ratios and splits,
§9 contact cadences, and which replies are stuck."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.domain.kpi import DynamicHighEnd, Retention, ratio
from app.domain.stuck_replies import StuckRule, is_stuck, retryable
from app.domain.subscriber import Month, VipLevel
from app.domain.worklists import (
    WorklistRules,
    contact_due,
    contacted_by,
    low_balance,
    month_end,
    visit_due,
)

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_ratio_rounds_half_up_and_has_no_base_for_zero() -> None:
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(1, 8) == Decimal("0.1250")
    assert ratio(0, 0) is None


def test_retention_split_adds_up() -> None:
    retention = Retention(base=10, retained=7, churned=1)
    assert (retention.spend_lost, retention.rate) == (2, Decimal("0.7000"))
    with pytest.raises(ValueError):
        Retention(base=3, retained=2, churned=2)


def test_dynamic_change() -> None:
    dynamic = DynamicHighEnd(Month(2026, 10), count=90, previous=100)
    assert (dynamic.change, dynamic.change_rate) == (-10, Decimal("-0.1000"))


@pytest.mark.parametrize(
    ("level", "days_ago", "due"),
    [
        (VipLevel.DIAMOND, 7, True),
        (VipLevel.DIAMOND, 6, False),
        (VipLevel.GOLD, 14, True),
        (VipLevel.GOLD, 13, False),
        (VipLevel.SILVER, 14, True),
        (VipLevel.SILVER, 13, False),
    ],
)
def test_contact_cadence(level: VipLevel, days_ago: int, due: bool) -> None:
    last = TODAY - timedelta(days=days_ago)
    assert contact_due(level, last, TODAY) is due
    assert (last <= contacted_by(level, TODAY)) is due
    assert contact_due(level, None, TODAY)


def test_monthly_visits() -> None:
    assert visit_due(VipLevel.GOLD, date(2026, 10, 31), TODAY)
    assert not visit_due(VipLevel.GOLD, date(2026, 11, 1), TODAY)
    assert visit_due(VipLevel.DIAMOND, None, TODAY)
    assert not visit_due(VipLevel.SILVER, None, TODAY)  # §9: no visits for silver
    assert month_end(TODAY) == date(2026, 11, 30)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29)


def test_low_balance_is_below_the_threshold() -> None:
    assert low_balance(19_99) and not low_balance(20_00)
    assert low_balance(49_99, WorklistRules(low_balance_fen=50_00))
    with pytest.raises(ValueError):
        WorklistRules(birthday_days=0)


@pytest.mark.parametrize(
    ("state", "claimed_by", "due", "stuck"),
    [
        ("queued", None, timedelta(minutes=-10), True),  # due ten minutes ago, not taken
        ("queued", None, timedelta(minutes=-9, seconds=-59), False),
        ("queued", "smpp:a", timedelta(seconds=0), True),  # the lease ends now
        ("queued", "smpp:a", timedelta(seconds=1), False),
        ("queued", None, timedelta(hours=5), False),  # a notice held for its window
        ("sent", None, timedelta(hours=-5), False),
        ("failed", None, None, False),
    ],
)
def test_stuck(state: str, claimed_by: str | None, due: timedelta | None, stuck: bool) -> None:
    at = None if due is None else NOW + due
    assert is_stuck(state, claimed_by, at, NOW, StuckRule(10)) is stuck
    assert retryable(state, claimed_by, at, NOW, StuckRule(10)) is (stuck or state == "failed")
