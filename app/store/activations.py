"""Queries on the services subscribers hold (activations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.domain.states import ActivationState
from app.store.models import ActivationRow, SubscriberRow
from app.store.upsert import add_first


def in_force(row: ActivationRow, on: date) -> bool:
    """`active_of`'s condition, for rows held in memory."""
    return (
        row.state == ActivationState.ACTIVE and row.ends_on >= on
    ) or row.state == ActivationState.KEPT


def _held_order(row: ActivationRow) -> tuple[date, float]:
    return row.activated_on, float("inf") if row.id is None else row.id


class ActivationRepository:
    """Activations by subscriber. After `prefetch`, those subscribers' activations
    are answered from memory and new ones are written with the batch's flush: a
    racing message that took the same exclusivity key then fails the whole
    transaction on the unique constraint, and the caller runs the batch again
    message by message (`app/services/inbound.py`), where `add_unless_held`
    settles the race."""

    def __init__(self, session: Session, flush: Callable[[], None] | None = None) -> None:
        self.session = session
        #: Writes what the batch holds back (the unit of work's), before an id is read.
        self._flush = flush or session.flush
        self._held: dict[int, list[ActivationRow]] = {}

    def prefetch(self, subscriber_ids: Sequence[int]) -> None:
        self._held.update({subscriber_id: [] for subscriber_id in subscriber_ids})
        if subscriber_ids:
            query = (
                select(ActivationRow)
                .where(ActivationRow.subscriber_id.in_(list(subscriber_ids)))
                .order_by(ActivationRow.activated_on, ActivationRow.id)
            )
            for row in self.session.scalars(query):
                self._held[row.subscriber_id].append(row)

    def find(self, subscriber_id: int, exclusivity_key: str) -> ActivationRow | None:
        held = self._held.get(subscriber_id)
        if held is not None:
            return next((r for r in held if r.exclusivity_key == exclusivity_key), None)
        return self.session.scalar(
            select(ActivationRow)
            .where(ActivationRow.subscriber_id == subscriber_id)
            .where(ActivationRow.exclusivity_key == exclusivity_key)
        )

    def add_unless_held(self, row: ActivationRow) -> ActivationRow | None:
        """Insert `row`; if the subscriber already holds one with the same
        exclusivity key (a concurrent message won the race), return None.

        The insert runs in a savepoint so the losing transaction can still
        record its answer. On PostgreSQL the loser's insert waits for the
        winner to commit and then fails on the unique constraint.
        """
        held = self._held.get(row.subscriber_id)
        if held is not None:  # prefetched: written with the batch (see the class)
            self.session.add(row)
            held.append(row)
            return row
        return row if add_first(self.session, row) else None

    def active_of(self, subscriber_id: int, on: date) -> list[ActivationRow]:
        """Services in force on `on`: active and not past their end, or kept
        at the normal fee after the free period (no end)."""
        held = self._held.get(subscriber_id)
        if held is not None:
            rows = sorted((r for r in held if in_force(r, on)), key=_held_order)
            if any(r.id is None for r in rows):
                # Taken earlier in this batch: its id is needed (a `0000` list names it).
                self._flush()
            return rows
        current = or_(
            and_(ActivationRow.state == ActivationState.ACTIVE, ActivationRow.ends_on >= on),
            ActivationRow.state == ActivationState.KEPT,
        )
        return list(
            self.session.scalars(
                select(ActivationRow)
                .where(ActivationRow.subscriber_id == subscriber_id)
                .where(current)
                .order_by(ActivationRow.activated_on, ActivationRow.id)
            )
        )

    def lock_subscriber(self, subscriber_id: int) -> None:
        """Take the subscriber's row lock for the rest of the transaction (PostgreSQL
        FOR UPDATE; a SQLite transaction holds the one write lock already), after
        writing what the batch holds back. A command that changes a service by what
        it read locks first and decides on what it reads after: the scheduled job
        takes the same lock before a lapse (app/services/free_period_notices.py), so
        of two decisions about one subscriber's services the second sees the first.
        Subscriber first, then activations: the job's order, so no deadlock."""
        self._flush()
        self.session.execute(
            select(SubscriberRow.id).where(SubscriberRow.id == subscriber_id).with_for_update()
        )

    def locked(self, subscriber_id: int, rows: Sequence[ActivationRow]) -> list[ActivationRow]:
        """`rows` (the subscriber's) read again under their row locks, taken in id
        order after the subscriber's (`lock_subscriber`): what a concurrent
        transaction committed meanwhile is what they hold now, for the caller to
        check again. Same order as given. Only for the rare commands that change a
        service (a `Y` to a reminder, `QX` + code, a reply to the `0000` list): the
        ordinary MOs of a batch take no lock and send no statement for it."""
        if not rows:
            return []
        self.lock_subscriber(subscriber_id)
        fresh = self.session.scalars(
            select(ActivationRow)
            .where(ActivationRow.id.in_(sorted({row.id for row in rows})))
            .order_by(ActivationRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        by_id = {row.id: row for row in fresh}
        return [by_id[row.id] for row in rows if row.id in by_id]

    def get(self, activation_id: int) -> ActivationRow | None:
        return self.session.get(ActivationRow, activation_id)

    def of_subscriber(self, subscriber_id: int) -> list[ActivationRow]:
        held = self._held.get(subscriber_id)
        if held is not None:
            return sorted(held, key=_held_order)
        return list(
            self.session.scalars(
                select(ActivationRow)
                .where(ActivationRow.subscriber_id == subscriber_id)
                .order_by(ActivationRow.activated_on, ActivationRow.id)
            )
        )
