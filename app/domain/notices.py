"""Messages the service starts itself: when they may go out, and which are due.

DOMAIN.md §7a: only between 08:00 and 22:00 operator time, inside the
subscriber's own contact window where one is set, at most a few a day;
a message due outside is held until the window opens. §4.1: the reminder
before a free period ends and the lapse after it; §4.6: the birthday
greeting; §4.3: tenure-reward credits once a contract month's usage is known.

Times here are operator-local wall-clock times; the caller converts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from app.domain.birthday import birthday_in
from app.domain.subscriber import Month
from app.domain.tenure_reward import minutes_earned

#: §7a: notices go out from 08:00 up to (not including) 22:00.
OPERATOR_OPENS = time(8, 0)
OPERATOR_CLOSES = time(22, 0)
DAILY_CAP = 3
REMINDER_DAYS_BEFORE = 7

#: The kinds of notice: §4.1 the reminder and the lapse, §4.6 the birthday
#: greeting, §4.3 a tenure-reward credit.
REMINDER, LAPSE, BIRTHDAY, CREDIT = "reminder", "lapse", "birthday", "credit"

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """A subscriber's best contact time, `start` included and `end` excluded.

    `end < start` is an overnight window (`20:00-09:00`: evenings and
    mornings). An `end` of 24:00 is written `00:00`.
    """

    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


def parse_window(text: str | None) -> ContactWindow | None:
    """`HH:MM-HH:MM`, or None (no window) for empty or malformed text.

    A malformed window does not silence the subscriber: the operator's hours
    alone then apply. Equal ends (`09:00-09:00`) mean no restriction either.
    """
    if not text:
        return None
    match = _WINDOW.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        return None
    window = ContactWindow(time(h1, m1), time(h2, m2))
    return None if window.start == window.end else window


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def allowed_spans(
    window: ContactWindow | None,
    opens: time = OPERATOR_OPENS,
    closes: time = OPERATOR_CLOSES,
) -> list[tuple[int, int]]:
    """The minutes of a day (half-open spans, ascending) when a notice may go out:
    operator hours intersected with the contact window.

    A window that shares no minute with the operator's hours (`23:00-07:00`)
    is ignored: otherwise the subscriber would never hear that a free period
    ends, and the end-of-period reminder is how consent is asked (§5).
    """
    operator = (_minutes(opens), _minutes(closes))
    if window is None:
        return [operator]
    start, end = _minutes(window.start), _minutes(window.end)
    pieces = [(start, end)] if not window.overnight else [(0, end), (start, _DAY_MINUTES)]
    spans = [
        (max(a, operator[0]), min(b, operator[1]))
        for a, b in pieces
        if max(a, operator[0]) < min(b, operator[1])
    ]
    return sorted(spans) or [operator]


def may_send_at(
    local: datetime,
    window: ContactWindow | None,
    opens: time = OPERATOR_OPENS,
    closes: time = OPERATOR_CLOSES,
) -> bool:
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in allowed_spans(window, opens, closes))


def earliest_send(
    local: datetime,
    window: ContactWindow | None,
    opens: time = OPERATOR_OPENS,
    closes: time = OPERATOR_CLOSES,
) -> datetime:
    """The earliest allowed instant at or after `local`: `local` itself when
    allowed, else the next opening today, else the first opening tomorrow."""
    spans = allowed_spans(window, opens, closes)
    minute = local.hour * 60 + local.minute
    for a, b in spans:
        if a <= minute < b:
            return local
        if minute < a:
            return _at(local, local.date(), a)
    return _at(local, local.date() + timedelta(days=1), spans[0][0])


def _at(like: datetime, day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=like.tzinfo)


def schedule(
    due: datetime,
    window: ContactWindow | None,
    sent_on: Callable[[date], int] | Mapping[date, int],
    cap: int = DAILY_CAP,
    latest_day: date | None = None,
    opens: time = OPERATOR_OPENS,
    closes: time = OPERATOR_CLOSES,
) -> datetime | None:
    """When a notice due at `due` goes out: the earliest allowed time on a day
    with fewer than `cap` notices already (`sent_on(day)`); a notice over the
    cap moves to the next day. None when that would be after `latest_day`
    (a birthday greeting the day after, a reminder after the period ended).
    """
    if cap < 1:
        return None
    count = sent_on.get if isinstance(sent_on, Mapping) else sent_on
    at = earliest_send(due, window, opens, closes)
    for _ in range(366):  # each step moves a day; a year of full days gives up
        if latest_day is not None and at.date() > latest_day:
            return None
        if (count(at.date()) or 0) < cap:
            return at
        midnight = datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=at.tzinfo)
        at = earliest_send(midnight, window, opens, closes)
    return None


def reminder_due(ends_on: date, on: date, days_before: int = REMINDER_DAYS_BEFORE) -> bool:
    """§4.1: remind `days_before` days before the last free day (default 7).

    A run missed on that day catches up on the days after, up to the last
    free day itself (the notice row keeps it to one reminder); after that a
    `Y` no longer keeps anything, so no reminder is due.
    """
    return ends_on - timedelta(days=days_before) <= on <= ends_on


def lapse_due(ends_on: date, on: date) -> bool:
    """§4.1, §5: a free experience not kept lapses the day after its last free day."""
    return on > ends_on


def birthday_today(birthday: date | None, on: date) -> bool:
    """§4.6: the birthday, with 29 February kept on 28 February in common years."""
    return birthday is not None and birthday_in(on.year, birthday) == on


def contract_months(starts_on: date, ends_on: date) -> list[Month]:
    """Every calendar month a contract covers, first to last."""
    months, month, last = [], Month.of(starts_on), Month.of(ends_on)
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months


@dataclass(frozen=True, slots=True)
class CreditDecision:
    month: Month
    minutes: int  # 0: decided, the month's spend earned nothing


def credits_due(
    starts_on: date,
    ends_on: date,
    details: Mapping[str, Any],
    spend_by_month: Mapping[Month, int],
    decided: Iterable[Month],
    on: date,
) -> list[CreditDecision]:
    """§4.3: the contract months whose credit can be decided on `on`.

    A month is decided once: when its usage row is imported and the month is
    over (a row for the running month may be a partial import). Months below
    the qualifying spend are decided with 0 minutes, so they are not read again.
    """
    done = set(decided)
    this_month = Month.of(on)
    return [
        CreditDecision(month, minutes_earned(spend_by_month[month], details))
        for month in contract_months(starts_on, ends_on)
        if month < this_month and month in spend_by_month and month not in done
    ]
