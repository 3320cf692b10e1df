"""Open questions awaiting the subscriber's `Y` (DOMAIN.md §5, §6): a paid order
to confirm, a "did you mean". Menus and `0000` lists wait for digits, not `Y`,
and are left out unless asked for."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.services.cancellation import CANCEL_LIST
from app.services.clock import utc_now
from app.services.keyword_router import DID_YOU_MEAN
from app.services.menus import MENU
from app.services.sign_up import CONFIRM_ORDER
from app.store.open_prompts import open_prompts
from app.store.unit_of_work import UnitOfWork

YES_NO = (CONFIRM_ORDER, DID_YOU_MEAN)
ALL_KINDS = (*YES_NO, MENU, CANCEL_LIST)


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
