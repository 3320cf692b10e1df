"""Operator time: every decision is taken as of the local day of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(UTC)


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
