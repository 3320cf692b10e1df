"""The CMPP sender: the link sender with CMPP's reply codec (`replies.py`)."""

from __future__ import annotations

from collections.abc import Callable

from app.gateways.cmpp.replies import CmppReplies
from app.gateways.links.sender import LinkSender, Transmitters
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork


class CmppSender(LinkSender):
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        transmitters: Transmitters,
        settings: Settings,
        worker: str | None = None,
    ) -> None:
        super().__init__(uow_factory, transmitters, settings, CmppReplies(), worker)
