"""Outbox queries: claiming due rows, marking them sent, recording their parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app.domain.states import ReplyState
from app.store.models import OutboundMessageRow, OutboundPartRow, table_of
from app.store.outbox_wakeups import OutboxWakeups, outbox_wakeups
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

_M = _MESSAGES.c
#: A claim's two statements, built once (see `app/store/receipts.py`).
_DUE = (
    select(_M.id, _M.msisdn, _M.sender, _M.text, _M.attempts, _M.inbound_message_id, _M.created_at)
    .where(_M.channel == bindparam("channel"))
    .where(_M.state == ReplyState.QUEUED.value)
    .where(_M.next_attempt_at <= bindparam("now"))
    .order_by(_M.next_attempt_at, _M.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_LEASE = (
    update(_MESSAGES)
    .where(_M.id.in_(bindparam("ids", expanding=True)))
    .values(
        claimed_by=bindparam("worker"),
        attempts=_M.attempts + 1,
        next_attempt_at=bindparam("until"),
        updated_at=bindparam("now"),
    )
)

_P = _PARTS.c
_PARTS_OF = (
    select(_P.outbound_message_id, _P.part_no, _P.gateway, _P.gateway_message_id)
    .where(_P.outbound_message_id.in_(bindparam("ids", expanding=True)))
    .order_by(_P.outbound_message_id, _P.part_no)
)


class DueReply(NamedTuple):
    """A queued reply whose time has come, as a claim reads it."""

    id: int
    msisdn: str
    sender: str
    text: str
    attempts: int
    inbound_message_id: int | None
    created_at: datetime


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def wakeups(self) -> OutboxWakeups:
        """This process's wake-ups for replies queued in this database."""
        return outbox_wakeups(self.session.get_bind())  # type: ignore[arg-type]

    def due(self, channel: str, now: datetime, limit: int) -> list[DueReply]:
        """Queued rows whose time has come, locked for this transaction.

        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take
        disjoint rows. SQLite ignores the clause; there every transaction
        begins with BEGIN IMMEDIATE (app/store/database.py), which already
        makes a claim exclusive.
        """
        params = {"channel": channel, "now": now, "limit": limit}
        return [DueReply(*row) for row in self.session.connection().execute(_DUE, params)]

    def lease(self, row_ids: Sequence[int], worker: str, until: datetime, now: datetime) -> None:
        """Lease the rows to `worker` until `until`: another attempt each (one statement)."""
        if row_ids:
            params = {"ids": list(row_ids), "worker": worker, "until": until, "now": now}
            self.session.connection().execute(_LEASE, params)

    def get(self, row_id: int, lock: bool = False) -> OutboundMessageRow | None:
        query = select(OutboundMessageRow).where(OutboundMessageRow.id == row_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalar(query)

    def mark_sent(self, sent: Sequence[tuple[int, str | None]], now: datetime) -> None:
        """Set each (row id, first part's message id) `sent`, in the order given
        (row locks are taken in that order)."""
        if sent:
            params = [{"row_id": i, "first_id": first, "now": now} for i, first in sent]
            self.session.connection().execute(_MARK_SENT, params)

    def parts_of(self, reply_ids: Sequence[int]) -> list[tuple[int, int, str, str]]:
        """(reply id, part number, gateway, message id) of the parts the rows have,
        by reply and part number (one statement)."""
        if not reply_ids:
            return []
        rows = self.session.connection().execute(_PARTS_OF, {"ids": list(reply_ids)})
        return [(r, n, g, m) for r, n, g, m in rows]

    def add_parts(self, parts: Sequence[dict[str, object]]) -> None:
        """Insert part rows; a part number a row has already keeps its first ids
        (a resend after a lost lease)."""
        insert_new(self.session, _PARTS, parts, ["outbound_message_id", "part_no"])
