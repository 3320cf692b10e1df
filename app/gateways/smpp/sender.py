"""The SMPP sender: the link sender with SMPP's reply codec (`replies.py`)."""

from __future__ import annotations

from collections.abc import Callable

from app.gateways.links.sender import LinkSender, Transmitters
from app.gateways.smpp.replies import SmppReplies
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork


class SmppSender(LinkSender):
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        transmitters: Transmitters,
        settings: Settings,
        worker: str | None = None,
    ) -> None:
        super().__init__(uow_factory, transmitters, settings, SmppReplies(settings), worker)
