"""Replies as CMPP SUBMITs: the CMPP codec of the outbox sender (`app/gateways/links/sender.py`).

A reply is free to the subscriber: FeeType 01, FeeCode 000000, charged to the
SP (Fee_UserType 2). Msg_Fmt 0 when the text is ASCII the GSM alphabet holds,
else 8 (UCS-2); a long reply goes in parts with TP_udhi = 1, an 8-bit
reference UDH (the outbox row id, stable across resends) and Pk_total /
Pk_number. Registered_Delivery = 1 asks for the status report that marks it
delivered.
"""

from __future__ import annotations

from app.domain import sms_coding
from app.domain.channels import Channel
from app.domain.sms_coding import EncodedText, ReferenceSize
from app.gateways.cmpp import coding, results
from app.gateways.cmpp.link import CmppConnection
from app.gateways.cmpp.pdus import Submit
from app.gateways.verdicts import Verdict
from app.services.outbox import ClaimedReply

FREE = "01"
CHARGE_SP = 2


class CmppReplies:
    channel: str = Channel.CMPP

    def prepare(self, reply: ClaimedReply) -> tuple[int, EncodedText]:
        return coding.plan(reply.text, ReferenceSize.BITS8)

    def parts(
        self, reply: ClaimedReply, prepared: tuple[int, EncodedText], link: CmppConnection
    ) -> list[Submit]:
        msg_fmt, plan = prepared
        config = link.config
        total = len(plan.parts)

        def part(number: int, content: bytes, udhi: int) -> Submit:
            return Submit(
                msg_src=config.source_addr,
                service_id=config.service_id,
                src_id=config.sp_code,
                dest_terminal_ids=(reply.msisdn,),
                msg_fmt=msg_fmt,
                content=content,
                pk_total=total,
                pk_number=number,
                registered_delivery=1,
                fee_user_type=CHARGE_SP,
                fee_type=FREE,
                fee_code="000000",
                tp_udhi=udhi,
            )

        if not plan.concatenated:
            return [part(1, plan.whole, 0)]
        return [
            part(n, sms_coding.concatenation_header(reply.id, total, n, ReferenceSize.BITS8) + p, 1)
            for n, p in enumerate(plan.parts, start=1)
        ]

    def verdict(self, status: int, link: CmppConnection) -> Verdict:
        return results.verdict(status, link.version)

    def describe(self, status: int) -> str:
        return f"CMPP Result {results.describe(status)}"
