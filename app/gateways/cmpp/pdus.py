"""CMPP 2.0 and 3.0 PDUs: the header, and each body's layout in both versions.

Header: Total_Length (4, the whole PDU), Command_Id (4), Sequence_Id (4),
big-endian. Where the versions differ: CONNECT_RESP Status, SUBMIT_RESP and
DELIVER_RESP Result are 1 octet in 2.0 and 4 in 3.0; terminal ids are 21
octets in 2.0 and 32 in 3.0, followed in 3.0 by a terminal type octet; 2.0's
trailing Reserve (8) is 3.0's LinkID (20). Written here, as no maintained
Python CMPP codec exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from app.gateways.cmpp.octets import HEADER, MalformedPdu, Reader, Writer

__all__ = ["MalformedPdu"]

V20 = 0x20
V30 = 0x30
RESPONSE = 0x80000000
#: The header alone; the largest legal PDU (a SUBMIT to 100 numbers in 3.0) is under 4 KB.
HEADER_SIZE = 12
MAX_LENGTH = 8192


class Command(IntEnum):
    CONNECT = 0x00000001
    TERMINATE = 0x00000002
    SUBMIT = 0x00000004
    DELIVER = 0x00000005
    QUERY = 0x00000006
    CANCEL = 0x00000007
    ACTIVE_TEST = 0x00000008
    CONNECT_RESP = 0x80000001
    TERMINATE_RESP = 0x80000002
    SUBMIT_RESP = 0x80000004
    DELIVER_RESP = 0x80000005
    QUERY_RESP = 0x80000006
    CANCEL_RESP = 0x80000007
    ACTIVE_TEST_RESP = 0x80000008


def is_v3(version: int) -> bool:
    return version >= V30


def _terminal(version: int) -> int:
    return 32 if is_v3(version) else 21


def _result_size(version: int) -> int:
    return 4 if is_v3(version) else 1


def _tail(w: Writer, v3: bool, link_id: str) -> None:
    """3.0's LinkID (20) or 2.0's Reserve (8), after Msg_Content."""
    w.octets(link_id, 20) if v3 else w.octets(b"", 8)


def _read_tail(r: Reader, v3: bool) -> str:
    if v3:
        return r.text(20)
    r.raw(8)  # Reserve
    return ""


def frame(command: int, sequence: int, body: bytes = b"") -> bytes:
    return HEADER.pack(HEADER_SIZE + len(body), command, sequence) + body


def header(data: bytes) -> tuple[int, int, int]:
    """(Total_Length, Command_Id, Sequence_Id) of at least 12 octets."""
    return HEADER.unpack_from(data)


def command_name(command_id: int) -> str:
    try:
        return Command(command_id).name
    except ValueError:
        return f"0x{command_id:08x}"


# -- CONNECT --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connect:
    source_addr: str
    authenticator: bytes
    version: int
    timestamp: int

    def encode(self) -> bytes:
        w = Writer().octets(self.source_addr, 6).octets(self.authenticator, 16)
        return w.uint(self.version, 1).uint(self.timestamp, 4).bytes()

    @classmethod
    def decode(cls, body: bytes) -> Connect:
        r = Reader(body, "CONNECT")
        return cls(r.text(6), r.raw(16), r.uint(1), r.uint(4))


@dataclass(frozen=True, slots=True)
class ConnectResp:
    status: int
    authenticator: bytes
    version: int

    def encode(self, version: int) -> bytes:
        w = Writer().uint(self.status, _result_size(version)).octets(self.authenticator, 16)
        return w.uint(self.version, 1).bytes()

    @classmethod
    def decode(cls, body: bytes) -> ConnectResp:
        """2.0 (18 octets) or 3.0 (21): told apart by the length, as the ISMG may
        answer in another version than asked (status 4, version too high)."""
        r = Reader(body, "CONNECT_RESP")
        size = 4 if len(body) >= 21 else 1
        return cls(r.uint(size), r.raw(16), r.uint(1))

    @staticmethod
    def status_octets(status: int, version: int) -> bytes:
        return status.to_bytes(_result_size(version), "big")


# -- ACTIVE_TEST, TERMINATE -----------------------------------------------------------

ACTIVE_TEST_RESP_BODY = b"\x00"  # Reserved (1)


# -- SUBMIT ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submit:
    msg_src: str  # the SP id
    service_id: str
    src_id: str  # the SP's service number (short code)
    dest_terminal_ids: tuple[str, ...]
    msg_fmt: int
    content: bytes
    pk_total: int = 1
    pk_number: int = 1
    registered_delivery: int = 1
    msg_level: int = 0
    #: 0 charge the destination, 1 the source, 2 the SP, 3 Fee_terminal_Id.
    fee_user_type: int = 2
    fee_terminal_id: str = ""
    fee_terminal_type: int = 0
    tp_pid: int = 0
    tp_udhi: int = 0
    #: "01" free, "02" per message, "03" monthly...
    fee_type: str = "01"
    fee_code: str = "000000"
    valid_time: str = ""
    at_time: str = ""
    dest_terminal_type: int = 0
    link_id: str = ""
    msg_id: int = 0

    def encode(self, version: int) -> bytes:
        v3 = is_v3(version)
        tid = _terminal(version)
        if not 1 <= len(self.dest_terminal_ids) <= 100:
            raise ValueError("DestUsr_tl must be 1..100")
        if len(self.content) > 255:
            raise ValueError("Msg_Content is at most 255 octets")
        w = Writer().uint(self.msg_id, 8).uint(self.pk_total, 1).uint(self.pk_number, 1)
        w.uint(self.registered_delivery, 1).uint(self.msg_level, 1).octets(self.service_id, 10)
        w.uint(self.fee_user_type, 1).octets(self.fee_terminal_id, tid)
        if v3:
            w.uint(self.fee_terminal_type, 1)
        w.uint(self.tp_pid, 1).uint(self.tp_udhi, 1).uint(self.msg_fmt, 1)
        w.octets(self.msg_src, 6).octets(self.fee_type, 2).octets(self.fee_code, 6)
        w.octets(self.valid_time, 17).octets(self.at_time, 17).octets(self.src_id, 21)
        w.uint(len(self.dest_terminal_ids), 1)
        for number in self.dest_terminal_ids:
            w.octets(number, tid)
        if v3:
            w.uint(self.dest_terminal_type, 1)
        w.uint(len(self.content), 1).raw(self.content)
        _tail(w, v3, self.link_id)
        return w.bytes()

    @classmethod
    def decode(cls, body: bytes, version: int) -> Submit:
        v3 = is_v3(version)
        tid = _terminal(version)
        r = Reader(body, "SUBMIT")
        msg_id, pk_total, pk_number, registered, level = (
            r.uint(8), r.uint(1), r.uint(1), r.uint(1), r.uint(1)
        )  # fmt: skip
        service_id, fee_user_type, fee_terminal_id = r.text(10), r.uint(1), r.text(tid)
        fee_terminal_type = r.uint(1) if v3 else 0
        tp_pid, tp_udhi, msg_fmt = r.uint(1), r.uint(1), r.uint(1)
        msg_src, fee_type, fee_code = r.text(6), r.text(2), r.text(6)
        valid_time, at_time, src_id = r.text(17), r.text(17), r.text(21)
        count = r.uint(1)
        dests = tuple(r.text(tid) for _ in range(count))
        dest_type = r.uint(1) if v3 else 0
        content = r.raw(r.uint(1))
        link_id = _read_tail(r, v3)
        return cls(
            msg_src, service_id, src_id, dests, msg_fmt, content, pk_total, pk_number,
            registered, level, fee_user_type, fee_terminal_id, fee_terminal_type, tp_pid,
            tp_udhi, fee_type, fee_code, valid_time, at_time, dest_type, link_id, msg_id,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MsgIdResult:
    """SUBMIT_RESP and DELIVER_RESP: Msg_Id (8) and Result (1 in 2.0, 4 in 3.0)."""

    msg_id: int
    result: int

    def encode(self, version: int) -> bytes:
        return Writer().uint(self.msg_id, 8).uint(self.result, _result_size(version)).bytes()

    @classmethod
    def decode(cls, body: bytes) -> MsgIdResult:
        """Either version, by length (9 or 12 octets)."""
        r = Reader(body, "RESP")
        return cls(r.uint(8), r.uint(4 if len(body) >= 12 else 1))


# -- DELIVER --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Msg_Content of a DELIVER with Registered_Delivery = 1."""

    msg_id: int
    stat: str
    submit_time: str  # YYMMDDHHMM
    done_time: str
    dest_terminal_id: str
    smsc_sequence: int

    def encode(self, version: int) -> bytes:
        w = Writer().uint(self.msg_id, 8).octets(self.stat, 7)
        w.octets(self.submit_time, 10).octets(self.done_time, 10)
        return (
            w.octets(self.dest_terminal_id, _terminal(version)).uint(self.smsc_sequence, 4).bytes()
        )

    @classmethod
    def decode(cls, content: bytes, version: int) -> StatusReport:
        r = Reader(content, "status report")
        return cls(
            r.uint(8), r.text(7), r.text(10), r.text(10), r.text(_terminal(version)), r.uint(4)
        )


