"""One ESME connection: bind state, request/response bookkeeping, keep-alive.

The session answers protocol-level PDUs itself (bind, enquire_link, unbind,
garbage) and hands messaging (submit_sm, deliver_sm_resp) to the SMSC. Nothing
an ESME sends may end the session except unbind, EOF or a dead link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from gateway_sim import codec

if TYPE_CHECKING:
    from gateway_sim.smsc import Smsc

log = logging.getLogger("gateway_sim.session")

BIND_MODES = {
    "bind_transmitter": "transmitter",
    "bind_receiver": "receiver",
    "bind_transceiver": "transceiver",
}
# Requests that have a matching *_resp we can address an error status to.
_RESP_FOR = {
    "submit_sm": "submit_sm_resp",
    "query_sm": "query_sm_resp",
    "unbind": "unbind_resp",
    "data_sm": "data_sm_resp",
    "deliver_sm": "deliver_sm_resp",
}
SMSC_SYSTEM_ID = "SMSCSIM"


class SessionState(StrEnum):
    """Where an ESME connection stands: open -> bound -> unbinding -> closed."""

    OPEN = "open"  # connected, no successful bind yet
    BOUND = "bound"  # bound as transmitter, receiver or transceiver
    UNBINDING = "unbinding"  # the SMSC sent unbind and waits for unbind_resp
    CLOSED = "closed"  # the connection is gone; nothing more is sent


@dataclass
class Delivery:
    """A deliver_sm the SMSC owes an ESME (an MO part or a receipt)."""

    fields: dict[str, Any]
    on_ack: Callable[[int, str], None]  # (command_status, bind id)
    system_id: str | None = None  # receipts go back to the account that submitted
    attempts: int = 0
    sent_at: float = 0.0


@dataclass
class SessionStats:
    """PDU counters of one session, shown on the bind's view."""

    submits: int = 0
    delivers: int = 0
    generic_nacks_sent: int = 0
    enquire_links_sent: int = 0
    enquire_links_received: int = 0


