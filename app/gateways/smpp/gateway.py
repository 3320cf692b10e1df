"""All SMPP binds of this process: start, stop, pick a transmitter, report state.

deliver_sm handling runs on a few workers, not on the reader thread, so a slow
database never delays submit_sm_resp matching on the same socket. Workers take
deliver_sm in batches (`app/gateways/batches.py`): a batch's MOs commit in one
transaction and its receipts in another, then every deliver_sm_resp goes out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from smpplib.pdu import PDU

from app.domain.channels import Channel
from app.gateways.links.gateway import LinkGateway, SenderFactory
from app.gateways.links.mo_core import MoSettings
from app.gateways.links.window import ResponseTimeout, WindowClosed
from app.gateways.smpp.deliveries import Deliveries, Handled
from app.gateways.smpp.esme import EsmeConnection, NotBound
from app.gateways.smpp.session import Session
from app.gateways.smpp.ussd import UssdDialogues
from app.runtime import Runtime
from app.services.outbox import ClaimedReply
from app.settings import SmppBind

log = logging.getLogger("smshall.smpp")

ROLES = {"trx": ("trx",), "rx+tx": ("rx", "tx"), "tx": ("tx",), "rx": ("rx",)}
#: Seconds between counter lines in the log.
COUNTERS_EVERY = 60
RESPONSES = {"deliver_sm": "deliver_sm_resp", "data_sm": "data_sm_resp"}


@dataclass(frozen=True, slots=True)
class Arrival:
    connection: EsmeConnection
    session: Session
    pdu: PDU
    response: str


class SmppGateway(LinkGateway[EsmeConnection, Arrival]):
    def __init__(
        self,
        runtime: Runtime,
        binds: list[SmppBind] | None = None,
        sender: SenderFactory | None = None,
    ) -> None:
        settings = runtime.settings
        self.deliveries = Deliveries(
            runtime.uow_factory,
            runtime.reply_context,
            MoSettings.of(settings),
            UssdDialogues(
                runtime.uow_factory,
                runtime.reply_context,
                settings.notice_channel,
                settings.ussd_session_timeout,
            ),
            {b.name: b.receipt_ids for b in (settings.smpp_binds if binds is None else binds)},
            claim=self.offer_claim,
        )
        connections = [
            EsmeConnection(config, role, self._on_request)
            for config in (settings.smpp_binds if binds is None else binds)
            for role in ROLES[config.mode]
        ]
        super().__init__(runtime, Channel.SMPP, connections, self.deliveries, sender)

    def _housekeep(self, ticks: int) -> None:
        try:
            self.deliveries.expire_parts()
            if self.deliveries.ussd is not None:
                self.deliveries.ussd.expire()
        except Exception:
            log.exception("expiring long MO parts or USSD dialogues failed")
        if ticks % COUNTERS_EVERY == 0:
            for connection in self.connections:
                view = connection.view()
                log.info(
                    "bind %s: %s, %d outstanding, counters %s",
                    view["name"], view["state"], view["outstanding"], view["counters"],
                )  # fmt: skip

    # -- traffic from the SMSC ----------------------------------------------------

    def _on_request(self, connection: EsmeConnection, session: Session, pdu: PDU) -> None:
        response = RESPONSES.get(pdu.command)
        if response is None:
            if pdu.command != "alert_notification":  # the one request that has no response
                session.nack(pdu.sequence, 0x03, f"unexpected {pdu.command}")
            return
        connection.counters[pdu.command] += 1
        self._arrivals.put(Arrival(connection, session, pdu, response))

    def _deliver(self, arrivals: list[Arrival]) -> None:
        """Handle a batch; its MOs are answered as soon as they committed (see
        `Deliveries.handle_many`), the rest once the receipts are written."""
        answered: set[int] = set()

        def answer(done: list[tuple[int, Handled]]) -> None:
            answered.update(i for i, _ in done)  # never a second deliver_sm_resp
            self._answer([(arrivals[i], handled) for i, handled in done])

        try:
            results = self.deliveries.handle_many(
                [(a.connection.config.name, a.pdu) for a in arrivals], answer
            )
        except Exception:
            log.exception("deliver_sm handling failed for a batch of %d", len(arrivals))
            results = [Handled(0x64)] * len(arrivals)  # ESME_RX_T_APPN: the SMSC tries again
        answer([(i, h) for i, h in enumerate(results) if i not in answered])

    def _answer(self, done: list[tuple[Arrival, Handled]]) -> None:
        """Send each deliver_sm_resp, then hand the committed MOs' replies over.

        In that order: the dedupe (`dedupe.py`) learns that an MO was answered
        before its reply can reach the handset, so the handset's next MO, with
        the same text, is a new message and not a repeat of this one.
        """
        queued = False
        claimed: list[ClaimedReply] = []
        for arrival, handled in done:
            connection, session, pdu = arrival.connection, arrival.session, arrival.pdu
            written = session.respond(pdu, arrival.response, handled.status)
            if not written:
                log.info(
                    "%s: %s #%d unanswered, link gone",
                    connection.name,
                    arrival.response,
                    pdu.sequence,
                )
            ok = written and handled.status == 0
            self.deliveries.answered(handled, ok, partial(_closed_at, session))
            if handled.status == 0:  # committed: its replies go out, answered or not
                claimed.extend(handled.claimed)
                queued = queued or (handled.key is not None and not handled.claimed)
            if handled.ussd_reply is not None and ok:
                self._send_ussd(connection, handled.ussd_reply)
        self._hand_over(claimed, queued)

    def _send_ussd(self, connection: EsmeConnection, fields: dict[str, Any]) -> None:
        """A USSD screen goes straight back on the bind of its dialogue (its
        transmitter for an rx+tx bind), not through the outbox queue."""
        name = connection.config.name
        candidates = [connection] + [
            c for c in self.connections if c is not connection and c.config.name == name
        ]
        target = next((c for c in candidates if c.can_transmit and c.bound), None)
        if target is None:
            log.warning("%s: no transmitter bound for a USSD screen; dropped", name)
            return
        try:
            outcome = target.submit(fields)
        except (NotBound, WindowClosed, ResponseTimeout) as error:
            log.warning("%s: USSD screen not sent: %s", target.name, error)
            return
        if outcome.status != 0:
            log.warning("%s: USSD screen refused: 0x%02x", target.name, outcome.status)


def _closed_at(session: Session) -> float | None:
    """When the link a deliver_sm_resp went out on died, if it has (`dedupe.py`)."""
    return session.closed_at
