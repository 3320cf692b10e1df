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
    NoticeRules,
    drop_reason,
    leaves_at,
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


# --- §7a at the claim: when a notice still queued past its slot may leave -----------------


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 8, day, hour, minute, tzinfo=SH)


@pytest.mark.parametrize(
    ("now", "window", "sent_today", "leaves"),
    [
        (at(24, 21, 59), None, 0, at(24, 21, 59)),  # inside operator hours: now
        (at(24, 22, 0), None, 0, at(25, 8, 0)),  # 22:00 is outside
        (at(24, 23, 30), None, 0, at(25, 8, 0)),
        (at(25, 3, 0), None, 0, at(25, 8, 0)),  # before dawn: that morning
        (at(24, 23, 30), "09:00-12:00", 0, at(25, 9, 0)),  # the window's next opening
        (at(24, 10, 0), "18:00-20:00", 0, at(24, 18, 0)),  # later the same day
        (at(24, 16, 0), "14:00-16:00", 0, at(25, 14, 0)),  # the window's end is excluded
        (at(24, 10, 0), "23:00-07:00", 0, at(24, 10, 0)),  # no minute in hours: ignored
        (at(24, 10, 0), None, 2, at(24, 10, 0)),  # under the cap
        (at(24, 10, 0), None, 3, at(25, 8, 0)),  # the day is full: tomorrow
        (at(24, 10, 0), "14:00-16:00", 3, at(25, 14, 0)),
    ],
)
def test_leaves_at(now: datetime, window: str | None, sent_today: int, leaves: datetime) -> None:
    assert leaves_at(now, window, sent_today, 3) == leaves


def test_the_cap_is_at_least_one() -> None:
    with pytest.raises(ValueError):
        NoticeRules(SH, 0)
