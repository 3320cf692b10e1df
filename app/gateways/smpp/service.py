"""Running the SMPP side of the service: the binds and the outbox sender together."""

from __future__ import annotations

from typing import Any

from app.gateways.links.service import LinkService
from app.gateways.smpp.gateway import SmppGateway
from app.gateways.smpp.sender import SmppSender
from app.runtime import Runtime


class SmppService(LinkService):
    gateway: SmppGateway
    links_name = "SMPP connection(s)"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(SmppGateway(runtime, sender=SmppSender))

    def view(self) -> dict[str, Any]:
        return {
            "binds": self.gateway.view(),
            "deliver_sm_batches": self.gateway.batch_counters(),
            "write_batches": self.gateway.write_batches(),
            "outbox_sender": dict(self.sender.counters),
        }

    def health(self) -> dict[str, Any]:
        connections = self.gateway.connections
        bound = sum(1 for c in connections if c.bound)
        return {"connections": len(connections), "bound": bound}
