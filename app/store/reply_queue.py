"""Replies an operator has to look at (failed, or stuck in the outbox) and putting
one back in the queue. Stuck (app/domain/stuck_replies.py): still `queued`, and
either due for `minutes` with no sender taking it, or claimed by a sender whose
lease has run out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.domain.stuck_replies import FAILED, QUEUED, StuckRule
from app.store.models import OutboundMessageRow

R = OutboundMessageRow


def stuck_condition(rule: StuckRule, now: datetime) -> ColumnElement[bool]:
    return and_(
        R.state == QUEUED,
        or_(
            and_(
                R.claimed_by.is_(None), R.next_attempt_at <= now - timedelta(minutes=rule.minutes)
            ),
            and_(R.claimed_by.is_not(None), R.next_attempt_at <= now),
        ),
    )


def troubled_replies(
    session: Session, state: str, rule: StuckRule, now: datetime, after: int, limit: int
) -> list[OutboundMessageRow]:
    """`failed` or stuck replies past id `after`, oldest first."""
    condition = R.state == FAILED if state == FAILED else stuck_condition(rule, now)
    query = select(R).where(condition, R.id > after).order_by(R.id).limit(limit)
    return list(session.scalars(query))


def get_locked(session: Session, reply_id: int) -> OutboundMessageRow | None:
    return session.scalar(select(R).where(R.id == reply_id).with_for_update())
