"""Questions subscribers have not answered yet (DOMAIN.md §5, §6), for the admin API."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import PendingPromptRow


def open_prompts(
    session: Session, kinds: Collection[str], now: datetime, after: int, limit: int
) -> list[PendingPromptRow]:
    """Unexpired prompts of `kinds` past id `after`, oldest first."""
    query = (
        select(PendingPromptRow)
        .where(PendingPromptRow.kind.in_(list(kinds)))
        .where(PendingPromptRow.expires_at > now, PendingPromptRow.id > after)
        .order_by(PendingPromptRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))
