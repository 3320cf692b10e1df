"""Running the CMPP side of the service: the links and their outbox sender together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.gateways.cmpp.gateway import CmppGateway
from app.gateways.cmpp.replies import CmppReplies
from app.gateways.links.sender import LinkSender, Transmitters
from app.gateways.links.service import LinkService
from app.runtime import Runtime
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork


def cmpp_sender(
    uow_factory: Callable[[], UnitOfWork], transmitters: Transmitters, settings: Settings
) -> LinkSender:
    """The link sender with CMPP's reply codec (`replies.py`)."""
    return LinkSender(uow_factory, transmitters, settings, CmppReplies())


class CmppService(LinkService):
    gateway: CmppGateway
    links_name = "CMPP link(s)"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(CmppGateway(runtime, sender=cmpp_sender))

    def view(self) -> dict[str, Any]:
        return {"links": self.gateway.view(), "outbox_sender": dict(self.sender.counters)}

    def health(self) -> dict[str, Any]:
        connections = self.gateway.connections
        return {"links": len(connections), "connected": sum(1 for c in connections if c.bound)}
