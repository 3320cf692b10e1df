"""deliver_sm (and data_sm) from the SMSC: receipts to the outbox, MO to handle_inbound,
USSD dialogue steps (`ussd_service_op` set) to `ussd.py`; any other message type
(a conversation abort, a reserved one) is acknowledged and not acted on.

The command_status returned becomes the deliver_sm_resp, which is sent only
after `handle_inbound` committed the inbound row and its queued reply. A
failure there answers ESME_RX_T_APPN, so the SMSC delivers it again later;
the dedupe key (see `app/gateways/links/dedupe.py`) makes that redelivery act
once. Parts of a long MO are stored in the database, a batch's at once, and
acknowledged once stored; the process that stores the last one acts on the
whole (`app/gateways/links/long_mo.py`). What is not SMPP's own — acting on a
batch, joining parts, recording receipts — is the MO core
(`app/gateways/links/mo_core.py`), which CMPP shares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from smpplib.pdu import PDU

from app.domain import sms_coding
from app.domain.channels import Channel
from app.domain.delivery_receipts import (
    MESSAGE_TYPE,
    Receipt,
    is_intermediate,
    is_mo,
    is_receipt,
    read_receipt,
    submitted_id,
)
from app.gateways.links.concatenation import (
    UDHI,
    PartInfo,
    part_info_from_sar,
    part_info_from_udh,
    split_udh,
)
from app.gateways.links.mo_core import Handled, MoCore, MoSettings, PendingMo
from app.gateways.smpp import pdus
from app.gateways.smpp.ussd import UssdDialogues
from app.services.answers import ReplyContext
from app.services.inbound import OutboxClaim
from app.store.long_mo import ArrivedPart
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.smpp.mo")

CHANNEL = Channel.SMPP


class Deliveries(MoCore):
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        context: ReplyContext,
        mo: MoSettings,
        ussd: UssdDialogues | None = None,
        receipt_ids: Mapping[str, str] | None = None,
        claim: Callable[[], OutboxClaim | None] | None = None,
    ) -> None:
        super().__init__(uow_factory, context, mo, CHANNEL, claim)
        #: Each bind's receipt id convention (`SmppBind.receipt_ids`).
        self.receipt_ids = dict(receipt_ids or {})
        self.ussd = ussd

    def handle_many(
        self,
        arrivals: Sequence[tuple[str, PDU]],
        on_mos_committed: Callable[[list[tuple[int, Handled]]], None] | None = None,
    ) -> list[Handled]:
        """The command_status for each deliver_sm_resp of a batch (bind, pdu).

        MOs are written in one transaction (see `handle_inbound_many`), then
        receipts in another; USSD steps one by one, as each answers a screen.
        `on_mos_committed` gets the MOs' (index, Handled) as soon as they
        committed, so they are answered and their replies leave while the
        receipts are still being written.
        """
        handled: list[Handled | None] = [None] * len(arrivals)
        receipts: list[tuple[int, str, Receipt]] = []
        mos: list[tuple[int, PendingMo]] = []
        parts: list[tuple[int, ArrivedPart]] = []
        for index, (bind, pdu) in enumerate(arrivals):
            try:
                sorted_out = self._sort_out(bind, pdu)
            except Exception:  # this deliver_sm alone is asked for again, not its batch
                log.exception("%s: deliver_sm #%d not handled", bind, pdu.sequence)
                sorted_out = Handled(pdus.RX_T_APPN)
            if isinstance(sorted_out, Handled):
                handled[index] = sorted_out
            elif isinstance(sorted_out, PendingMo):
                mos.append((index, sorted_out))
            elif isinstance(sorted_out, ArrivedPart):
                parts.append((index, sorted_out))
            else:
                receipts.append((index, bind, sorted_out))
        joins = self.join([p for _, p in parts])
        for (index, _), joined in zip(parts, joins, strict=True):
            if isinstance(joined, Handled):
                handled[index] = joined
            else:
                mos.append((index, joined))
        mos.sort(key=lambda m: m[0])
        if mos:
            acted = self.act([m for _, m in mos], self.claim())
            for (index, _), result in zip(mos, acted, strict=True):
                handled[index] = result
            if on_mos_committed is not None:
                on_mos_committed([(i, r) for (i, _), r in zip(mos, acted, strict=True)])
        if receipts:
            for index, status in zip(
                (i for i, _, _ in receipts), self.record_receipts(receipts), strict=True
            ):
                handled[index] = Handled(status)
        assert all(h is not None for h in handled)
        return handled  # type: ignore[return-value]

    def _sort_out(self, bind: str, pdu: PDU) -> Handled | PendingMo | ArrivedPart | Receipt:
        """A receipt to record, an MO to act on, or what to answer now (a USSD step,
        a part held for the rest of its message, something to drop)."""
        esm_class = pdus.field(pdu, "esm_class") or 0
        body = pdus.field(pdu, "short_message") or pdus.field(pdu, "message_payload") or b""
        if is_receipt(esm_class) or pdus.field(pdu, "receipted_message_id"):
            receipt = self._read_receipt(bind, pdu, body)
            if receipt is not None and is_intermediate(esm_class):
                receipt = replace(receipt, state=None)
            return Handled(pdus.ROK) if receipt is None else receipt
        if self.ussd is not None and self.ussd.applies(pdu):
            text = sms_coding.decode(body, pdus.field(pdu, "data_coding") or 0)
            answer = self.ussd.handle(bind, pdu, text)
            return Handled(answer.status, ussd_reply=answer.reply)
        if not is_mo(esm_class):
            # Not from a subscriber (a conversation abort, a reserved type): nothing to
            # act on or answer, and asked for again forever unless acknowledged.
            kind = esm_class & MESSAGE_TYPE
            log.info("%s: deliver_sm #%d of type 0x%02x acknowledged", bind, pdu.sequence, kind)
            return Handled(pdus.ROK)
        return self._mo(bind, pdu, esm_class, body)

    # -- receipts -----------------------------------------------------------------

    def _read_receipt(self, bind: str, pdu: PDU, body: bytes) -> Receipt | None:
        receipt = read_receipt(
            body.decode("latin-1"),
            pdus.text(pdus.field(pdu, "receipted_message_id")) or None,
            pdus.field(pdu, "message_state"),
            pdus.field(pdu, "network_error_code"),
        )
        if receipt is None:
            log.warning("%s: receipt without a message id (%d octets) ignored", bind, len(body))
            return None
        convention = self.receipt_ids.get(bind, "same")
        return replace(receipt, message_id=submitted_id(receipt.message_id, convention))

    # -- MO -----------------------------------------------------------------------

    def _mo(self, bind: str, pdu: PDU, esm_class: int, body: bytes) -> ArrivedPart | PendingMo:
        """A part of a long MO to store, or the message to act on."""
        source = pdus.text(pdu.source_addr)
        destination = pdus.text(pdu.destination_addr)
        data_coding = pdus.field(pdu, "data_coding") or 0
        payload = body
        info: PartInfo | None = None
        if esm_class & UDHI:
            header, payload = split_udh(body)
            info = part_info_from_udh(header)
        if info is None:
            info = part_info_from_sar(
                pdus.field(pdu, "sar_msg_ref_num"),
                pdus.field(pdu, "sar_total_segments"),
                pdus.field(pdu, "sar_segment_seqnum"),
            )
        user_reference = pdus.field(pdu, "user_message_reference")
        if info is not None:
            return self.long_mos.part(bind, source, destination, info, data_coding, payload)
        return PendingMo(bind, source, destination, data_coding, payload, user_reference)
