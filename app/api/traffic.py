"""`GET /v1/traffic`: MOs and replies a second over the last minute, the minute's
replies by state, and the outbox queue — what the console polls."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.api.common import RuntimeDep, admin_router
from app.services.traffic import traffic_now

router = admin_router()


class QueueOut(BaseModel):
    queued: int
    later: int
    oldest_queued_at: datetime | None
    oldest_queued_age_seconds: float | None


class TrafficOut(BaseModel):
    """`replies_by_state` counts the window's replies by their state now;
    `queue.later` are queued replies not due yet (held notices, retries backing
    off), left out of the oldest queued reply's age."""

    at: datetime
    window_seconds: int
    mo: int
    mo_per_second: float
    replies: int
    replies_per_second: float
    replies_by_state: dict[str, int]
    queue: QueueOut


@router.get("/traffic", response_model=TrafficOut)
def get_traffic(runtime: RuntimeDep) -> TrafficOut:
    """Traffic over the last minute by the service clock, and the outbox queue now."""
    t = traffic_now(runtime.uow_factory)
    return TrafficOut(
        at=t.at,
        window_seconds=t.window_seconds,
        mo=t.mo,
        mo_per_second=t.mo_per_second,
        replies=t.replies,
        replies_per_second=t.replies_per_second,
        replies_by_state=t.replies_by_state,
        queue=QueueOut(
            queued=t.queued,
            later=t.queued_later,
            oldest_queued_at=t.oldest_queued_at,
            oldest_queued_age_seconds=t.oldest_queued_age_seconds,
        ),
    )
