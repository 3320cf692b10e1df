"""Queries on the services subscribers hold (activations)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.models import ActivationRow


class ActivationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, subscriber_id: int, exclusivity_key: str) -> ActivationRow | None:
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
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return row

    def active_of(self, subscriber_id: int, on: date) -> list[ActivationRow]:
        """Services in force on `on`: active and not past their end, or kept
        at the normal fee after the free period (no end)."""
        in_force = or_(
            and_(ActivationRow.state == "active", ActivationRow.ends_on >= on),
            ActivationRow.state == "kept",
        )
        return list(
            self.session.scalars(
                select(ActivationRow)
                .where(ActivationRow.subscriber_id == subscriber_id)
                .where(in_force)
                .order_by(ActivationRow.activated_on, ActivationRow.id)
            )
        )

    def get(self, activation_id: int) -> ActivationRow | None:
        return self.session.get(ActivationRow, activation_id)

    def of_subscriber(self, subscriber_id: int) -> list[ActivationRow]:
        return list(
            self.session.scalars(
                select(ActivationRow)
                .where(ActivationRow.subscriber_id == subscriber_id)
                .order_by(ActivationRow.activated_on, ActivationRow.id)
            )
        )
