"""Receipt statements: a batch of receipts costs a fixed number of statements.

SQLAlchemy Core on the session's connection, no ORM objects: a receipt batch
is read, locked and written as rows, not as objects whose every change is
tracked and flushed one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from app.domain.delivery_receipts import PartState, reply_end
from app.domain.states import ReplyState
from app.store.models import OutboundMessageRow, OutboundPartRow, PendingReceiptRow, table_of

_MESSAGES = table_of(OutboundMessageRow)
_PARTS = table_of(OutboundPartRow)
_PENDING = table_of(PendingReceiptRow)

#: A receipt on its part (executemany); an intermediate receipt (no state) keeps the state.
_APPLY = (
    update(_PARTS)
    .where(_PARTS.c.id == bindparam("part_id"))
    .values(
        receipt_stat=bindparam("stat"),
        receipt_error=bindparam("error"),
        updated_at=bindparam("now"),
        state=func.coalesce(bindparam("new_state", type_=String), _PARTS.c.state),
    )
)
#: A reply its parts ended (executemany); a delivered one keeps its last error.
_END = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("row_id"))
    .where(_MESSAGES.c.state == ReplyState.SENT.value)
    .values(
        state=bindparam("end_state"),
        finished_at=bindparam("now"),
        updated_at=bindparam("now"),
        last_error=func.coalesce(bindparam("why", type_=String), _MESSAGES.c.last_error),
        error_kind=func.coalesce(bindparam("kind", type_=String), _MESSAGES.c.error_kind),
    )
)

#: The statements are built once (an expanding IN takes any number of ids): building
#: and caching a statement per call costs more CPU than running it.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_NEWEST_PARTS = (
    select(_PARTS.c.gateway_message_id, _PARTS.c.id, _PARTS.c.outbound_message_id)
    .where(_PARTS.c.gateway_message_id.in_(_IDS))
    .order_by(_PARTS.c.id.desc())
)
_LOCK_REPLIES = (
    select(_MESSAGES.c.id)
    .where(_MESSAGES.c.id.in_(_IDS))
    .order_by(_MESSAGES.c.id)
    .with_for_update()
)
_PART_STATES = (
    select(
        _MESSAGES.c.id, _MESSAGES.c.state, _PARTS.c.state, _PARTS.c.receipt_stat,
        _PARTS.c.receipt_error,
    )
    .join(_PARTS, _PARTS.c.outbound_message_id == _MESSAGES.c.id)
    .where(_MESSAGES.c.id.in_(_IDS))
    .order_by(_MESSAGES.c.id, _PARTS.c.part_no)
)  # fmt: skip
_EARLY = (
    select(
        _PENDING.c.id, _PENDING.c.gateway_message_id, _PENDING.c.stat, _PENDING.c.state,
        _PENDING.c.error,
    )
    .where(_PENDING.c.gateway_message_id.in_(_IDS))
    .order_by(_PENDING.c.id)
)  # fmt: skip
_TAKE_EARLY = delete(_PENDING).where(_PENDING.c.id.in_(_IDS)).returning(_PENDING.c.id)
_KEEP_EARLY = insert(_PENDING)
_STRAY = (
    select(_PENDING.c.gateway_message_id)
    .join(_PARTS, _PARTS.c.gateway_message_id == _PENDING.c.gateway_message_id)
    .where(_PENDING.c.received_at >= bindparam("since"))
    .distinct()
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class PartRef:
    """A sent part a receipt names: its row and the reply it belongs to."""

    id: int
    reply_id: int


@dataclass(frozen=True, slots=True)
class EarlyReceipt:
    """A receipt stored before its part was known."""

    id: int
    message_id: str
    stat: str
    state: str | None
    error: str | None


class ReceiptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _connection(self) -> Connection:
        return self.session.connection()

    def newest_parts(self, message_ids: Sequence[str]) -> dict[str, PartRef]:
        """The newest part sent under each of these ids (a resend may reuse one)."""
        if not message_ids:
            return {}
        parts: dict[str, PartRef] = {}
        rows = self._connection.execute(_NEWEST_PARTS, {"ids": list(message_ids)})
        for message_id, part_id, reply_id in rows:
            parts.setdefault(message_id, PartRef(part_id, reply_id))
        return parts

    def lock_replies(self, reply_ids: Sequence[int]) -> list[int]:
        """Lock the replies for this transaction in id order (no lock cycles with a
        sent mark, which takes them in the same order); the ids that exist."""
        if not reply_ids:
            return []
        return list(self._connection.scalars(_LOCK_REPLIES, {"ids": sorted(set(reply_ids))}))

    def apply(self, changes: Sequence[dict[str, Any]]) -> None:
        """Write receipts on their parts: dicts of part_id, stat, error, new_state, now."""
        if changes:
            self._connection.execute(_APPLY, list(changes))

    def end_replies(self, reply_ids: Sequence[int], now: datetime) -> list[str | None]:
        """End each sent reply whose parts' receipts say it has ended; per id, the
        state it entered (None: still on its way, or not `sent`)."""
        if not reply_ids:
            return []
        parts: dict[int, list[PartState]] = {}
        rows = self._connection.execute(_PART_STATES, {"ids": list(reply_ids)})
        for reply_id, reply_state, state, stat, error in rows:
            if reply_state == ReplyState.SENT:
                parts.setdefault(reply_id, []).append(PartState(state, stat, error))
        ends = {i: end for i, p in parts.items() if (end := reply_end(p)) is not None}
        if ends:
            self._connection.execute(
                _END,
                [
                    {
                        "row_id": i,
                        "end_state": end.state.value,
                        "now": now,
                        "why": end.error,
                        "kind": None if end.error is None else "permanent",
                    }
                    for i, end in sorted(ends.items())
                ],
            )
        return [ends[i].state.value if i in ends else None for i in reply_ids]

    def keep_early(self, receipts: Sequence[dict[str, Any]]) -> None:
        """Store receipts whose part is not known yet (one statement)."""
        if receipts:
            self._connection.execute(_KEEP_EARLY, list(receipts))

    def early(self, message_ids: Sequence[str]) -> list[EarlyReceipt]:
        """The stored early receipts for these ids, oldest first."""
        if not message_ids:
            return []
        rows = self._connection.execute(_EARLY, {"ids": list(message_ids)})
        return [EarlyReceipt(*row) for row in rows]

    def take_early(self, receipt_ids: Sequence[int]) -> set[int]:
        """Delete early receipts by one statement; the ids deleted here (one a
        concurrent settler took first is not among them)."""
        if not receipt_ids:
            return set()
        return set(self._connection.scalars(_TAKE_EARLY, {"ids": list(receipt_ids)}))

    def stray(self, since: datetime, limit: int) -> list[str]:
        """Ids of early receipts stored since `since` whose part is known now: a sent
        mark committed after the receipt's own look, and the receipt after the
        mark's (one statement, by the index on `received_at`)."""
        return list(self._connection.scalars(_STRAY, {"since": since, "limit": limit}))
