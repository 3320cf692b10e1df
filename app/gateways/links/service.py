"""Running one protocol's side of the service: its gateway's links and the
outbox sender the gateway built, started and stopped together."""

from __future__ import annotations

import logging
from typing import Any

from app.gateways.links.gateway import LinkGateway
from app.gateways.links.sender import LinkSender

log = logging.getLogger("smshall.gateways")


class LinkService:
    #: What the start line of the log counts: "SMPP connection(s)".
    links_name = "link(s)"

    def __init__(self, gateway: LinkGateway[Any, Any]) -> None:
        # Replies of an MO leave at once: claimed as they are written, then handed over.
        assert gateway.sender is not None
        self.gateway = gateway
        self.sender: LinkSender = gateway.sender

    def start(self) -> None:
        log.info("starting %d %s", len(self.gateway.connections), self.links_name)
        self.gateway.start()
        self.sender.start()

    def stop(self) -> None:
        self.sender.stop()  # no new submits, then the links log out
        self.gateway.stop()
