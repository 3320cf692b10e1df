"""When the service's own messages may go out, and which are due (DOMAIN.md §4, §7a)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.domain.notices import (
    ContactWindow,
    birthday_today,
    credits_due,
    earliest_send,
    lapse_due,
    may_send_at,
    parse_window,
    reminder_due,
    schedule,
)
from app.domain.subscriber import Month

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)


def at(hhmm: str, on: date = DAY) -> datetime:
    h, m = (int(p) for p in hhmm.split(":"))
    return datetime.combine(on, time(h, m), tzinfo=SH)


NEXT = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-18:00", ContactWindow(time(9), time(18))),
        (" 9:30 - 18:00 ", ContactWindow(time(9, 30), time(18))),
        ("20:00-09:00", ContactWindow(time(20), time(9))),
        ("18:00-24:00", ContactWindow(time(18), time(0))),
        (None, None),
        ("", None),
        ("anytime", None),
        ("25:00-26:00", None),
        ("09:60-10:00", None),
        ("09:00-09:00", None),
    ],
)
def test_parse_window(text: str | None, expected: ContactWindow | None) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    ("window", "hhmm", "allowed"),
    [
        (None, "07:59", False),
        (None, "08:00", True),
        (None, "21:59", True),
        (None, "22:00", False),
        (None, "00:00", False),
        ("09:00-18:00", "08:59", False),
        ("09:00-18:00", "09:00", True),
        ("09:00-18:00", "17:59", True),
        ("09:00-18:00", "18:00", False),
        # A window reaching past the operator's hours is cut to them.
        ("06:00-23:00", "07:59", False),
        ("06:00-23:00", "08:00", True),
        ("06:00-23:00", "22:00", False),
        # Overnight: evenings and mornings, inside 08:00-22:00.
        ("20:00-09:00", "08:00", True),
        ("20:00-09:00", "08:59", True),
        ("20:00-09:00", "09:00", False),
        ("20:00-09:00", "19:59", False),
        ("20:00-09:00", "20:00", True),
        ("20:00-09:00", "21:59", True),
        ("20:00-09:00", "22:00", False),
        # A window never inside the operator's hours is ignored, not obeyed for ever.
        ("23:00-07:00", "12:00", True),
        ("23:00-07:00", "23:30", False),
        # Malformed: operator hours alone.
        ("whenever", "08:00", True),
        ("whenever", "07:59", False),
    ],
)
def test_may_send_at(window: str | None, hhmm: str, allowed: bool) -> None:
    assert may_send_at(at(hhmm), parse_window(window)) is allowed


@pytest.mark.parametrize(
    ("window", "due", "expected"),
    [
        (None, at("07:59"), at("08:00")),
        (None, at("08:00"), at("08:00")),
        (None, at("13:17"), at("13:17")),
        (None, at("21:59"), at("21:59")),
        (None, at("22:00"), at("08:00", NEXT)),
        (None, at("23:59"), at("08:00", NEXT)),
        ("09:00-18:00", at("08:00"), at("09:00")),
        ("09:00-18:00", at("09:00"), at("09:00")),
        ("09:00-18:00", at("17:59"), at("17:59")),
        ("09:00-18:00", at("18:00"), at("09:00", NEXT)),
        ("20:00-09:00", at("09:00"), at("20:00")),
        ("20:00-09:00", at("22:00"), at("08:00", NEXT)),
        ("20:00-09:00", at("03:00"), at("08:00")),
    ],
)
def test_earliest_send(window: str | None, due: datetime, expected: datetime) -> None:
    assert earliest_send(due, parse_window(window)) == expected


@pytest.mark.parametrize(
    ("sent_today", "sent_tomorrow", "expected"),
    [
        (0, 0, at("10:00")),
        (2, 0, at("10:00")),
        (3, 0, at("08:00", NEXT)),  # the cap is 3: the 4th moves to the next day
        (4, 0, at("08:00", NEXT)),
        (3, 3, at("08:00", date(2026, 11, 25))),
    ],
)
def test_daily_cap(sent_today: int, sent_tomorrow: int, expected: datetime) -> None:
    sent = {DAY: sent_today, NEXT: sent_tomorrow}
    assert schedule(at("10:00"), None, sent, cap=3) == expected


def test_cap_is_configurable_and_moves_into_the_window() -> None:
    window = parse_window("09:00-18:00")
    assert schedule(at("10:00"), window, {DAY: 1}, cap=1) == at("09:00", NEXT)
    assert schedule(at("10:00"), window, {DAY: 1}, cap=2) == at("10:00")


@pytest.mark.parametrize(
    ("due", "sent", "latest", "expected"),
    [
        (at("10:00"), {}, DAY, at("10:00")),
        (at("22:00"), {}, DAY, None),  # the greeting would arrive the next day
        (at("10:00"), {DAY: 3}, DAY, None),
        (at("10:00"), {DAY: 3}, NEXT, at("08:00", NEXT)),
    ],
)
def test_latest_day(
    due: datetime, sent: dict[date, int], latest: date, expected: datetime | None
) -> None:
    assert schedule(due, None, sent, cap=3, latest_day=latest) == expected


ENDS = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("days_before", "due"),
    [(8, False), (7, True), (6, True), (1, True), (0, True), (-1, False)],
)
def test_reminder_day(days_before: int, due: bool) -> None:
    on = date.fromordinal(ENDS.toordinal() - days_before)
    assert reminder_due(ENDS, on) is due


@pytest.mark.parametrize(("days_before", "due"), [(4, False), (3, True), (2, True)])
def test_reminder_days_are_configurable(days_before: int, due: bool) -> None:
    on = date.fromordinal(ENDS.toordinal() - days_before)
    assert reminder_due(ENDS, on, days_before=3) is due


@pytest.mark.parametrize(
    ("on", "due"),
    [
        (date(2026, 11, 29), False),
        (ENDS, False),
        (date(2026, 12, 1), True),
        (date(2027, 1, 5), True),
    ],
)
def test_lapse_the_day_after_the_last_free_day(on: date, due: bool) -> None:
    assert lapse_due(ENDS, on) is due


@pytest.mark.parametrize(
    ("birthday", "on", "today"),
    [
        (date(1980, 6, 18), date(2026, 6, 18), True),
        (date(1980, 6, 18), date(2026, 6, 17), False),
        (date(1980, 6, 18), date(2026, 6, 19), False),
        (date(1988, 2, 29), date(2026, 2, 28), True),  # common year
        (date(1988, 2, 29), date(2026, 3, 1), False),
        (date(1988, 2, 29), date(2028, 2, 28), False),  # leap year: on the 29th
        (date(1988, 2, 29), date(2028, 2, 29), True),
        (date(1980, 2, 28), date(2026, 2, 28), True),
        (None, date(2026, 6, 18), False),
    ],
)
def test_birthday_today(birthday: date | None, on: date, today: bool) -> None:
    assert birthday_today(birthday, on) is today


TERMS = {"qualifying_spend_fen": 120_00, "minutes": 180}


def test_credit_months_are_decided_once_when_over_and_imported() -> None:
    spend = {
        Month(2026, 9): 120_00,  # qualifies (inclusive)
        Month(2026, 10): 119_99,  # decided, earns nothing
        Month(2026, 11): 500_00,  # the running month: not yet
        Month(2026, 8): 900_00,  # before the contract
    }
    due = credits_due(date(2026, 9, 1), date(2027, 8, 31), TERMS, spend, [], DAY)
    assert [(d.month, d.minutes) for d in due] == [(Month(2026, 9), 180), (Month(2026, 10), 0)]
    again = credits_due(date(2026, 9, 1), date(2027, 8, 31), TERMS, spend, [Month(2026, 9)], DAY)
    assert [d.month for d in again] == [Month(2026, 10)]


def test_no_credit_after_the_contract() -> None:
    spend = {Month(2027, 9): 200_00}
    assert (
        credits_due(date(2026, 9, 1), date(2027, 8, 31), TERMS, spend, [], date(2027, 12, 1)) == []
    )
