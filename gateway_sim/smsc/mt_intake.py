"""MT intake: submit_sm answered (or refused by a fault), long MT joined and recorded,
the receipt scheduled; query_sm answered from the record."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway_sim import codec, receipts, segments, text_coding
from gateway_sim.scenario import MESSAGE_STATE
from gateway_sim.smsc.receipt_sending import settle
from gateway_sim.traffic import MtRecord

if TYPE_CHECKING:
    from gateway_sim.session import Session
    from gateway_sim.smsc.server import Smsc

log = logging.getLogger("gateway_sim.smsc")

REG_DLR_MASK = 0x03  # 1 = receipt on final outcome, 2 = receipt on failure only


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


@dataclass
class MtInProgress:
    """Everything known about one MT part between submit_sm and its receipt."""

    msg_id: str
    outcome: receipts.Outcome
    submitted: datetime
    source: str
    destination: str
    sample: str  # this part's text, for the receipt's text: field
    state: str = "ENROUTE"
    record: MtRecord | None = None
    index: int = 0  # the part's place in its record


def on_submit(smsc: Smsc, session: Session, pdu: Any) -> None:
    seq = pdu.sequence
    faults = smsc.scenario.faults
    refusal = _fault_refusal(smsc)
    if refusal is not None:
        _reject(smsc, session, seq, refusal)
        return
    destination = codec.text_field(pdu.destination_addr)
    if not destination:
        _reject(smsc, session, seq, codec.ESME_RINVDSTADR)
        return
    try:
        body, concat, method = _content(pdu)
    except segments.BadUdh as exc:
        log.info("%s: bad UDH: %s", session.id, exc)
        _reject(smsc, session, seq, codec.ESME_RINVESMCLASS)
        return
    except ValueError as exc:
        log.info("%s: bad submit_sm: %s", session.id, exc)
        _reject(smsc, session, seq, codec.ESME_RSUBMITFAIL)
        return
    part = _accept_part(smsc, session, pdu, body, concat, method)
    wants = (pdu.registered_delivery or 0) & REG_DLR_MASK
    send_receipt = wants == 1 or (wants == 2 and not part.outcome.delivered)
    msg_id = part.msg_id
    if faults.receipt_before_resp:
        settle(smsc, part, session.system_id, send_receipt, before_resp=True)
        session.respond("submit_sm_resp", seq, message_id=msg_id)
        return
    if faults.delayed_resp_rate and smsc.rng.random() < faults.delayed_resp_rate:
        session.spawn(_late_resp(session, seq, msg_id, faults.delayed_resp_seconds))
    else:
        session.respond("submit_sm_resp", seq, message_id=msg_id)
    loop = asyncio.get_running_loop()
    loop.call_later(part.outcome.delay, settle, smsc, part, session.system_id, send_receipt, False)


def _fault_refusal(smsc: Smsc) -> int | None:
    """The status a throttle or random-error fault answers this submit_sm with, if any."""
    faults = smsc.scenario.faults
    if faults.throttle_tps > 0 and not smsc.bucket.take():
        return codec.ESME_RTHROTTLED
    if faults.submit_error_rate and smsc.rng.random() < faults.submit_error_rate:
        return faults.submit_error_status
    return None


def _accept_part(
    smsc: Smsc,
    session: Session,
    pdu: Any,
    body: bytes,
    concat: segments.Concat | None,
    method: str,
) -> MtInProgress:
    """Give the part its message id and outcome; record the MT once all parts are in."""
    destination = codec.text_field(pdu.destination_addr)
    msg_id = receipts.render_id(smsc.ids.next(), smsc.scenario.message_id_format)
    outcome = receipts.decide(destination, smsc.scenario.receipts, smsc.rng)
    source = codec.text_field(pdu.source_addr)
    sample = text_coding.decode(body, pdu.data_coding or 0)
    part = MtInProgress(msg_id, outcome, datetime.now(UTC), source, destination, sample)
    meta = {"pdu": pdu, "part": part, "bind_id": session.id, "method": method}
    if concat is None:
        record_mt(smsc, [body], [meta])
    else:
        key = (session.system_id, source, destination)
        done = smsc.reassembler.add(key, concat, body, meta, time.monotonic())
        if done is not None:
            record_mt(smsc, *done)
    smsc.traffic.submit_statuses["ESME_ROK"] += 1
    return part


def _reject(smsc: Smsc, session: Session, seq: int, status: int) -> None:
    smsc.traffic.submit_statuses[codec.status_name(status)] += 1
    session.respond("submit_sm_resp", seq, status)


async def _late_resp(session: Session, seq: int, msg_id: str, delay: float) -> None:
    await asyncio.sleep(delay)
    session.respond("submit_sm_resp", seq, message_id=msg_id)


def _content(pdu: Any) -> tuple[bytes, segments.Concat | None, str]:
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


def record_mt(smsc: Smsc, bodies: list[bytes], metas: list[dict[str, Any]]) -> None:
    first = metas[0]["pdu"]
    dc = first.data_coding or 0
    ussd = None
    if first.ussd_service_op is not None or first.its_session_info is not None:
        ussd = {"op": first.ussd_service_op, "session_info": first.its_session_info}
    parts: list[MtInProgress] = [m["part"] for m in metas]
    record = MtRecord(
        id=smsc.traffic.new_mt_id(),
        seq=smsc.traffic.next_seq(),
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
    smsc.traffic.add_mt(record)


def record_incomplete(smsc: Smsc, pending: segments.PendingMessage) -> None:
    """Parts that never completed still show up, flagged, so testers see the loss."""
    order = sorted(pending.parts)
    metas = [pending.meta[s] for s in order]
    record_mt(smsc, [pending.parts[s] for s in order], metas)
    smsc.traffic.mt[-1].complete = False


def on_query(smsc: Smsc, session: Session, pdu: Any) -> None:
    msg_id = codec.text_field(pdu.message_id)
    record = smsc.traffic.mt_by_message_id.get(msg_id)
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