@dataclass(frozen=True, slots=True)
class Deliver:
    msg_id: int
    dest_id: str  # the SP's service number the subscriber texted
    service_id: str
    src_terminal_id: str  # the subscriber (or, in a report, the handset reported on)
    msg_fmt: int
    content: bytes
    registered_delivery: int = 0  # 1 = this is a status report
    tp_pid: int = 0
    tp_udhi: int = 0
    src_terminal_type: int = 0
    link_id: str = ""

    @property
    def is_report(self) -> bool:
        return self.registered_delivery == 1

    def report(self, version: int) -> StatusReport:
        return StatusReport.decode(self.content, version)

    def encode(self, version: int) -> bytes:
        v3 = is_v3(version)
        if len(self.content) > 255:
            raise ValueError("Msg_Content is at most 255 octets")
        w = Writer().uint(self.msg_id, 8).octets(self.dest_id, 21).octets(self.service_id, 10)
        w.uint(self.tp_pid, 1).uint(self.tp_udhi, 1).uint(self.msg_fmt, 1)
        w.octets(self.src_terminal_id, _terminal(version))
        if v3:
            w.uint(self.src_terminal_type, 1)
        w.uint(self.registered_delivery, 1).uint(len(self.content), 1).raw(self.content)
        _tail(w, v3, self.link_id)
        return w.bytes()

    @classmethod
    def decode(cls, body: bytes, version: int) -> Deliver:
        v3 = is_v3(version)
        r = Reader(body, "DELIVER")
        msg_id, dest_id, service_id = r.uint(8), r.text(21), r.text(10)
        tp_pid, tp_udhi, msg_fmt = r.uint(1), r.uint(1), r.uint(1)
        source = r.text(_terminal(version))
        source_type = r.uint(1) if v3 else 0
        registered = r.uint(1)
        content = r.raw(r.uint(1))
        link_id = _read_tail(r, v3)
        return cls(
            msg_id, dest_id, service_id, source, msg_fmt, content, registered, tp_pid,
            tp_udhi, source_type, link_id,
        )  # fmt: skip


@dataclass(slots=True)
class Frame:
    """One PDU off the wire: its header and undecoded body."""

    command_id: int
    sequence: int
    body: bytes = field(repr=False)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE)

    @property
    def name(self) -> str:
        return command_name(self.command_id)


def split(data: bytes) -> Frame:
    length, command_id, sequence = header(data)
    if length != len(data):
        raise MalformedPdu(f"Total_Length {length} but {len(data)} octets")
    return Frame(command_id, sequence, data[HEADER_SIZE:])
