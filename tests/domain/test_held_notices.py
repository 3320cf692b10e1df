"""Whether a held notice still applies when it leaves (DOMAIN.md §4.1, §4.6, §5, §6, §7a)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain.held_notices import (
    CANCELLED,
    KEPT,
    LAPSED,
    MOOT_ONCE_CANCELLED,
    OPTED_OUT,
    OUT_OF_DATE,
    SERVICE_CHANGED,
    HeldNotice,
    drop_reason,
    valid_until,
)
from app.domain.notices import BIRTHDAY, CREDIT, LAPSE, REMINDER

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=SH)
LATER = datetime(2026, 11, 24, 0, 0, tzinfo=SH)


def held(kind: str, service: str | None = None, *, opted_out: bool = False, until=None):
    return HeldNotice(kind, opted_out, service, until)


@pytest.mark.parametrize(
    "notice",
    [
        held(REMINDER, "active", until=LATER),
        held(LAPSE, "lapsed"),
        held(BIRTHDAY, until=LATER),
        held(CREDIT, "active"),
        held(CREDIT, "cancelled"),  # the minutes were earned all the same
        held(CREDIT),
    ],
)
def test_what_still_applies_goes(notice: HeldNotice) -> None:
    assert drop_reason(notice, NOW) is None


@pytest.mark.parametrize(
    ("notice", "reason"),
    [
        (held(REMINDER, "active", opted_out=True), OPTED_OUT),
        (held(LAPSE, "lapsed", opted_out=True), OPTED_OUT),
        (held(BIRTHDAY, opted_out=True, until=LATER), OPTED_OUT),
        (held(CREDIT, "active", opted_out=True), OPTED_OUT),
        (held(REMINDER, "cancelled"), CANCELLED),
        (held(REMINDER, "kept"), KEPT),
        (held(REMINDER, "lapsed"), LAPSED),
        (held(REMINDER, None), SERVICE_CHANGED),
        (held(LAPSE, "kept"), KEPT),
        (held(LAPSE, "active"), SERVICE_CHANGED),
        (held(REMINDER, "active", until=NOW), OUT_OF_DATE),
        (held(BIRTHDAY, until=NOW), OUT_OF_DATE),
    ],
)
def test_what_no_longer_applies_is_dropped_with_its_reason(notice: HeldNotice, reason: str) -> None:
    assert drop_reason(notice, NOW) == reason


def test_opt_out_comes_before_the_service() -> None:
    assert drop_reason(held(REMINDER, "cancelled", opted_out=True), NOW) == OPTED_OUT


def test_a_cancel_makes_reminders_and_lapse_notices_moot_not_credits() -> None:
    assert {REMINDER, LAPSE} == MOOT_ONCE_CANCELLED


def test_valid_until_the_end_of_the_last_day_in_operator_time() -> None:
    assert valid_until(date(2026, 11, 30), SH) == datetime(2026, 12, 1, tzinfo=SH)
    until = valid_until(date(2026, 6, 18), SH)
    assert (
        drop_reason(held(BIRTHDAY, until=until), datetime(2026, 6, 18, 23, 59, tzinfo=SH)) is None
    )
    assert drop_reason(held(BIRTHDAY, until=until), datetime(2026, 6, 19, tzinfo=SH)) == OUT_OF_DATE
