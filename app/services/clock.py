"""Operator time: every decision is taken as of the local day of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar day in the operator's zone (DESIGN.md, Data: months are local)."""
    return instant.astimezone(zone).date()
