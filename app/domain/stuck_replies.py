"""Which replies need the operator (the outbox's states: app/services/outbox.py).

`failed`: the SMSC refused it for good, or it ran out of attempts. Stuck: still
`queued` although it should have left: due `minutes` ago or more with no sender
taking it (no bind up for its channel, a sender down), or claimed by a sender
whose lease has passed without it being marked (the sender died holding it).
A retry puts either back in the queue, due at once; nothing else can be retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.states import ReplyState

QUEUED, FAILED = ReplyState.QUEUED, ReplyState.FAILED
#: Not a state: the queued rows a sender claimed and never settled.
STUCK = "stuck"


@dataclass(frozen=True, slots=True)
class StuckRule:
    minutes: int = 10

    def __post_init__(self) -> None:
        if self.minutes < 1:
            raise ValueError("stuck means due for at least a minute")


def is_stuck(
    state: str, claimed_by: str | None, next_attempt_at: datetime | None, now: datetime,
    rule: StuckRule,
) -> bool:  # fmt: skip
    if state != QUEUED or next_attempt_at is None:
        return False
    if claimed_by is None:
        return next_attempt_at <= now - timedelta(minutes=rule.minutes)
    return next_attempt_at <= now


def retryable(
    state: str, claimed_by: str | None, next_attempt_at: datetime | None, now: datetime,
    rule: StuckRule,
) -> bool:  # fmt: skip
    return state == FAILED or is_stuck(state, claimed_by, next_attempt_at, now, rule)
