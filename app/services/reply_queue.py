"""Failed and stuck replies for the operator, and putting one back in the queue
(app/domain/stuck_replies.py says which; the outbox sender then takes it as any
other queued reply)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.domain.stuck_replies import QUEUED, StuckRule, retryable
from app.services.clock import utc_now
from app.store.reply_queue import get_locked, troubled_replies
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class ReplyView:
    id: int
    msisdn: str
    inbound_message_id: int | None
    channel: str
    state: str
    attempts: int
    claimed_by: str | None
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    error_kind: str | None
    created_at: datetime
    updated_at: datetime


class ReplyNotFound(LookupError):
    pass


class NotRetryable(ValueError):
    pass


def _view(row: object) -> ReplyView:
    return ReplyView(**{name: getattr(row, name) for name in ReplyView.__dataclass_fields__})


def troubled(
    uow_factory: UowFactory, state: str, rule: StuckRule, after: int, limit: int
) -> list[ReplyView]:
    with uow_factory() as uow:
        assert uow.session is not None
        rows = troubled_replies(uow.session, state, rule, utc_now(), after, limit)
        return [_view(row) for row in rows]


def retry_reply(uow_factory: UowFactory, reply_id: int, rule: StuckRule) -> ReplyView:
    """Queue a failed or stuck reply again, due now, held by no sender."""
    with uow_factory() as uow:
        assert uow.session is not None
        row = get_locked(uow.session, reply_id)
        if row is None:
            raise ReplyNotFound(f"no reply {reply_id}")
        now = utc_now()
        if not retryable(row.state, row.claimed_by, row.next_attempt_at, now, rule):
            raise NotRetryable(f"reply {reply_id} is {row.state}, neither failed nor stuck")
        row.state, row.claimed_by, row.next_attempt_at = QUEUED, None, now
        row.finished_at, row.updated_at = None, now
        view = _view(row)
        uow.commit()
        return view
