"""Outbox queries: claiming due rows, their parts, receipts waiting for their message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.domain.states import ReplyState
from app.store.models import OutboundMessageRow, OutboundPartRow, PendingReceiptRow, table_of
from app.store.upsert import insert_new

_MESSAGES = table_of(OutboundMessageRow)
_PARTS = table_of(OutboundPartRow)
#: One UPDATE for many replies (executemany): what being accepted by the SMSC resets.
_MARK_SENT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("row_id"))
    .values(
        state=ReplyState.SENT.value,
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
        claimed_by=None,
        next_attempt_at=None,
        last_status=0,
        last_error=None,
        error_kind=None,
        gateway_message_id=bindparam("first_id"),
        drop_reason=None,  # dropped while already submitted: it went all the same
    )
)


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def due(self, channel: str, now: datetime, limit: int) -> list[OutboundMessageRow]:
        """Queued rows whose time has come, locked for this transaction.

        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take
        disjoint rows. SQLite ignores the clause; there every transaction
        begins with BEGIN IMMEDIATE (app/store/database.py), which already
        makes a claim exclusive.
        """
        query = (
            select(OutboundMessageRow)
            .where(OutboundMessageRow.channel == channel)
            .where(OutboundMessageRow.state == ReplyState.QUEUED)
            .where(OutboundMessageRow.next_attempt_at <= now)
            .order_by(OutboundMessageRow.next_attempt_at, OutboundMessageRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def get(self, row_id: int, lock: bool = False) -> OutboundMessageRow | None:
        query = select(OutboundMessageRow).where(OutboundMessageRow.id == row_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalar(query)

    def lock_rows(self, row_ids: Sequence[int]) -> list[OutboundMessageRow]:
        """The rows, locked for this transaction in id order (no lock cycles)."""
        if not row_ids:
            return []
        return list(
            self.session.scalars(
                select(OutboundMessageRow)
                .where(OutboundMessageRow.id.in_(list(row_ids)))
                .order_by(OutboundMessageRow.id)
                .with_for_update()
            )
        )

    def mark_sent(self, sent: Sequence[tuple[int, str | None]], now: datetime) -> None:
        """Set each (row id, first part's message id) `sent`, in the order given
        (row locks are taken in that order)."""
        if sent:
            params = [{"row_id": i, "first_id": first, "now": now} for i, first in sent]
            self.session.execute(_MARK_SENT, params)

    def add_parts(self, parts: Sequence[dict[str, object]]) -> None:
        """Insert part rows; a part number a row has already keeps its first ids
        (a resend after a lost lease)."""
        insert_new(self.session, _PARTS, parts, ["outbound_message_id", "part_no"])

    def parts_of_rows(self, row_ids: Sequence[int]) -> dict[int, list[OutboundPartRow]]:
        """The parts of each row in part order, as committed: parts a concurrent
        receipt wrote while this transaction waited for the rows' locks are read
        afresh, not taken from the session's copies."""
        parts: dict[int, list[OutboundPartRow]] = {}
        if not row_ids:
            return parts
        query = (
            select(OutboundPartRow)
            .where(OutboundPartRow.outbound_message_id.in_(list(row_ids)))
            .order_by(OutboundPartRow.outbound_message_id, OutboundPartRow.part_no)
            .execution_options(populate_existing=True)
        )
        for part in self.session.scalars(query):
            parts.setdefault(part.outbound_message_id, []).append(part)
        return parts

    def parts_by_message_id(self, ids: Sequence[str]) -> list[OutboundPartRow]:
        return list(
            self.session.scalars(
                select(OutboundPartRow)
                .where(OutboundPartRow.gateway_message_id.in_(list(ids)))
                .order_by(OutboundPartRow.id.desc())
            )
        )

    def add_pending_receipt(self, row: PendingReceiptRow) -> None:
        self.session.add(row)

    def pending_receipts(self, ids: Sequence[str]) -> list[PendingReceiptRow]:
        return list(
            self.session.scalars(
                select(PendingReceiptRow)
                .where(PendingReceiptRow.gateway_message_id.in_(list(ids)))
                .order_by(PendingReceiptRow.id)
            )
        )

    def delete_pending_receipts(self, receipt_ids: Sequence[int]) -> set[int]:
        """Delete by one statement; the ids deleted here (one a concurrent settler
        took first is not among them)."""
        if not receipt_ids:
            return set()
        table = table_of(PendingReceiptRow)
        deleted = self.session.execute(
            delete(table).where(table.c.id.in_(list(receipt_ids))).returning(table.c.id)
        )
        return set(deleted.scalars())
