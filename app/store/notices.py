"""Notices: what the scheduled job finds due, records and queues
(app/services/scheduled.py), and held notices in the outbox: what they are checked
against when they leave, and dropping those that no longer apply
(app/domain/held_notices.py, DOMAIN.md §7a).

The held-notice methods are one statement each (`hold`: one for the outbox rows
and one for their notices), whatever the number of rows: the opt-out and the
cancel call one from their message's unit of work, the claim from its batch's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from app.domain.held_notices import (
    CANCELLED,
    DROPPED,
    MOOT_ONCE_CANCELLED,
    OPTED_OUT,
    HeldNotice,
)
from app.domain.notices import REMINDER
from app.domain.states import ReplyState
from app.store.models import (
    ActivationRow,
    MonthlyUsageRow,
    NoticeRow,
    OutboundMessageRow,
    SubscriberRow,
    TenureCreditRow,
    table_of,
)
from app.store.notice_candidates import next_ids
from app.store.upsert import add_first

_MESSAGES = table_of(OutboundMessageRow)
#: What dropping a held notice sets: finished, never to be claimed again.
_DROPPED = {"state": DROPPED, "claimed_by": None, "next_attempt_at": None}
#: The advisory lock one process holds while it runs a tick of the scheduled job.
_TICK_LOCK = 0x736D_7368_616C_6C01  # "smshall" and 1


@dataclass(frozen=True, slots=True)
class HeldRow:
    """A held notice's outbox row as it stands now, and what it is checked against."""

    state: str  # the outbox row's: `queued` unless dropped (or sent) meanwhile
    notice: HeldNotice
    msisdn: str
    contact_window: str | None  # the subscriber's, as it stands now (§7a)


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: Numbers that opted out and services cancelled in this transaction.
        self._opted_out: list[str] = []
        self._cancelled: list[int] = []
        self._now: datetime | None = None

    # --- the scheduled job (app/services/scheduled.py) -------------------------

    def hold_tick(self) -> bool:
        """Take the tick's lock for this transaction; False when another process
        holds it (PostgreSQL). SQLite has one process running the job: True, and
        no statement, so no write lock is held meanwhile."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool(self.session.scalar(query, {"key": _TICK_LOCK}))

    def next_due(self, candidates: Select[Any], after: int, size: int) -> list[int]:
        """The next `size` ids of one duty's candidates (app/store/notice_candidates.py)."""
        return list(self.session.scalars(next_ids(candidates, after, size)))

    def locked_subscriber(self, subscriber_id: int) -> SubscriberRow:
        """Serialises everything one subscriber's notices decide (the daily cap too)."""
        query = select(SubscriberRow).where(SubscriberRow.id == subscriber_id).with_for_update()
        row = self.session.scalar(query)
        assert row is not None
        return row

    def activation(self, activation_id: int) -> ActivationRow:
        row = self.session.get(ActivationRow, activation_id)
        assert row is not None
        return row

    def lock(self, activation: ActivationRow) -> None:
        """Read the activation again under its row lock (after its subscriber's)."""
        self.session.refresh(activation, with_for_update=True)

    def noticed(self, msisdn: str, kind: str, subject: str) -> bool:
        query = select(NoticeRow.id).where(
            NoticeRow.msisdn == msisdn, NoticeRow.kind == kind, NoticeRow.subject == subject
        )
        return self.session.scalar(query) is not None

    def sent_per_day(self, msisdn: str, since: date) -> dict[date, int]:
        query = (
            select(NoticeRow.local_day, func.count())
            .where(NoticeRow.msisdn == msisdn, NoticeRow.local_day >= since)
            .where(NoticeRow.outbound_message_id.is_not(None))
            .group_by(NoticeRow.local_day)
        )
        return {day_: count for day_, count in self.session.execute(query)}

    def record(self, notice: NoticeRow, outbound: OutboundMessageRow | None) -> bool:
        """Write the notice and its outbox row, or neither: False when a
        concurrent run recorded the notice first (its unique constraint)."""
        try:
            with self.session.begin_nested():
                if outbound is not None:
                    self.session.add(outbound)
                    self.session.flush()
                    notice.outbound_message_id = outbound.id
                self.session.add(notice)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def reminders_sent(self, activation_ids: Collection[int]) -> dict[int, datetime]:
        """When the reminder about each of these services left (its outbox row's
        `sent_at`), by activation id; a service whose reminder is still held, was
        dropped or failed before it left is left out. One query, however many."""
        if not activation_ids:
            return {}
        query = (
            select(NoticeRow.activation_id, OutboundMessageRow.sent_at)
            .join(OutboundMessageRow, OutboundMessageRow.id == NoticeRow.outbound_message_id)
            .where(NoticeRow.kind == REMINDER)
            .where(NoticeRow.activation_id.in_(sorted(activation_ids)))
            .where(OutboundMessageRow.sent_at.is_not(None))
        )
        return {
            activation_id: sent_at
            for activation_id, sent_at in self.session.execute(query)
            if activation_id is not None and sent_at is not None
        }

    def spend_by_month(self, subscriber_id: int, first: date, last: date) -> dict[date, int]:
        usage = self.session.execute(
            select(MonthlyUsageRow.month, MonthlyUsageRow.spend_fen)
            .where(MonthlyUsageRow.subscriber_id == subscriber_id)
            .where(MonthlyUsageRow.month.between(first, last))
        )
        return {month: fen for month, fen in usage}

    def credited_months(self, activation_id: int) -> list[date]:
        query = select(TenureCreditRow.month).where(TenureCreditRow.activation_id == activation_id)
        return list(self.session.scalars(query))

    def record_credit(self, credit: TenureCreditRow) -> bool:
        """False when a concurrent run decided this month first."""
        return add_first(self.session, credit)

    # --- held notices ----------------------------------------------------------

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
                NoticeRow.msisdn,
                SubscriberRow.contact_window,
            )
            .join(OutboundMessageRow, OutboundMessageRow.id == NoticeRow.outbound_message_id)
            .outerjoin(SubscriberRow, SubscriberRow.msisdn == NoticeRow.msisdn)
            .outerjoin(ActivationRow, ActivationRow.id == NoticeRow.activation_id)
            .where(NoticeRow.outbound_message_id.in_(list(outbound_ids)))
        )
        return {
            row_id: HeldRow(
                state, HeldNotice(kind, bool(opted_out), service, until), msisdn, window
            )
            for row_id, state, kind, opted_out, service, until, msisdn, window in (
                self.session.execute(query)
            )
            if row_id is not None
        }

    def sent_between(
        self, msisdns: Collection[str], since: datetime, until: datetime, now: datetime
    ) -> dict[str, int]:
        """How many notices each number has had from `since` to `until` (a local
        day, §7a's cap), counting those a sender holds under a live lease: they
        are leaving now. Numbers with none are left out; one query for the batch."""
        if not msisdns:
            return {}
        m = _MESSAGES.c
        left = m.sent_at.is_not(None) & (m.sent_at >= since) & (m.sent_at < until)
        leaving = (
            (m.state == ReplyState.QUEUED) & m.claimed_by.is_not(None) & (m.next_attempt_at > now)
        )
        query = (
            select(NoticeRow.msisdn, func.count())
            .join(_MESSAGES, m.id == NoticeRow.outbound_message_id)
            .where(NoticeRow.msisdn.in_(sorted(msisdns)))
            .where(left | leaving)
            .group_by(NoticeRow.msisdn)
        )
        return {msisdn: count for msisdn, count in self.session.execute(query)}

    def hold(self, until: Mapping[int, datetime], zone: tzinfo, now: datetime) -> None:
        """Put each outbox row (id -> when it may leave) back in the queue until
        then, unleased and its attempts as they were, and move its notice to that
        local day (what the job counts against the cap); an executemany each."""
        if not until:
            return
        ids = sorted(until)
        m = _MESSAGES.c
        self.session.execute(
            update(_MESSAGES)
            .where(m.id == bindparam("row_id"), m.state == ReplyState.QUEUED)
            .values(claimed_by=None, next_attempt_at=bindparam("at"), updated_at=bindparam("now")),
            [{"row_id": i, "at": until[i], "now": now} for i in ids],
        )
        notices = table_of(NoticeRow)
        self.session.execute(
            update(notices)
            .where(notices.c.outbound_message_id == bindparam("row_id"))
            .values(local_day=bindparam("day")),
            [{"row_id": i, "day": until[i].astimezone(zone).date()} for i in ids],
        )

    def drop(self, reasons: Mapping[int, str], now: datetime) -> None:
        """Drop each outbox row (id -> reason) still queued; one executemany."""
        if not reasons:
            return
        statement = (
            update(_MESSAGES)
            .where(_MESSAGES.c.id == bindparam("row_id"), _MESSAGES.c.state == ReplyState.QUEUED)
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
            .where(
                _MESSAGES.c.state == ReplyState.QUEUED, _MESSAGES.c.id.in_(held.scalar_subquery())
            )
            .values(**_DROPPED, drop_reason=reason, updated_at=now, finished_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
