"""Operator time: every decision is taken as of the local day of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

#: How far the service clock runs ahead of (or behind) the machine's: zero unless
#: `start_clock_at` moved it, for tests and demos that must answer alike on any day.
_offset = timedelta(0)


def utc_now() -> datetime:
    """The service clock: the machine's, moved by `start_clock_at` if it was."""
    return datetime.now(UTC) + _offset


def start_clock_at(instant: datetime | None) -> None:
    """Make the service clock read `instant` now and run on from it at the
    machine's pace (SMSHALL_CLOCK_START); None puts it back on the machine's."""
    global _offset
    _offset = timedelta(0) if instant is None else instant - datetime.now(UTC)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar day in the operator's zone (DESIGN.md, Data: months are local)."""
    return instant.astimezone(zone).date()


def within(instant: datetime, now: datetime, behind: timedelta, ahead: timedelta) -> bool:
    """Whether a gateway's time for a message is plausible: from `behind` before
    the service clock to `ahead` after it. Every decision is taken as of that
    time, so `9999-12-31` (past the last representable day in any other zone)
    or a date inside a closed campaign's window must never be taken."""
    try:
        return now - behind <= instant <= now + ahead
    except OverflowError:  # 0001-01-01 or 9999-12-31 compared across zones
        return False
