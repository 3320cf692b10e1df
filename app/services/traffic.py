"""Traffic now, for the console: MOs and replies a second over the last minute,
that minute's replies by state, and the outbox queue (`app/store/traffic.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.states import ReplyState
from app.services.clock import utc_now
from app.store.traffic import mo_count, queue_figures, reply_states
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
WINDOW = timedelta(minutes=1)
#: Always reported, even at zero; any other state (expired, dropped) when present.
REPLY_STATES = (ReplyState.QUEUED, ReplyState.SENT, ReplyState.DELIVERED, ReplyState.FAILED)


@dataclass(frozen=True, slots=True)
class Traffic:
    at: datetime
    window_seconds: int
    mo: int
    replies: int
    replies_by_state: dict[str, int]
    queued: int
    queued_later: int
    oldest_queued_at: datetime | None

    @property
    def mo_per_second(self) -> float:
        return round(self.mo / self.window_seconds, 3)

    @property
    def replies_per_second(self) -> float:
        return round(self.replies / self.window_seconds, 3)

    @property
    def oldest_queued_age_seconds(self) -> float | None:
        if self.oldest_queued_at is None:
            return None
        return max(0.0, round((self.at - self.oldest_queued_at).total_seconds(), 1))


def traffic_now(uow_factory: UowFactory, now: datetime | None = None) -> Traffic:
    """The figures as of `now` (the service clock unless given), in one transaction."""
    at = now or utc_now()
    since = at - WINDOW
    with uow_factory() as uow:
        assert uow.session is not None
        mos = mo_count(uow.session, since, at)
        states = reply_states(uow.session, since, at)
        queue = queue_figures(uow.session, at)
    by_state: dict[str, int] = {state: states.get(state, 0) for state in REPLY_STATES}
    by_state.update({s: n for s, n in sorted(states.items()) if s not in by_state})
    return Traffic(
        at=at,
        window_seconds=int(WINDOW.total_seconds()),
        mo=mos,
        replies=sum(states.values()),
        replies_by_state=by_state,
        queued=queue.queued,
        queued_later=queue.later,
        oldest_queued_at=queue.oldest_queued_at,
    )
