"""Delivery receipts: when an MT part's handset outcome is due, its state changes
and, if the ESME asked for it, a receipt deliver_sm goes back to the submitting account."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway_sim import receipts
from gateway_sim.session import Delivery
from gateway_sim.smsc.addressing import deliver_address
from gateway_sim.traffic import ReceiptRecord

if TYPE_CHECKING:
    from gateway_sim.smsc.mt_intake import MtInProgress
    from gateway_sim.smsc.server import Smsc


def settle(
    smsc: Smsc, part: MtInProgress, system_id: str, send_receipt: bool, before_resp: bool
) -> None:
    """The handset outcome is now known: update state and maybe send the receipt."""
    part.state = part.outcome.stat
    record = part.record
    if record is not None:
        record.states[part.index] = part.state
    if not send_receipt:
        return
    receipt = ReceiptRecord(
        message_id=part.msg_id,
        mt_id=record.id if record else "",
        destination=part.destination,
        stat=part.outcome.stat,
        err=part.outcome.err,
        t=time.time(),
        before_resp=before_resp,
    )
    fields = _receipt_fields(smsc, part, datetime.now(UTC))
    smsc.traffic.receipts.append(receipt)

    def ack(status: int, bind_id: str) -> None:
        receipt.ack = status
        receipt.bind_id = bind_id

    receipt.sent = True
    smsc.enqueue(Delivery(fields, ack, system_id=system_id))


def _receipt_fields(smsc: Smsc, part: MtInProgress, done: datetime) -> dict[str, Any]:
    """The receipt deliver_sm, from the handset back to the MT's source address."""
    fmt = smsc.scenario.receipts.id_format
    rid = part.msg_id
    if fmt != "same":
        number = int(part.msg_id, 16 if smsc.scenario.message_id_format == "hex" else 10)
        rid = receipts.render_id(number, fmt)
    text = receipts.receipt_text(rid, part.outcome, part.submitted, done, part.sample)
    return {
        **deliver_address(part.destination, part.source),
        "esm_class": receipts.ESM_RECEIPT,
        "data_coding": 0,
        "short_message": text,
        "receipted_message_id": rid,
        "message_state": part.outcome.message_state,
        "network_error_code": receipts.network_error_code(part.outcome),
    }
