"""All CMPP links of this process: start, stop, pick a transmitter, report state.

DELIVERs are handled on batch workers (`app/gateways/batches.py`), not on the
reader thread, so a slow database never delays SUBMIT_RESP matching: a
batch's MOs commit in one transaction, its status reports in another, and
each DELIVER_RESP goes out once what it answers is committed.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.gateways.batches import Batches, writers_for
from app.gateways.cmpp.deliveries import Answer, Arrived, CmppDeliveries
from app.gateways.cmpp.link import CmppConnection
from app.gateways.cmpp.pdus import Command, Frame, MsgIdResult
from app.gateways.cmpp.session import Session
from app.gateways.smpp.deliveries import Deliveries
from app.gateways.supervision import round_robin, stop_all
from app.runtime import Runtime
from app.services.outbox import ClaimedReply
from app.settings import CmppLink

log = logging.getLogger("smshall.cmpp")

CHANNEL = "cmpp"
#: The most DELIVERs one batch (one transaction) takes.
MO_BATCH = 64


@dataclass(frozen=True, slots=True)
class Arrival:
    connection: CmppConnection
    session: Session
    frame: Frame


class CmppGateway:
    def __init__(self, runtime: Runtime, links: list[CmppLink] | None = None) -> None:
        settings = runtime.settings
        core = Deliveries(
            runtime.uow_factory,
            runtime.reply_context,
            settings.smpp_mo_dedupe_window,
            settings.smpp_concat_ttl,
            settings.smpp_mo_ack_grace,
            channel=CHANNEL,
        )
        self.deliveries = CmppDeliveries(core)
        configs = settings.cmpp_links if links is None else links
        self.connections = [CmppConnection(config, self._on_request) for config in configs]
        self._arrivals: Batches[Arrival] = Batches(
            self._deliver,
            workers=writers_for(runtime.engine.dialect.name, settings.inbound_writers),
            size=MO_BATCH,
            name="cmpp-mo",
        )
        self.on_replies_queued: Callable[[], None] = lambda: None
        self.on_replies_claimed: Callable[[list[ClaimedReply]], None] = lambda replies: None
        self._round_robin = itertools.count()
        self._stop = threading.Event()
        self._housekeeping = threading.Thread(target=self._tick, name="cmpp-tick", daemon=True)

    def start(self) -> None:
        self._arrivals.start()
        for connection in self.connections:
            connection.start()
        self._housekeeping.start()

    def stop(self) -> None:
        self._stop.set()
        stop_all(self.connections)  # all log out in parallel, then each is waited for
        self._arrivals.stop()
        if self._housekeeping.is_alive():
            self._housekeeping.join(2.0)

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.deliveries.expire_parts()
            except Exception:
                log.exception("expiring long MO parts failed")

    # -- traffic from the ISMG ----------------------------------------------------

    def _on_request(self, connection: CmppConnection, session: Session, frame: Frame) -> None:
        connection.counters["deliver"] += 1
        self._arrivals.put(Arrival(connection, session, frame))

    def _deliver(self, arrivals: list[Arrival]) -> None:
        answered: set[int] = set()

        def answer(done: list[tuple[int, Answer]]) -> None:
            answered.update(i for i, _ in done)  # never a second DELIVER_RESP
            self._answer([(arrivals[i], a) for i, a in done])

        batch = [Arrived(a.connection.name, a.session.version, a.frame) for a in arrivals]
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
            body = MsgIdResult(answer.msg_id, answer.result).encode(session.version)
            written = session.respond(arrival.frame, Command.DELIVER_RESP, body)
            if not written:
                log.info("%s: DELIVER_RESP #%d unsent, link gone",
                         arrival.connection.name, arrival.frame.sequence)  # fmt: skip
            self.deliveries.answered(answer, written)
            handled = answer.handled
            if handled is not None and handled.status == 0:
                claimed.extend(handled.claimed)
                queued = queued or (handled.key is not None and not handled.claimed)
        if claimed:
            self.on_replies_claimed(claimed)
        if queued:
            self.on_replies_queued()

    # -- traffic to the ISMG ------------------------------------------------------

    def transmitter(self) -> CmppConnection | None:
        """A connected, unpaused link, round robin; a paused one if that is all."""
        ready = [c for c in self.connections if c.bound]
        return round_robin(ready, self._round_robin)

    @property
    def any_transmitter(self) -> bool:
        return any(c.bound for c in self.connections)

    def window_capacity(self) -> int:
        return sum(c.config.window for c in self.connections) or 1

    def view(self) -> list[dict[str, Any]]:
        return [c.view() for c in self.connections]
