"""Held notices in the outbox: what they are checked against when they leave, and
dropping those that no longer apply (app/domain/held_notices.py, DOMAIN.md §7a).

Every method is one statement, whatever the number of rows: the opt-out and the
cancel call one from their message's unit of work, the claim from its batch's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.domain.held_notices import (
    CANCELLED,
    DROPPED,
    MOOT_ONCE_CANCELLED,
    OPTED_OUT,
    HeldNotice,
)
from app.store.models import ActivationRow, NoticeRow, OutboundMessageRow, SubscriberRow, table_of

_MESSAGES = table_of(OutboundMessageRow)
#: What dropping a held notice sets: finished, never to be claimed again.
_DROPPED = {"state": DROPPED, "claimed_by": None, "next_attempt_at": None}


@dataclass(frozen=True, slots=True)
class HeldRow:
    """A held notice's outbox row as it stands now, and what it is checked against."""

    state: str  # the outbox row's: `queued` unless dropped (or sent) meanwhile
    notice: HeldNotice


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: Numbers that opted out and services cancelled in this transaction.
        self._opted_out: list[str] = []
        self._cancelled: list[int] = []
        self._now: datetime | None = None

    def held(self, outbound_ids: Sequence[int]) -> dict[int, HeldRow]:
        """The notices behind these outbox rows, by row id; rows that are no
        notice are left out. One query for the whole batch."""
        if not outbound_ids:
            return {}
        query = (
            select(
                NoticeRow.outbound_message_id,
                OutboundMessageRow.state,
                NoticeRow.kind,
                SubscriberRow.opted_out,
                ActivationRow.state,
                NoticeRow.valid_until,
            )
            .join(OutboundMessageRow, OutboundMessageRow.id == NoticeRow.outbound_message_id)
            .outerjoin(SubscriberRow, SubscriberRow.msisdn == NoticeRow.msisdn)
            .outerjoin(ActivationRow, ActivationRow.id == NoticeRow.activation_id)
            .where(NoticeRow.outbound_message_id.in_(list(outbound_ids)))
        )
        return {
            row_id: HeldRow(state, HeldNotice(kind, bool(opted_out), service, until))
            for row_id, state, kind, opted_out, service, until in self.session.execute(query)
            if row_id is not None
        }

    def drop(self, reasons: Mapping[int, str], now: datetime) -> None:
        """Drop each outbox row (id -> reason) still queued; one executemany."""
        if not reasons:
            return
        statement = (
            update(_MESSAGES)
            .where(_MESSAGES.c.id == bindparam("row_id"), _MESSAGES.c.state == "queued")
            .values(
                **_DROPPED,
                drop_reason=bindparam("reason"),
                updated_at=bindparam("now"),
                finished_at=bindparam("now"),
            )
        )
        params = [{"row_id": i, "reason": reasons[i], "now": now} for i in sorted(reasons)]
        self.session.execute(statement, params)

    def drop_on_opt_out(self, msisdn: str, now: datetime) -> None:
        """Drop every notice still held for `msisdn`, claimed by a sender or not
        (the sender looks again before it submits); written by `write_deferred`."""
        self._opted_out.append(msisdn)
        self._now = now

    def drop_on_cancel(self, activation_ids: Collection[int], now: datetime) -> None:
        """Drop the notices still held about these services, now cancelled, that
        speak of them as running or lapsed (a reminder, a lapse notice); written
        by `write_deferred`."""
        self._cancelled.extend(activation_ids)
        self._now = now

    def write_deferred(self) -> None:
        """What opt-outs and cancels of this transaction drop: a statement for each
        kind, however many messages asked (DESIGN.md, "Batches, not messages")."""
        opted_out, cancelled = sorted(set(self._opted_out)), sorted(set(self._cancelled))
        self._opted_out.clear()
        self._cancelled.clear()
        if opted_out:
            self._drop_where(NoticeRow.msisdn.in_(opted_out), OPTED_OUT, self._now)
        if cancelled:
            about = NoticeRow.activation_id.in_(cancelled) & NoticeRow.kind.in_(
                sorted(MOOT_ONCE_CANCELLED)
            )
            self._drop_where(about, CANCELLED, self._now)

    def _drop_where(self, notices: ColumnElement[bool], reason: str, now: datetime | None) -> int:
        held = select(NoticeRow.outbound_message_id).where(
            notices, NoticeRow.outbound_message_id.is_not(None)
        )
        result = self.session.execute(
            update(_MESSAGES)
            .where(_MESSAGES.c.state == "queued", _MESSAGES.c.id.in_(held.scalar_subquery()))
            .values(**_DROPPED, drop_reason=reason, updated_at=now, finished_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
