"""Running the CMPP side of the service: the links and their outbox sender together."""

from __future__ import annotations

import logging
from typing import Any

from app.gateways.cmpp.gateway import CmppGateway
from app.gateways.cmpp.replies import CmppReplies
from app.gateways.links.sender import LinkSender
from app.runtime import Runtime

log = logging.getLogger("smshall.cmpp")


class CmppService:
    def __init__(self, runtime: Runtime) -> None:
        self.gateway = CmppGateway(runtime)
        self.sender = LinkSender(runtime.uow_factory, self.gateway, runtime.settings, CmppReplies())
        self.gateway.on_replies_queued = self.sender.wake
        # Replies of an MO leave at once: claimed as they are written, then handed over.
        self.gateway.deliveries.core.claim = self.sender.offer_claim
        self.gateway.on_replies_claimed = self.sender.take

    def start(self) -> None:
        log.info("starting %d CMPP link(s)", len(self.gateway.connections))
        self.gateway.start()
        self.sender.start()

    def stop(self) -> None:
        self.sender.stop()  # no new submits, then TERMINATE
        self.gateway.stop()

    def view(self) -> dict[str, Any]:
        return {"links": self.gateway.view(), "outbox_sender": dict(self.sender.counters)}

    def health(self) -> dict[str, Any]:
        connections = self.gateway.connections
        return {"links": len(connections), "connected": sum(1 for c in connections if c.bound)}
