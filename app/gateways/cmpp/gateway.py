"""All CMPP links of this process: start, stop, pick a transmitter, report state.

DELIVERs are handled on batch workers (`app/gateways/batches.py`), not on the
reader thread, so a slow database never delays SUBMIT_RESP matching: a
batch's MOs commit in one transaction, its status reports in another, and
each DELIVER_RESP goes out once what it answers is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.domain.channels import Channel
from app.gateways.cmpp.deliveries import Answer, Arrived, CmppDeliveries
from app.gateways.cmpp.link import CmppConnection
from app.gateways.cmpp.pdus import Command, Frame, MsgIdResult
from app.gateways.cmpp.session import Session
from app.gateways.links.gateway import LinkGateway, SenderFactory
from app.gateways.links.mo_core import MoCore, MoSettings
from app.runtime import Runtime
from app.services.outbox import ClaimedReply
from app.settings import CmppLink

log = logging.getLogger("smshall.cmpp")

CHANNEL = Channel.CMPP


@dataclass(frozen=True, slots=True)
class Arrival:
    connection: CmppConnection
    session: Session
    frame: Frame


class CmppGateway(LinkGateway[CmppConnection, Arrival]):
    def __init__(
        self,
        runtime: Runtime,
        links: list[CmppLink] | None = None,
        sender: SenderFactory | None = None,
    ) -> None:
        settings = runtime.settings
        core = MoCore(
            runtime.uow_factory,
            runtime.reply_context,
            MoSettings.of(settings),
            channel=CHANNEL,
            claim=self.offer_claim,
        )
        self.deliveries = CmppDeliveries(core)
        configs = settings.cmpp_links if links is None else links
        connections = [CmppConnection(config, self._on_request) for config in configs]
        super().__init__(runtime, CHANNEL, connections, core, sender)

    def _housekeep(self, ticks: int) -> None:
        self.deliveries.expire_parts()

    # -- traffic from the ISMG ----------------------------------------------------

    def _on_request(self, connection: CmppConnection, session: Session, frame: Frame) -> None:
        connection.counters["deliver"] += 1
        self._arrivals.put(Arrival(connection, session, frame))

    def _deliver(self, arrivals: list[Arrival]) -> None:
        answered: set[int] = set()

        def answer(done: list[tuple[int, Answer]]) -> None:
            answered.update(i for i, _ in done)  # never a second DELIVER_RESP
            self._answer([(arrivals[i], a) for i, a in done])

        batch = [Arrived(a.connection.name, a.connection.version, a.frame) for a in arrivals]
        try:
            results = self.deliveries.handle_many(batch, answer)
        except Exception:
            log.exception("DELIVER handling failed for a batch of %d", len(arrivals))
            results = [Answer(int.from_bytes(a.frame.body[:8], "big"), 9) for a in arrivals]
        answer([(i, r) for i, r in enumerate(results) if i not in answered])

    def _answer(self, done: list[tuple[Arrival, Answer]]) -> None:
        queued = False
        claimed: list[ClaimedReply] = []
        for arrival, answer in done:
            session = arrival.session
            body = MsgIdResult(answer.msg_id, answer.result).encode(arrival.connection.version)
            written = session.respond(arrival.frame, Command.DELIVER_RESP, body)
            if not written:
                log.info("%s: DELIVER_RESP #%d unsent, link gone",
                         arrival.connection.name, arrival.frame.sequence)  # fmt: skip
            handled = answer.handled
            if handled is not None and handled.status == 0:
                claimed.extend(handled.claimed)
                queued = queued or (handled.key is not None and not handled.claimed)
        self._hand_over(claimed, queued)
