"""The retention's SQL: purging old messages a window of ids at a time.

The caller walks each table in id order, `size` ids per window
(`window`), and purges in each window only what may go (`app/domain/retention.py`),
a short transaction per window. Walking by id rather than by time needs no index
on the time columns (every insert would pay for it), reads each row that must
stay once per run, and ends where the young rows begin: ids follow time closely
(taken in blocks a few seconds apart), and a row left behind by that disorder
goes in the next run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from app.domain.retention import SENT
from app.store.models import (
    ActivationRow,
    InboundMessageRow,
    NoticeRow,
    OutboundMessageRow,
    OutboundPartRow,
    PendingPromptRow,
    PendingReceiptRow,
)

#: Each purged table and the column that says how old a row is.
AGE = {
    "inbound_messages": InboundMessageRow.received_at,
    "outbound_messages": OutboundMessageRow.created_at,
    "pending_receipts": PendingReceiptRow.received_at,
}


@dataclass(frozen=True, slots=True)
class Window:
    """A run of consecutive ids, and whether it reached rows younger than the horizon."""

    first: int
    last: int
    full: bool
    reached_young: bool


@dataclass(frozen=True, slots=True)
class Rules:
    """What a purge may delete: see `app/domain/retention.py`."""

    horizon: datetime  # older than this
    now: datetime
    settled: Collection[str]  # reply states that never change again
    in_answer: Collection[str]  # channels whose `sent` is final (no receipt comes)
    receipts_since: datetime  # a `sent` reply since then may still get its receipt


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def window(self, table: str, after: int, size: int, horizon: datetime) -> Window | None:
        """The next `size` ids of `table` after `after` (an index range on the key)."""
        age = AGE[table]
        key = age.table.c.id
        rows = self.session.execute(
            select(key, age).where(key > after).order_by(key).limit(size)
        ).all()
        if not rows:
            return None
        young = any(when >= horizon for _, when in rows)
        return Window(rows[0][0], rows[-1][0], len(rows) == size, young)

    def purge_replies(self, window: Window, rules: Rules) -> tuple[int, int]:
        """Delete the settled replies (and notices' messages) in `window` that are
        older than the horizon, with their parts; the notices that recorded them
        stay (the scheduled job's guard against sending twice), unlinked.
        Returns (replies, parts) deleted."""
        reply = OutboundMessageRow
        settled = or_(
            reply.state.in_(list(rules.settled)),
            and_(
                reply.state == SENT,
                or_(
                    reply.channel.in_(list(rules.in_answer)),
                    reply.updated_at < rules.receipts_since,
                ),
            ),
        )
        answered_mo_goes = or_(
            reply.inbound_message_id.is_(None),
            exists().where(
                InboundMessageRow.id == reply.inbound_message_id,
                InboundMessageRow.received_at < rules.horizon,
                ~_open_question(InboundMessageRow.msisdn, rules.now),
            ),
        )
        query = (
            select(reply.id)
            .where(reply.id.between(window.first, window.last))
            .where(reply.created_at < rules.horizon, reply.updated_at < rules.horizon)
            .where(settled, answered_mo_goes)
            # A row a sender or a receipt holds is left for the next run.
            .order_by(reply.id)
            .with_for_update(of=reply, skip_locked=True)
        )
        ids = list(self.session.scalars(query))
        if not ids:
            return 0, 0
        of_reply = OutboundPartRow.outbound_message_id
        # The range lets the planner see how few parts these are (an index range).
        parts = self._delete(OutboundPartRow, of_reply.between(ids[0], ids[-1]), of_reply.in_(ids))
        self.session.execute(
            update(NoticeRow)
            .where(NoticeRow.outbound_message_id.in_(ids))
            .values(outbound_message_id=None)
        )
        return self._delete(reply, reply.id.in_(ids)), parts

    def purge_inbound(self, window: Window, rules: Rules) -> int:
        """Delete the MOs in `window` older than the horizon that nothing needs: no
        reply left (those not settled stay, and keep their MO), no order placed by
        it, no open question on its number."""
        mo = InboundMessageRow
        return self._delete(
            mo,
            mo.id.between(window.first, window.last),
            mo.received_at < rules.horizon,
            ~exists().where(OutboundMessageRow.inbound_message_id == mo.id),
            ~exists().where(ActivationRow.inbound_message_id == mo.id),
            ~_open_question(mo.msisdn, rules.now),
        )

    def purge_receipts(self, window: Window, rules: Rules) -> int:
        """Delete the early receipts in `window` older than the horizon: their
        message never came, and never will."""
        receipt = PendingReceiptRow
        return self._delete(
            receipt,
            receipt.id.between(window.first, window.last),
            receipt.received_at < rules.horizon,
        )

    def _delete(self, model: Any, *where: ColumnElement[bool]) -> int:
        result: Any = self.session.execute(
            delete(model).where(*where).execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


def _open_question(msisdn: Any, now: datetime) -> ColumnElement[bool]:
    return exists().where(PendingPromptRow.msisdn == msisdn, PendingPromptRow.expires_at > now)
