"""`GET /v1/prompts`: open questions awaiting a subscriber's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from app.api.common import Cursor, Limit, RuntimeDep, admin_router, next_cursor
from app.services.open_prompts import ALL_KINDS, YES_NO, pending_prompts

router = admin_router()
PromptKind = Literal["confirm_order", "did_you_mean", "menu", "cancel_list"]


class PromptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    msisdn: str
    kind: str
    asked: dict[str, Any]
    created_at: datetime
    expires_at: datetime


class PromptPage(BaseModel):
    prompts: list[PromptOut]
    next_cursor: int | None


@router.get("/prompts", response_model=PromptPage)
def list_prompts(
    runtime: RuntimeDep,
    kind: Annotated[
        list[PromptKind] | None,
        Query(description="default: the Y/N questions (confirm_order, did_you_mean)"),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> PromptPage:
    """Unexpired questions, oldest first: paid orders awaiting `Y`, "did you mean"."""
    kinds = tuple(kind) if kind else YES_NO
    assert set(kinds) <= set(ALL_KINDS)
    found = pending_prompts(runtime.uow_factory, kinds, cursor, limit)
    return PromptPage(
        prompts=[PromptOut.model_validate(p) for p in found],
        next_cursor=next_cursor([p.id for p in found], limit),
    )
