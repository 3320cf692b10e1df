"""The SMSC server: ESME connections and binds, deliver_sm routing, fault timers.

Messaging itself lives beside it: `mo_injection`, `mt_intake`, `receipt_sending`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from typing import Any

from gateway_sim import codec, receipts, segments
from gateway_sim.capture import PduCapture
from gateway_sim.scenario import Scenario
from gateway_sim.session import Delivery, Session, SessionState
from gateway_sim.smsc import mo_injection, mt_intake
from gateway_sim.smsc.mt_intake import TokenBucket
from gateway_sim.traffic import TrafficLog

log = logging.getLogger("gateway_sim.smsc")

# deliver_sm_resp statuses after which a real SMSC retries later.
TEMPORARY_ESME_ERRORS = {codec.ESME_RSYSERR, codec.ESME_RMSGQFUL, codec.ESME_RTHROTTLED}
MAX_DELIVERY_ATTEMPTS = 3
RETRY_DELAY = 1.0


class Smsc:
    def __init__(self, scenario: Scenario, traffic: TrafficLog) -> None:
        self.traffic = traffic
        self.sessions: dict[str, Session] = {}
        self.closed_sessions: deque[dict[str, Any]] = deque(maxlen=50)
        self.outbox: deque[Delivery] = deque()
        self.capture = PduCapture()
        self.ids = receipts.MessageIds()
        self._bind_n = 0
        self._rr = 0
        self._concat_ref = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.apply_scenario(scenario)

    # -- lifecycle --------------------------------------------------------------

    def apply_scenario(self, scenario: Scenario) -> None:
        """(Re)configure; fault timers such as refuse_binds_for start now."""
        self.scenario = scenario
        self.rng = random.Random(scenario.seed)
        self.faults_since = time.monotonic()
        self.bucket = TokenBucket(scenario.faults.throttle_tps)
        reassembler: segments.Reassembler | None = getattr(self, "reassembler", None)
        if reassembler is not None:
            reassembler.timeout = scenario.reassembly_timeout  # keep parts in flight
        else:
            self.reassembler = segments.Reassembler(scenario.reassembly_timeout)

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._accept, host, port)
        self.spawn(self._housekeeping())
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions.values()):
            session.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def unbind_all(self, timeout: float = 1.0) -> None:
        """Polite shutdown: an SMSC going down unbinds its ESMEs before hanging up."""
        bound = [s for s in self.sessions.values() if s.state == SessionState.BOUND]
        await asyncio.gather(*(s.unbind(timeout) for s in bound), return_exceptions=True)

    def reset(self) -> None:
        self.capture.clear()
        self.outbox.clear()
        self.reassembler.clear()
        self.closed_sessions.clear()

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._bind_n += 1
        session = Session(f"bind-{self._bind_n}", self, reader, writer)
        self.sessions[session.id] = session
        try:
            await session.run()
        except asyncio.CancelledError:
            # Shutdown; returning normally keeps asyncio's stream callback from logging it.
            session.close()

    async def _housekeeping(self) -> None:
        """Periodic: drop-connections fault and expiry of incomplete long MT."""
        last_drop = time.monotonic()
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            every = self.scenario.faults.drop_connections_every
            if every > 0 and now - last_drop >= every:
                last_drop = now
                for session in list(self.sessions.values()):
                    log.info("fault: dropping %s", session.id)
                    session.close()
            elif every <= 0:
                last_drop = now
            for pending in self.reassembler.expire(now):
                mt_intake.record_incomplete(self, pending)

    # -- binds ------------------------------------------------------------------

    def check_bind(self, system_id: str, password: str) -> int:
        faults = self.scenario.faults
        since = time.monotonic() - self.faults_since
        if faults.refuse_binds_for and since < faults.refuse_binds_for:
            return codec.ESME_RBINDFAIL
        expected = self.scenario.password_for(system_id)
        if expected is None:
            return codec.ESME_RINVSYSID
        if password != expected:
            return codec.ESME_RINVPASWD
        return codec.ESME_ROK

    def on_bound(self, session: Session) -> None:
        self._flush_outbox()

    def on_closed(self, session: Session) -> None:
        self.sessions.pop(session.id, None)
        view = session.view()
        view["closed_at"] = time.time()
        self.closed_sessions.append(view)
        # Unacknowledged deliver_sm go out again on another bind: at-least-once, like an SMSC.
        pending = list(session.in_flight.values())
        session.in_flight.clear()
        for delivery in pending:
            self.outbox.appendleft(delivery)
        if pending:
            self._flush_outbox()

    def binds(self) -> list[dict[str, Any]]:
        return [s.view() for s in self.sessions.values()]

    def session(self, bind_id: str) -> Session | None:
        return self.sessions.get(bind_id)

    # -- delivering deliver_sm --------------------------------------------------

    def _receivers(self, system_id: str | None) -> list[Session]:
        """The binds with room for a deliver_sm: the system's own while it has one bound
        (a full window makes the MO wait for it), else any."""
        live = [s for s in self.sessions.values() if s.can_receive]
        if system_id is not None:
            live = [s for s in live if s.system_id == system_id] or live
        return [s for s in live if s.has_room]

    def enqueue(self, delivery: Delivery) -> None:
        self.outbox.append(delivery)
        self._flush_outbox()

    def _flush_outbox(self) -> None:
        """Hand queued deliver_sm to bound receivers, round-robin."""
        if not self.outbox or not any(s.has_room for s in self.sessions.values()):
            return  # nothing to do; avoids rescanning a long queue on every enqueue
        kept: deque[Delivery] = deque()
        while self.outbox and any(s.has_room for s in self.sessions.values()):
            delivery = self.outbox.popleft()
            receivers = self._receivers(delivery.system_id)
            if not receivers:
                kept.append(delivery)
                continue
            self._rr += 1
            receivers[self._rr % len(receivers)].deliver(delivery)
        kept.extend(self.outbox)
        self.outbox = kept

    def on_delivery_ack(self, session: Session, delivery: Delivery, status: int) -> None:
        if status in TEMPORARY_ESME_ERRORS and delivery.attempts < MAX_DELIVERY_ATTEMPTS:
            loop = asyncio.get_running_loop()
            loop.call_later(RETRY_DELAY, self.enqueue, delivery)
        else:
            delivery.on_ack(status, session.id)
        self._flush_outbox()  # a slot of the bind's deliver window is free

    # -- messaging, one module a job ---------------------------------------------

    def next_concat_ref(self) -> int:
        self._concat_ref = (self._concat_ref + 1) % 0x10000
        return self._concat_ref

    # Queue an MO from a handset; raises ValueError with a reason on bad input.
    inject_mo = mo_injection.inject_mo

    def on_submit(self, session: Session, pdu: Any) -> None:
        mt_intake.on_submit(self, session, pdu)

    def on_query(self, session: Session, pdu: Any) -> None:
        mt_intake.on_query(self, session, pdu)
