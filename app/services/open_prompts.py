"""Open questions awaiting the subscriber's `Y` (DOMAIN.md §5, §6): a paid order
to confirm, a "did you mean". Menus and `0000` lists wait for digits, not `Y`,
and are left out unless asked for."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.states import PromptKind
from app.services.clock import utc_now
from app.store.open_prompts import open_prompts
from app.store.unit_of_work import UnitOfWork

YES_NO = (PromptKind.CONFIRM_ORDER, PromptKind.DID_YOU_MEAN)
ALL_KINDS = tuple(PromptKind)


@dataclass(frozen=True, slots=True)
class PromptView:
    id: int
    msisdn: str
    kind: str
    asked: dict[str, Any]  # the order awaiting `Y` (campaign, arguments) or the guess
    created_at: datetime
    expires_at: datetime


def pending_prompts(
    uow_factory: Callable[[], UnitOfWork], kinds: Collection[str], after: int, limit: int
) -> list[PromptView]:
    with uow_factory() as uow:
        assert uow.session is not None
        rows = open_prompts(uow.session, kinds, utc_now(), after, limit)
        return [
            PromptView(r.id, r.msisdn, r.kind, dict(r.payload), r.created_at, r.expires_at)
            for r in rows
        ]
