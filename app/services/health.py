"""Whether the service can do its job, and if not, why: `/health` for load
balancers and the operator's probes (issue: the operator's side).

Unhealthy when the database does not answer, when links are configured and
none is up (checked by the gateway that holds them), or when a reply due to
leave has waited in the outbox longer than `SMSHALL_HEALTH_OUTBOX_AGE` (no
sender is taking it: no bind, a sender stuck, a channel nobody carries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.services.clock import utc_now
from app.store.traffic import queue_figures
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.health")


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    problems: tuple[str, ...]
    queued: int | None = None
    oldest_due_seconds: float | None = None


def outbox_health(
    uow_factory: Callable[[], UnitOfWork], max_age_seconds: float, now: datetime | None = None
) -> OutboxHealth:
    """The database answers, and no due reply is older than `max_age_seconds`."""
    at = now or utc_now()
    try:
        with uow_factory() as uow:
            assert uow.session is not None
            queue = queue_figures(uow.session, at)
    except Exception as error:  # any failure to read is the database's to explain
        log.warning("health: the database did not answer: %s", type(error).__name__)
        return OutboxHealth((f"database unreachable ({type(error).__name__})",))
    age = None
    if queue.oldest_queued_at is not None:
        age = max(0.0, round((at - queue.oldest_queued_at).total_seconds(), 1))
    problems: tuple[str, ...] = ()
    if age is not None and age > max_age_seconds:
        problems = (f"a reply due to leave has waited {age:.0f} s in the outbox",)
    return OutboxHealth(problems, queue.queued, age)
