"""Running the SMPP side of the service: the binds and the outbox sender together."""

from __future__ import annotations

import logging
from typing import Any

from app.gateways.smpp.gateway import SmppGateway
from app.gateways.smpp.sender import SmppSender
from app.runtime import Runtime

log = logging.getLogger("smshall.smpp")


class SmppService:
    def __init__(self, runtime: Runtime) -> None:
        self.gateway = SmppGateway(runtime)
        self.sender = SmppSender(runtime.uow_factory, self.gateway, runtime.settings)
        self.gateway.on_replies_queued = self.sender.wake
        # Replies of an MO leave at once: claimed as they are written, then handed over.
        self.gateway.deliveries.claim = self.sender.offer_claim
        self.gateway.on_replies_claimed = self.sender.take

    def start(self) -> None:
        log.info("starting %d SMPP connection(s)", len(self.gateway.connections))
        self.gateway.start()
        self.sender.start()

    def stop(self) -> None:
        self.sender.stop()  # no new submits, then unbind
        self.gateway.stop()

    def view(self) -> dict[str, Any]:
        return {
            "binds": self.gateway.view(),
            "deliver_sm_batches": self.gateway.batch_counters(),
            "outbox_sender": dict(self.sender.counters),
        }

    def health(self) -> dict[str, Any]:
        connections = self.gateway.connections
        bound = sum(1 for c in connections if c.bound)
        return {"connections": len(connections), "bound": bound}
