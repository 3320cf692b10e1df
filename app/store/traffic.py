"""The console's traffic figures in SQL: MOs and replies of a recent window, and
the outbox queue.

The message tables have no index on their time columns (every insert would pay
for it; see `app/store/retention.py`), but their ids follow time closely. So a
window is found on the primary key: a binary search over ids (one statement, a
recursive CTE of at most ~64 index lookups) finds the first row at or after the
window's start less `SLACK`, and the window is then counted set-based over that
id range with the exact time predicate. A row whose id is more than `SLACK` out
of time order is left out — it would be a gateway's late, back-dated message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.domain.states import ReplyState
from app.store.models import InboundMessageRow, OutboundMessageRow

#: How far ids may run out of time order (they are taken in blocks seconds apart).
SLACK = timedelta(minutes=1)
QUEUED = ReplyState.QUEUED

MO = InboundMessageRow
MT = OutboundMessageRow


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """The outbox now: `queued` replies, of them `later` not due yet (held
    notices, retries backing off), and the oldest due or in-flight one's creation."""

    queued: int
    later: int
    oldest_queued_at: datetime | None


def first_id_from(
    session: Session,
    key: InstrumentedAttribute[int],
    age: InstrumentedAttribute[datetime],
    since: datetime,
) -> int:
    """The smallest `key` whose row's `age` is at or after `since`, searched by id
    (rows assumed in time order); past the last id when there is none."""
    start = select(
        func.coalesce(func.min(key), 0).label("lo"),
        (func.coalesce(func.max(key), 0) + 1).label("hi"),
    ).cte("search", recursive=True)
    mid = (start.c.lo + start.c.hi) // 2
    probe = select(age).where(key >= mid).order_by(key).limit(1).scalar_subquery()
    before = probe < literal(since, age.type)
    step = select(
        case((before, mid + 1), else_=start.c.lo), case((before, start.c.hi), else_=mid)
    ).where(start.c.lo < start.c.hi)
    search = start.union_all(step)
    return int(session.scalar(select(func.max(search.c.lo))) or 0)


def mo_count(session: Session, since: datetime, until: datetime) -> int:
    """MOs received in (since, until]."""
    floor = first_id_from(session, MO.id, MO.received_at, since - SLACK)
    query = select(func.count()).where(
        MO.id >= floor, MO.received_at > since, MO.received_at <= until
    )
    return int(session.scalar(query) or 0)


def reply_states(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Replies written in (since, until], by their state now."""
    floor = first_id_from(session, MT.id, MT.created_at, since - SLACK)
    query = (
        select(MT.state, func.count())
        .where(MT.id >= floor, MT.created_at > since, MT.created_at <= until)
        .group_by(MT.state)
    )
    return {state: int(n) for state, n in session.execute(query).all()}


def queue_figures(session: Session, now: datetime) -> QueueFigures:
    """Queued replies (the outbox index's `state`), how many wait for a later
    time, and the oldest of the rest."""
    later = and_(MT.claimed_by.is_(None), MT.next_attempt_at > now)
    due = or_(MT.claimed_by.is_not(None), MT.next_attempt_at.is_(None), MT.next_attempt_at <= now)
    query = select(
        func.count(),
        func.count(case((later, 1))),
        func.min(case((due, MT.created_at))),
    ).where(MT.state == QUEUED)
    queued, waiting, oldest = session.execute(query).one()
    return QueueFigures(int(queued), int(waiting), oldest)