@dataclass
class Session:
    id: str
    smsc: Smsc
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    gen: codec.SequenceCounter = field(default_factory=codec.SequenceCounter)
    mode: str | None = None
    system_id: str = ""
    state: SessionState = SessionState.OPEN
    connected_at: float = field(default_factory=time.time)
    bound_at: float | None = None
    last_rx: float = field(default_factory=time.monotonic)
    stats: SessionStats = field(default_factory=SessionStats)
    in_flight: dict[int, Delivery] = field(default_factory=dict)
    enquire_pending: dict[int, float] = field(default_factory=dict)
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _unbind_done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def peer(self) -> str:
        info = self.writer.get_extra_info("peername")
        return f"{info[0]}:{info[1]}" if info else "?"

    @property
    def can_receive(self) -> bool:
        return self.state == SessionState.BOUND and self.mode in ("receiver", "transceiver")

    @property
    def has_room(self) -> bool:
        """Another deliver_sm may go out: the scenario's `deliver_window` is not full."""
        window = self.smsc.scenario.deliver_window
        return self.can_receive and (not window or len(self.in_flight) < window)

    @property
    def can_transmit(self) -> bool:
        return self.state == SessionState.BOUND and self.mode in ("transmitter", "transceiver")

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system_id": self.system_id,
            "mode": self.mode,
            "state": self.state,
            "peer": self.peer,
            "connected_at": self.connected_at,
            "bound_at": self.bound_at,
            "submits": self.stats.submits,
            "delivers": self.stats.delivers,
            "in_flight": len(self.in_flight),
            "generic_nacks_sent": self.stats.generic_nacks_sent,
            "enquire_links_sent": self.stats.enquire_links_sent,
            "enquire_links_received": self.stats.enquire_links_received,
        }

    # -- output -----------------------------------------------------------------

    def send(self, raw: bytes) -> None:
        if self.state == SessionState.CLOSED or self.writer.is_closing():
            return
        self.smsc.capture.record(self.id, "out", raw)
        self.writer.write(raw)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def deliver(self, delivery: Delivery) -> None:
        pdu = codec.build("deliver_sm", self.gen, **delivery.fields)
        delivery.attempts += 1
        delivery.sent_at = time.monotonic()
        self.in_flight[pdu.sequence] = delivery
        self.stats.delivers += 1
        self.send(pdu.generate())

    def respond(
        self, name: str, sequence: int, status: int = codec.ESME_ROK, **fields: Any
    ) -> None:
        self.send(codec.response(name, sequence, self.gen, status, **fields))

    def nack(self, sequence: int, status: int) -> None:
        self.stats.generic_nacks_sent += 1
        self.smsc.traffic.generic_nacks += 1
        self.send(codec.generic_nack(sequence, status))

    async def unbind(self, timeout: float = 5.0) -> None:
        """SMSC-initiated unbind: send it, wait for unbind_resp, then hang up."""
        if self.state != SessionState.BOUND:
            return
        self.state = SessionState.UNBINDING
        pdu = codec.build("unbind", self.gen)
        self.send(pdu.generate())
        try:
            await asyncio.wait_for(self._unbind_done.wait(), timeout)
        except TimeoutError:
            log.info("%s: no unbind_resp within %ss", self.id, timeout)
        self.close()

    def close(self) -> None:
        if self.state == SessionState.CLOSED:
            return
        self.state = SessionState.CLOSED
        with contextlib.suppress(Exception):  # transport already gone; nothing left to tidy
            self.writer.close()
        for task in list(self._tasks):
            task.cancel()
        self.smsc.on_closed(self)

    # -- input ------------------------------------------------------------------

    async def run(self) -> None:
        keepalive = asyncio.get_running_loop().create_task(self._keepalive())
        try:
            while self.state != SessionState.CLOSED:
                try:
                    frame = await codec.read_frame(self.reader)
                except codec.FramingError as exc:
                    log.info("%s: %s", self.id, exc)
                    self.nack(exc.sequence, codec.ESME_RINVCMDLEN)
                    continue
                self.last_rx = time.monotonic()
                self.smsc.capture.record(self.id, "in", frame.raw)
                try:
                    self._dispatch(frame)
                except codec.BodyError as exc:
                    log.info("%s: %s", self.id, exc)
                    self.nack(exc.sequence, exc.status)
                except Exception:
                    # A simulator bug must cost one PDU, not the tester's session.
                    log.exception("%s: failed to handle PDU seq=%d", self.id, frame.sequence)
                    self.nack(frame.sequence, codec.ESME_RSYSERR)
                try:
                    await self.writer.drain()
                except ConnectionError:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            keepalive.cancel()
            self.close()

    def _dispatch(self, frame: codec.Frame) -> None:
        name = codec.command_name(frame.command_id)
        if name is None:
            self.nack(frame.sequence, codec.ESME_RINVCMDID)
            return
        if name == "generic_nack":
            self._ack(frame.sequence, frame.status or codec.ESME_RSYSERR)
            return
        if name.endswith("_resp"):
            self._on_response(name, frame)
            return
        pdu = codec.decode(frame, self.gen)
        if name in BIND_MODES:
            self._on_bind(name, pdu)
        elif name == "enquire_link":
            self._on_enquire_link(frame.sequence)
        elif name == "unbind":
            if self.state not in (SessionState.BOUND, SessionState.UNBINDING):
                self.respond("unbind_resp", frame.sequence, codec.ESME_RINVBNDSTS)
                return
            self.respond("unbind_resp", frame.sequence)
            self.spawn(self._close_after_flush())
        elif name == "submit_sm":
            if not self.can_transmit:
                self.respond("submit_sm_resp", frame.sequence, codec.ESME_RINVBNDSTS)
                return
            self.stats.submits += 1
            self.smsc.on_submit(self, pdu)
        elif name == "query_sm":
            if self.state != SessionState.BOUND:
                self.respond("query_sm_resp", frame.sequence, codec.ESME_RINVBNDSTS)
                return
            self.smsc.on_query(self, pdu)
        elif name in _RESP_FOR:
            # deliver_sm / data_sm from an ESME: not something an SMSC accepts here.
            self.respond(_RESP_FOR[name], frame.sequence, codec.ESME_RINVCMDID)
        else:
            self.nack(frame.sequence, codec.ESME_RINVCMDID)

    def _on_bind(self, name: str, pdu: Any) -> None:
        resp_name = f"{name}_resp"
        if self.state != SessionState.OPEN:
            self.respond(resp_name, pdu.sequence, codec.ESME_RALYBND, system_id=SMSC_SYSTEM_ID)
            return
        system_id = codec.text_field(pdu.system_id)
        password = codec.text_field(pdu.password)
        status = self.smsc.check_bind(system_id, password)
        self.respond(resp_name, pdu.sequence, status, system_id=SMSC_SYSTEM_ID)
        if status != codec.ESME_ROK:
            return
        self.mode = BIND_MODES[name]
        self.system_id = system_id
        self.state = SessionState.BOUND
        self.bound_at = time.time()
        self.smsc.on_bound(self)

    def _on_enquire_link(self, sequence: int) -> None:
        self.stats.enquire_links_received += 1
        faults = self.smsc.scenario.faults
        if faults.enquire_link_resp_drop and self.smsc.rng.random() < faults.enquire_link_resp_drop:
            return
        if faults.enquire_link_resp_delay > 0:
            self.spawn(self._late_enquire_link_resp(sequence, faults.enquire_link_resp_delay))
            return
        self.respond("enquire_link_resp", sequence)

    async def _late_enquire_link_resp(self, sequence: int, delay: float) -> None:
        await asyncio.sleep(delay)
        self.respond("enquire_link_resp", sequence)

    def _on_response(self, name: str, frame: codec.Frame) -> None:
        if name in ("deliver_sm_resp", "data_sm_resp"):
            self._ack(frame.sequence, frame.status)
        elif name == "enquire_link_resp":
            self.enquire_pending.pop(frame.sequence, None)
        elif name == "unbind_resp":
            self._unbind_done.set()
        else:
            log.info("%s: unexpected %s seq=%d ignored", self.id, name, frame.sequence)

    def _ack(self, sequence: int, status: int) -> None:
        delivery = self.in_flight.pop(sequence, None)
        if delivery is None:
            log.info("%s: response for unknown seq %d", self.id, sequence)
            return
        self.smsc.on_delivery_ack(self, delivery, status)

    async def _close_after_flush(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()
        self.close()

    def _expire_unanswered_deliveries(self, now: float) -> None:
        """No deliver_sm_resp in time counts as a temporary failure (the SMSC retries)."""
        limit = self.smsc.scenario.response_timeout
        for seq, delivery in list(self.in_flight.items()):
            if now - delivery.sent_at > limit:
                del self.in_flight[seq]
                log.info("%s: no deliver_sm_resp for seq %d within %ss", self.id, seq, limit)
                self.smsc.on_delivery_ack(self, delivery, codec.ESME_RSYSERR)

    async def _keepalive(self) -> None:
        """Send enquire_link when the ESME has been quiet; hang up on a dead link."""
        while self.state != SessionState.CLOSED:
            scenario = self.smsc.scenario
            interval, timeout = scenario.enquire_link_interval, scenario.enquire_link_timeout
            await asyncio.sleep(max(0.05, min(interval, timeout, scenario.response_timeout) / 4))
            now = time.monotonic()
            if any(now - sent > timeout for sent in self.enquire_pending.values()):
                log.info("%s: enquire_link unanswered for %ss, closing", self.id, timeout)
                self.close()
                return
            self._expire_unanswered_deliveries(now)
            idle = now - self.last_rx >= interval
            if self.state == SessionState.BOUND and not self.enquire_pending and idle:
                pdu = codec.build("enquire_link", self.gen)
                self.enquire_pending[pdu.sequence] = now
                self.stats.enquire_links_sent += 1
                self.send(pdu.generate())
