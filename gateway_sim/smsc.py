"""The SMSC: accepts ESME connections, routes MO and receipts, applies faults.

Runs entirely on one asyncio loop. Sessions handle the protocol; this module
holds what is shared between binds: accounts, routing, message ids, the
reassembly of long MT, receipt scheduling and the fault switches.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from gateway_sim import codec, receipts, segments, text_coding
from gateway_sim.capture import PduCapture
from gateway_sim.scenario import MESSAGE_STATE, Scenario
from gateway_sim.session import Delivery, Session
from gateway_sim.traffic import MoRecord, MtRecord, ReceiptRecord, TrafficLog

log = logging.getLogger("gateway_sim.smsc")

# deliver_sm_resp statuses after which a real SMSC retries later.
TEMPORARY_ESME_ERRORS = {codec.ESME_RSYSERR, codec.ESME_RMSGQFUL, codec.ESME_RTHROTTLED}
MAX_DELIVERY_ATTEMPTS = 3
RETRY_DELAY = 1.0
REG_DLR_MASK = 0x03  # 1 = receipt on final outcome, 2 = receipt on failure only


def ton_of(number: str) -> int:
    """The type of number a real SMSC would send: international (1) only for a
    number that carries its country code (`8613800138000`), national (2) for
    a Chinese mobile number without it, unknown (0) for short codes. Marking a
    national number international makes peers such as Kannel prefix a `+`."""
    if number.startswith("86") and len(number) == 13:
        return 1
    if len(number) == 11 and number.startswith("1"):
        return 2
    return 0


class TokenBucket:
    """Submit throttle: ``rate`` tokens/s, burst of ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(1.0, rate)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class MtInProgress:
    """Everything known about one MT part between submit_sm and its receipt."""

    def __init__(
        self,
        msg_id: str,
        outcome: receipts.Outcome,
        submitted: datetime,
        source: str,
        destination: str,
        sample: str,
    ) -> None:
        self.msg_id = msg_id
        self.outcome = outcome
        self.submitted = submitted
        self.source = source
        self.destination = destination
        self.sample = sample  # this part's text, for the receipt's text: field
        self.state = "ENROUTE"
        self.record: MtRecord | None = None
        self.index = 0


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
        bound = [s for s in self.sessions.values() if s.state == "bound"]
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
                self._record_incomplete(pending)

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
        live = [s for s in self.sessions.values() if s.can_receive]
        if system_id is not None:
            same = [s for s in live if s.system_id == system_id]
            return same or live
        return live

    def enqueue(self, delivery: Delivery) -> None:
        self.outbox.append(delivery)
        self._flush_outbox()

    def _flush_outbox(self) -> None:
        """Hand queued deliver_sm to bound receivers, round-robin."""
        if not self.outbox or not any(s.can_receive for s in self.sessions.values()):
            return  # nothing to do; avoids rescanning a long queue on every enqueue
        kept: deque[Delivery] = deque()
        while self.outbox:
            delivery = self.outbox.popleft()
            receivers = self._receivers(delivery.system_id)
            if not receivers:
                kept.append(delivery)
                continue
            self._rr += 1
            receivers[self._rr % len(receivers)].deliver(delivery)
        self.outbox = kept

    def on_delivery_ack(self, session: Session, delivery: Delivery, status: int) -> None:
        if status in TEMPORARY_ESME_ERRORS and delivery.attempts < MAX_DELIVERY_ATTEMPTS:
            loop = asyncio.get_running_loop()
            loop.call_later(RETRY_DELAY, self.enqueue, delivery)
            return
        delivery.on_ack(status, session.id)

    # -- MO ---------------------------------------------------------------------

    def next_concat_ref(self) -> int:
        self._concat_ref = (self._concat_ref + 1) % 0x10000
        return self._concat_ref

    def inject_mo(
        self,
        source: str,
        destination: str,
        text: str,
        data_coding: int | None,
        split: segments.SplitMethod,
        parts_order: list[int] | None,
        ussd: dict[str, Any] | None,
    ) -> MoRecord:
        """Queue an MO from a handset; raises ValueError with a reason on bad input."""
        dc = text_coding.choose_coding(text) if data_coding is None else data_coding
        if dc not in text_coding.SUPPORTED:
            raise ValueError(f"data_coding {dc} not supported (use 0, 1, 3 or 8)")
        try:
            text_coding.encode(text, dc)
        except UnicodeEncodeError as exc:
            raise ValueError(f"text cannot be encoded with data_coding {dc}: {exc.reason}") from exc
        common: dict[str, Any] = {
            "source_addr_ton": ton_of(source),
            "source_addr_npi": 1,
            "source_addr": source,
            "dest_addr_ton": 0,
            "dest_addr_npi": 1,
            "destination_addr": destination,
            "data_coding": dc,
        }
        ussd_view: dict[str, Any] | None = None
        if ussd is not None:
            split = segments.SplitMethod.NONE
            op = int(ussd.get("op", 1))
            info = ussd.get("session_info")
            if info is None:
                info = (
                    ((int(ussd.get("session", 0)) & 0xFF) << 8)
                    | ((int(ussd.get("seq", 0)) & 0x7F) << 1)
                    | (1 if ussd.get("end") else 0)
                )
            if not 0 <= op <= 255 or not 0 <= int(info) <= 0xFFFF:
                raise ValueError("ussd op must be 0..255 and session_info 0..65535")
            common.update(service_type="USSD", ussd_service_op=op, its_session_info=int(info))
            ussd_view = {"op": op, "session_info": int(info)}
        try:
            parts = segments.split(text, dc, split, self.next_concat_ref())
        except segments.TooLong as exc:
            raise ValueError(str(exc)) from exc
        order = parts_order or list(range(1, len(parts) + 1))
        if any(not 1 <= n <= len(parts) for n in order):
            raise ValueError(f"parts_order entries must be between 1 and {len(parts)}")
        record = MoRecord(
            id=self.traffic.new_mo_id(),
            seq=self.traffic.next_seq(),
            t=time.time(),
            source=source,
            destination=destination,
            text=text,
            data_coding=dc,
            segments=len(parts),
            split=split.value if len(parts) > 1 else "none",
            ussd=ussd_view,
            acks=[None] * len(order),
        )
        self.traffic.add_mo(record)
        for slot, n in enumerate(order):
            part = parts[n - 1]
            fields = {
                **common,
                "esm_class": part.esm_udhi,
                "short_message": part.body,
                **part.sar_fields(),
            }
            self.enqueue(Delivery(fields, self._mo_acker(record, slot)))
        return record

    @staticmethod
    def _mo_acker(record: MoRecord, slot: int) -> Any:
        def ack(status: int, bind_id: str) -> None:
            record.acks[slot] = status
            record.bind_ids.append(bind_id)

        return ack

    # -- MT ---------------------------------------------------------------------

    def on_submit(self, session: Session, pdu: Any) -> None:
        seq = pdu.sequence
        faults = self.scenario.faults
        if faults.throttle_tps > 0 and not self.bucket.take():
            self._reject(session, seq, codec.ESME_RTHROTTLED)
            return
        if faults.submit_error_rate and self.rng.random() < faults.submit_error_rate:
            self._reject(session, seq, faults.submit_error_status)
            return
        destination = codec.text_field(pdu.destination_addr)
        if not destination:
            self._reject(session, seq, codec.ESME_RINVDSTADR)
            return
        try:
            body, concat, method = self._content(pdu)
        except segments.BadUdh as exc:
            log.info("%s: bad UDH: %s", session.id, exc)
            self._reject(session, seq, codec.ESME_RINVESMCLASS)
            return
        except ValueError as exc:
            log.info("%s: bad submit_sm: %s", session.id, exc)
            self._reject(session, seq, codec.ESME_RSUBMITFAIL)
            return

        now = datetime.now(UTC)
        msg_id = receipts.render_id(self.ids.next(), self.scenario.message_id_format)
        outcome = receipts.decide(destination, self.scenario.receipts, self.rng)
        source = codec.text_field(pdu.source_addr)
        part = MtInProgress(
            msg_id,
            outcome,
            now,
            source,
            destination,
            text_coding.decode(body, pdu.data_coding or 0),
        )
        meta = {"pdu": pdu, "part": part, "bind_id": session.id, "method": method}
        if concat is None:
            self._record_mt([body], [meta])
        else:
            key = (session.system_id, source, destination)
            done = self.reassembler.add(key, concat, body, meta, time.monotonic())
            if done is not None:
                self._record_mt(*done)
        self.traffic.submit_statuses["ESME_ROK"] += 1

        wants = (pdu.registered_delivery or 0) & REG_DLR_MASK
        send_receipt = wants == 1 or (wants == 2 and not outcome.delivered)
        if faults.receipt_before_resp:
            self._settle(part, session.system_id, send_receipt, before_resp=True)
            session.respond("submit_sm_resp", seq, message_id=msg_id)
            return
        if faults.delayed_resp_rate and self.rng.random() < faults.delayed_resp_rate:
            session.spawn(self._late_resp(session, seq, msg_id, faults.delayed_resp_seconds))
        else:
            session.respond("submit_sm_resp", seq, message_id=msg_id)
        loop = asyncio.get_running_loop()
        loop.call_later(outcome.delay, self._settle, part, session.system_id, send_receipt, False)

    def _reject(self, session: Session, seq: int, status: int) -> None:
        self.traffic.submit_statuses[codec.status_name(status)] += 1
        session.respond("submit_sm_resp", seq, status)

    async def _late_resp(self, session: Session, seq: int, msg_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        session.respond("submit_sm_resp", seq, message_id=msg_id)

    def _content(self, pdu: Any) -> tuple[bytes, segments.Concat | None, str]:
        """(text bytes, concat info, how it was carried) from one submit_sm."""
        short = pdu.short_message or b""
        payload = pdu.message_payload or b""
        if short and payload:
            raise ValueError("both short_message and message_payload are set")
        if (pdu.esm_class or 0) & segments.ESM_UDHI:
            body, concat = segments.strip_udh(short or payload)
            return body, concat, concat.method.value if concat else "none"
        if pdu.sar_msg_ref_num is not None and pdu.sar_total_segments:
            total, seqnum = pdu.sar_total_segments, pdu.sar_segment_seqnum or 0
            if not 1 <= seqnum <= total:
                raise ValueError(f"sar segment {seqnum} of {total}")
            concat = segments.Concat(pdu.sar_msg_ref_num, total, seqnum, segments.SplitMethod.SAR)
            return short or payload, concat, "sar"
        if payload:
            return payload, None, "payload"
        return short, None, "none"

    def _record_mt(self, bodies: list[bytes], metas: list[dict[str, Any]]) -> None:
        first = metas[0]["pdu"]
        dc = first.data_coding or 0
        ussd = None
        if first.ussd_service_op is not None or first.its_session_info is not None:
            ussd = {"op": first.ussd_service_op, "session_info": first.its_session_info}
        parts: list[MtInProgress] = [m["part"] for m in metas]
        record = MtRecord(
            id=self.traffic.new_mt_id(),
            seq=self.traffic.next_seq(),
            t=time.time(),
            source=codec.text_field(first.source_addr),
            destination=codec.text_field(first.destination_addr),
            text=text_coding.decode(b"".join(bodies), dc),
            data_coding=dc,
            segments=len(bodies),
            message_ids=[p.msg_id for p in parts],
            states=[p.state for p in parts],
            service_type=codec.text_field(first.service_type),
            esm_class=first.esm_class or 0,
            registered_delivery=first.registered_delivery or 0,
            concat=metas[0]["method"],
            ussd=ussd,
            bind_id=metas[0]["bind_id"],
        )
        for index, part in enumerate(parts):
            part.record, part.index = record, index
        self.traffic.add_mt(record)

    def _record_incomplete(self, pending: segments.PendingMessage) -> None:
        """Parts that never completed still show up, flagged, so testers see the loss."""
        order = sorted(pending.parts)
        metas = [pending.meta[s] for s in order]
        self._record_mt([pending.parts[s] for s in order], metas)
        self.traffic.mt[-1].complete = False

    def _settle(
        self, part: MtInProgress, system_id: str, send_receipt: bool, before_resp: bool
    ) -> None:
        """The handset outcome is now known: update state and maybe send the receipt."""
        part.state = part.outcome.stat
        record = part.record
        if record is not None:
            record.states[part.index] = part.state
        if not send_receipt:
            return
        done = datetime.now(UTC)
        receipt = ReceiptRecord(
            message_id=part.msg_id,
            mt_id=record.id if record else "",
            destination=part.destination,
            stat=part.outcome.stat,
            err=part.outcome.err,
            t=time.time(),
            before_resp=before_resp,
        )
        fmt = self.scenario.receipts.id_format
        rid = part.msg_id
        if fmt != "same":
            number = int(part.msg_id, 16 if self.scenario.message_id_format == "hex" else 10)
            rid = receipts.render_id(number, fmt)
        fields = {
            "source_addr_ton": ton_of(part.destination),
            "source_addr_npi": 1,
            "source_addr": part.destination,
            "dest_addr_ton": 0,
            "dest_addr_npi": 1,
            "destination_addr": part.source,
            "esm_class": receipts.ESM_RECEIPT,
            "data_coding": 0,
            "short_message": receipts.receipt_text(
                rid, part.outcome, part.submitted, done, part.sample
            ),
            "receipted_message_id": rid,
            "message_state": part.outcome.message_state,
            "network_error_code": receipts.network_error_code(part.outcome),
        }
        self.traffic.receipts.append(receipt)

        def ack(status: int, bind_id: str) -> None:
            receipt.ack = status
            receipt.bind_id = bind_id

        receipt.sent = True
        self.enqueue(Delivery(fields, ack, system_id=system_id))

    # -- query_sm ---------------------------------------------------------------

    def on_query(self, session: Session, pdu: Any) -> None:
        msg_id = codec.text_field(pdu.message_id)
        record = self.traffic.mt_by_message_id.get(msg_id)
        if record is None:
            session.respond("query_sm_resp", pdu.sequence, codec.ESME_RINVMSGID, message_id=msg_id)
            return
        state = record.states[record.message_ids.index(msg_id)]
        session.respond(
            "query_sm_resp",
            pdu.sequence,
            message_id=msg_id,
            final_date="",
            message_state=MESSAGE_STATE[state],
            error_code=0,
        )
