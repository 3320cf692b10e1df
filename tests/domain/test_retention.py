"""The retention window's arithmetic (app/domain/retention.py): no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.retention import RECEIPT_WAIT, SETTLED, horizon, receipts_awaited_since

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_horizon_is_the_retention_window_back() -> None:
    assert horizon(NOW, 180, 7) == NOW - timedelta(days=180)


def test_never_inside_the_dedupe_window() -> None:
    assert horizon(NOW, 1, 7) == NOW - timedelta(days=7)


def test_sent_replies_wait_for_their_receipt() -> None:
    assert receipts_awaited_since(NOW) == NOW - RECEIPT_WAIT
    assert "sent" not in SETTLED and "queued" not in SETTLED
