"""`GET /v1/replies?state=failed|stuck` and `POST /v1/replies/{id}/retry`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import HTTPException, Path, Query, status
from pydantic import BaseModel

from app.api.common import MAX_ROW_ID, Cursor, Limit, RuntimeDep, admin_router, next_cursor
from app.domain.stuck_replies import StuckRule
from app.services.reply_queue import (
    NotRetryable,
    ReplyNotFound,
    ReplyView,
    retry_reply,
    troubled,
)

router = admin_router()


class ReplyPage(BaseModel):
    state: str
    stuck_minutes: int
    replies: list[ReplyView]
    next_cursor: int | None


StuckMinutes = Annotated[
    int,
    Query(
        ge=1,
        le=10080,
        description="a queued reply due this many minutes ago and not taken is stuck",
    ),
]


@router.get("/replies", response_model=ReplyPage)
def list_replies(
    runtime: RuntimeDep,
    state: Annotated[
        Literal["failed", "stuck"],
        Query(description="`failed`, or `stuck`: queued past `stuck_minutes` or past a lease"),
    ],
    stuck_minutes: StuckMinutes = 10,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> ReplyPage:
    """Replies that need the operator, oldest first."""
    rule = StuckRule(stuck_minutes)
    found = troubled(runtime.uow_factory, state, rule, cursor, limit)
    return ReplyPage(
        state=state,
        stuck_minutes=stuck_minutes,
        replies=list(found),
        next_cursor=next_cursor([r.id for r in found], limit),
    )


@router.post("/replies/{reply_id}/retry", response_model=ReplyView)
def retry(
    runtime: RuntimeDep,
    reply_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
    stuck_minutes: StuckMinutes = 10,
) -> ReplyView:
    """Put a failed or stuck reply back in the queue, due now; 409 for any other."""
    try:
        view = retry_reply(runtime.uow_factory, reply_id, StuckRule(stuck_minutes))
    except ReplyNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except NotRetryable as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return view
