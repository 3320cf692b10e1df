"""What a subscriber sent and what the service said, for support staff (DESIGN.md,
Data: every message is kept with its gateway ids and delivery state)."""

from __future__ import annotations

from collections.abc import Callable

from app.store.conversations import ConversationEntry, conversation
from app.store.unit_of_work import UnitOfWork


def conversation_of(
    uow_factory: Callable[[], UnitOfWork], msisdn: str, offset: int, limit: int
) -> list[ConversationEntry]:
    with uow_factory() as uow:
        assert uow.session is not None
        return conversation(uow.session, msisdn, offset, limit)
