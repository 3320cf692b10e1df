"""Outbound rows written straight into the store, as a sender finds them."""

from __future__ import annotations

from datetime import datetime

from app.store.models import OutboundMessageRow


def outbound_row(
    msisdn: str,
    text: str,
    created: datetime,
    due: datetime | None,
    state: str = "queued",
    channel: str = "smpp",
    claimed_by: str | None = None,
) -> OutboundMessageRow:
    """A message from 10086 to `msisdn`, never tried, due (or leased) until `due`."""
    return OutboundMessageRow(
        msisdn=msisdn, sender="10086", text=text, channel=channel, state=state, attempts=0,
        next_attempt_at=due, claimed_by=claimed_by, created_at=created, updated_at=created,
    )  # fmt: skip
