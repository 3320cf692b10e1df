"""Replies as submit_sm: the SMPP codec of the outbox sender (`app/gateways/links/sender.py`)."""

from __future__ import annotations

from typing import Any

from app.domain import sms_coding
from app.domain.channels import Channel
from app.domain.sms_coding import EncodedText, ReferenceSize
from app.gateways.smpp import status_codes
from app.gateways.smpp.esme import EsmeConnection
from app.gateways.verdicts import Verdict
from app.services.outbox import ClaimedReply
from app.settings import Settings, SmppBind

UDHI = 0x40


def submit_fields(
    reply: ClaimedReply, plan: EncodedText, mode: str, config: SmppBind, registered: int
) -> list[dict[str, Any]]:
    """submit_sm fields of each part of a reply, long-message mode applied."""
    base: dict[str, Any] = {
        "service_type": "",
        "source_addr_ton": config.source_addr_ton,
        "source_addr_npi": config.source_addr_npi,
        "source_addr": reply.sender,
        "dest_addr_ton": config.dest_addr_ton,
        "dest_addr_npi": config.dest_addr_npi,
        "destination_addr": reply.msisdn,
        "esm_class": 0,
        "registered_delivery": registered,
        "data_coding": plan.data_coding,
    }
    if not plan.concatenated:
        return [{**base, "short_message": plan.whole}]
    if mode == "payload":
        return [{**base, "short_message": None, "message_payload": plan.whole}]
    total = len(plan.parts)
    if mode == "sar":
        return [
            {
                **base,
                "short_message": part,
                "sar_msg_ref_num": reply.id & 0xFFFF,
                "sar_total_segments": total,
                "sar_segment_seqnum": number,
            }
            for number, part in enumerate(plan.parts, start=1)
        ]
    size = ReferenceSize.BITS16 if mode == "udh16" else ReferenceSize.BITS8
    # The row id as reference: stable across resends of the same reply.
    return [
        {
            **base,
            "esm_class": UDHI,
            "short_message": sms_coding.concatenation_header(reply.id, total, number, size) + part,
        }
        for number, part in enumerate(plan.parts, start=1)
    ]


class SmppReplies:
    """What the outbox sender needs to know of SMPP: channel, parts, status meanings."""

    channel: str = Channel.SMPP

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.smpp_long_messages
        self.registered = settings.smpp_registered_delivery
        self.reference = ReferenceSize.BITS16 if self.mode == "udh16" else ReferenceSize.BITS8

    def prepare(self, reply: ClaimedReply) -> EncodedText:
        return sms_coding.split(reply.text, self.reference)

    def parts(
        self, reply: ClaimedReply, plan: EncodedText, connection: EsmeConnection
    ) -> list[dict[str, Any]]:
        return submit_fields(reply, plan, self.mode, connection.config, self.registered)

    def verdict(self, status: int, link: EsmeConnection) -> Verdict:
        return status_codes.verdict(status)

    def describe(self, status: int) -> str:
        return status_codes.describe(status)
