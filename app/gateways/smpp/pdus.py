"""smpplib as a codec only: parse and build PDUs, with its gaps closed.

smpplib's `deliver_sm`/`data_sm` classes lack TLVs such as `ussd_service_op`
that its global table knows; those this service reads are declared here once.
The optional parameters of a parsed PDU are read here, not by smpplib, which
raises KeyError for any TLV its table knows but the PDU's class does not
declare (smpplib #104): `dest_addr_subunit` in a deliver_sm, `network_error_code`
in a submit_sm_resp. SMPP 3.4 §3.2.4 and §5.3 say an optional parameter a PDU
does not expect is ignored, so any TLV the class does not declare is skipped by
its length. A C-string TLV ends at its NUL or at its length, whichever comes
first. Parsed C-strings come back as bytes; `text()` turns them into str.
"""

from __future__ import annotations

import struct
from functools import partial
from typing import Any

from smpplib import command as smpp_command
from smpplib import command_codes, consts
from smpplib.command import Param
from smpplib.exceptions import UnknownCommandError
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

#: TLV tag -> the name smpplib gives it (and its PDU classes declare it under).
_TLV_NAMES = {code: name for name, code in consts.OPTIONAL_PARAMS.items()}


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
    except UnknownCommandError as error:
        # A command SMPP 3.4 defines but smpplib has no class for (outbind, cancel_sm,
        # replace_sm, submit_multi): not one an ESME serves, so ESME_RINVCMDID.
        raise MalformedPdu(f"unsupported command {name}", RINVCMDID, sequence) from error
    try:
        # smpplib parses the mandatory fields, then hands the rest to this method.
        pdu.parse_optional_params = partial(_read_tlvs, pdu)
        pdu.parse(frame)
    except Exception as error:
        raise MalformedPdu(f"cannot parse {name}: {error!r}", RSYSERR, sequence) from error
    return pdu


def from_header(frame: bytes) -> PDU | None:
    """The PDU a frame's header names with its command_status and sequence number,
    its body left unread (every field None); None if smpplib has no class for it."""
    _, command_id, status, sequence = header(frame)
    try:
        name = command_codes.get_command_name(command_id)
        pdu = smpp_command.factory(
            name, client=_CODEC_SEQUENCES, allow_unknown_opt_params=True, sequence=sequence
        )
    except Exception:
        return None
    pdu.sequence = sequence
    pdu.status = status
    return pdu


def _read_tlvs(pdu: PDU, data: bytes) -> None:
    """Set the TLVs the PDU's class declares; skip any other by its length.

    A TLV cut short (its header, or fewer octets than its length says) still
    makes the PDU unreadable: past it, nothing in the body can be trusted.
    """
    pos = 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise ValueError(f"TLV header cut short at body octet {pos}")
        tag, length = struct.unpack_from(">HH", data, pos)
        pos += 4
        value = data[pos : pos + length]
        if len(value) < length:
            raise ValueError(f"TLV 0x{tag:04x} announces {length} octets, carries {len(value)}")
        pos += length
        name = _TLV_NAMES.get(tag)
        if name is None or name not in pdu.params:
            continue  # not a parameter of this PDU (or not one smpplib knows)
        param = pdu.params[name]
        if param.type is int:
            pdu._parse_int(name, value, 0)
        elif param.type is str:
            # A C-octet string, but peers send receipted_message_id and the like without
            # the NUL too; smpplib would drop the last octet, whatever it is.
            setattr(pdu, name, value.split(b"\x00", 1)[0])
        else:
            pdu._parse_ostring(name, value, 0, length)


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
