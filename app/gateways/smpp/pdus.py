"""smpplib as a codec only: parse and build PDUs, with its gaps closed.

smpplib's `deliver_sm`/`data_sm` classes lack TLVs such as `ussd_service_op`
that its global table knows, so parsing one raises KeyError (smpplib #104);
they are declared here once. Parsed C-strings come back as bytes; `text()`
turns them into str.
"""

from __future__ import annotations

import struct
from typing import Any

from smpplib import command as smpp_command
from smpplib import command_codes, consts
from smpplib.command import Param
from smpplib.pdu import PDU

from app.gateways.links.session import SequenceNumbers

HEADER = struct.Struct(">LLLL")
GENERIC_NACK = 0x80000000
RESPONSE_BIT = 0x80000000

ROK = consts.SMPP_ESME_ROK
RINVCMDLEN = consts.SMPP_ESME_RINVCMDLEN
RINVCMDID = consts.SMPP_ESME_RINVCMDID
RSYSERR = consts.SMPP_ESME_RSYSERR
RMSGQFUL = consts.SMPP_ESME_RMSGQFUL
RTHROTTLED = consts.SMPP_ESME_RTHROTTLED
RX_T_APPN = consts.SMPP_ESME_RX_T_APPN


class MalformedPdu(Exception):
    """A PDU the codec cannot read; answered with generic_nack carrying `status`."""

    def __init__(self, reason: str, status: int, sequence: int) -> None:
        super().__init__(reason)
        self.status = status
        self.sequence = sequence


def _declare_missing_tlvs() -> None:
    submit = smpp_command.SubmitSM.params
    for cls in (smpp_command.DeliverSM, smpp_command.DataSM):
        for name in ("ussd_service_op", "its_session_info", "its_reply_type"):
            if name in cls.params or name not in submit:
                continue
            cls.params = {**cls.params, name: submit[name]}
            cls.params_order = (*cls.params_order, name)
    # `receipted_message_id` in deliver_sm is up to 65 octets; keep parsing lenient.
    smpp_command.DeliverSM.params.setdefault("receipted_message_id", Param(type=str, max=65))


_declare_missing_tlvs()


_CODEC_SEQUENCES = SequenceNumbers()


def header(frame: bytes) -> tuple[int, int, int, int]:
    """(length, command_id, status, sequence) of a frame of at least 16 bytes."""
    return HEADER.unpack_from(frame)


def parse(frame: bytes) -> PDU:
    """Decode one framed PDU; any failure becomes `MalformedPdu` (never a crash)."""
    _, command_id, _, sequence = header(frame)
    try:
        name = command_codes.get_command_name(command_id)
    except Exception as error:
        raise MalformedPdu(f"unknown command id 0x{command_id:08x}", RINVCMDID, sequence) from error
    try:
        pdu = smpp_command.factory(
            name, client=_CODEC_SEQUENCES, allow_unknown_opt_params=True, sequence=sequence
        )
        pdu.parse(frame)
    except Exception as error:
        raise MalformedPdu(f"cannot parse {name}: {error!r}", RSYSERR, sequence) from error
    return pdu


def build(name: str, sequence: int, status: int = ROK, **fields: Any) -> bytes:
    """Encode a PDU with our own sequence number."""
    pdu = smpp_command.factory(
        name, client=_CODEC_SEQUENCES, sequence=sequence, allow_unknown_opt_params=True, **fields
    )
    pdu.sequence = sequence
    pdu.status = status
    return pdu.generate()


def generic_nack(sequence: int, status: int) -> bytes:
    return HEADER.pack(16, GENERIC_NACK, status, sequence)


def text(value: Any) -> str:
    """A parsed C-string (bytes in smpplib) as str; these fields are ASCII by spec."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.split(b"\x00", 1)[0].decode("latin-1")
    return str(value)


def field(pdu: PDU, name: str) -> Any:
    return getattr(pdu, name, None)


def is_response(command_id: int) -> bool:
    return bool(command_id & RESPONSE_BIT)
