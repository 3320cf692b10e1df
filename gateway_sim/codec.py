"""SMPP 3.4 framing and PDU codec on top of smpplib's PDU classes.

smpplib is only used to encode/decode PDU bodies. Framing (command_length) is
done here so that a malformed length can be answered with generic_nack instead
of killing the connection. smpplib's ``DeliverSM`` lacks ``ussd_service_op``
(python-smpplib#104); we use private subclasses rather than patching the
library's classes, so an ESME living in the same process is unaffected.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

from smpplib import command as smpp_command
from smpplib import command_codes, consts, exceptions
from smpplib.client import SimpleSequenceGenerator
from smpplib.command import Param

HEADER_LEN = 16
# Bigger than any legal PDU (message_payload up to 64 KiB plus header and TLVs).
MAX_PDU_LEN = 70_000

ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RINVESMCLASS = 0x43
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RINVOPTPARSTREAM = 0xC0
ESME_ROPTPARNOTALLWD = 0xC1

GENERIC_NACK = 0x80000000


class DeliverSMWithUssd(smpp_command.DeliverSM):
    """deliver_sm that also knows ussd_service_op (0x0501) and its_reply_type."""

    params = {
        **smpp_command.DeliverSM.params,
        "ussd_service_op": Param(type=int, size=1),
        "its_reply_type": Param(type=int, size=1),
    }
    params_order = (*smpp_command.DeliverSM.params_order, "ussd_service_op", "its_reply_type")


_OVERRIDES: dict[str, type[smpp_command.Command]] = {"deliver_sm": DeliverSMWithUssd}


class SequenceCounter(SimpleSequenceGenerator):
    """Per-session sequence numbers for PDUs the SMSC originates."""


class FramingError(Exception):
    """The 4-byte command_length cannot be trusted; carries the sequence if known."""

    def __init__(self, reason: str, sequence: int = 0) -> None:
        super().__init__(reason)
        self.sequence = sequence


class BodyError(Exception):
    """A frame whose header is sane but whose body cannot be decoded."""

    def __init__(self, reason: str, command_id: int, sequence: int, status: int) -> None:
        super().__init__(reason)
        self.command_id = command_id
        self.sequence = sequence
        self.status = status


@dataclass(frozen=True)
class Frame:
    command_id: int
    status: int
    sequence: int
    raw: bytes


async def read_frame(reader: asyncio.StreamReader) -> Frame:
    """Read one length-prefixed PDU. Raises IncompleteReadError on EOF.

    A command_length below 16 or above MAX_PDU_LEN raises FramingError after the
    rest of what is buffered is discarded: once the length is wrong the stream
    position is lost, and the best we can do is resynchronise on the next write.
    """
    head = await reader.readexactly(4)
    (length,) = struct.unpack(">L", head)
    if length < HEADER_LEN or length > MAX_PDU_LEN:
        rest = await _drain_available(reader)
        seq = struct.unpack(">L", rest[8:12])[0] if len(rest) >= 12 else 0
        raise FramingError(f"command_length {length} out of range", seq)
    rest = await reader.readexactly(length - 4)
    command_id, status, sequence = struct.unpack(">LLL", rest[:12])
    return Frame(command_id, status, sequence, head + rest)


async def _drain_available(reader: asyncio.StreamReader) -> bytes:
    """Take whatever bytes arrive within a short grace period (garbage tail)."""
    try:
        return await asyncio.wait_for(reader.read(MAX_PDU_LEN), timeout=0.05)
    except TimeoutError:
        return b""


def command_name(command_id: int) -> str | None:
    try:
        return command_codes.get_command_name(command_id)
    except Exception:
        return None


def decode(frame: Frame, gen: SequenceCounter) -> smpp_command.Command:
    """Decode a frame into an smpplib PDU object or raise BodyError."""
    name = command_name(frame.command_id)
    if name is None:
        raise BodyError("unknown command_id", frame.command_id, frame.sequence, ESME_RINVCMDID)
    cls = _OVERRIDES.get(name)
    try:
        if cls is not None:
            pdu = cls(name, client=gen, allow_unknown_opt_params=True)
        else:
            pdu = smpp_command.factory(name, client=gen, allow_unknown_opt_params=True)
        pdu.parse(frame.raw)
    except exceptions.UnknownCommandError as exc:
        # smpplib has no class for e.g. submit_multi, cancel_sm, replace_sm.
        raise BodyError(str(exc), frame.command_id, frame.sequence, ESME_RINVCMDID) from exc
    except KeyError as exc:
        # A TLV smpplib knows globally but this command does not declare.
        raise BodyError(
            f"{name}: optional parameter {exc} not allowed",
            frame.command_id,
            frame.sequence,
            ESME_ROPTPARNOTALLWD,
        ) from exc
    except (struct.error, ValueError, IndexError, TypeError) as exc:
        # struct.error: the body is shorter than its fields say.
        raise BodyError(
            f"cannot decode {name}: {exc!r}", frame.command_id, frame.sequence, ESME_RINVCMDLEN
        ) from exc
    return pdu


def build(name: str, gen: SequenceCounter, **fields: Any) -> smpp_command.Command:
    """Make a PDU; requests take the next sequence number from ``gen``."""
    cls = _OVERRIDES.get(name)
    if cls is not None:
        return cls(name, client=gen, allow_unknown_opt_params=True, **fields)
    return smpp_command.factory(name, client=gen, allow_unknown_opt_params=True, **fields)


def response(
    name: str, request_sequence: int, gen: SequenceCounter, status: int = ESME_ROK, **fields: Any
) -> bytes:
    pdu = build(name, gen, **fields)
    pdu.sequence = request_sequence
    pdu.status = status
    return pdu.generate()


def generic_nack(sequence: int, status: int) -> bytes:
    return struct.pack(">LLLL", HEADER_LEN, GENERIC_NACK, status, sequence)


def text_field(value: Any) -> str:
    """smpplib hands C-strings back as bytes; normalise to str."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def status_name(status: int) -> str:
    for key, val in vars(consts).items():
        if key.startswith("SMPP_ESME_R") and val == status:
            return key.removeprefix("SMPP_")
    return f"0x{status:08X}"
