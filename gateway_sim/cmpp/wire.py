"""CMPP on the ISMG side, written apart from smshall's codec so that one checks the other.

Only what an ISMG reads and writes: CONNECT(_RESP), ACTIVE_TEST(_RESP),
TERMINATE(_RESP), SUBMIT in, SUBMIT_RESP out, DELIVER out, DELIVER_RESP in.
Bodies are read with `struct` formats per version; strings are NUL-padded.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime

CONNECT, CONNECT_RESP = 0x1, 0x80000001
TERMINATE, TERMINATE_RESP = 0x2, 0x80000002
SUBMIT, SUBMIT_RESP = 0x4, 0x80000004
DELIVER, DELIVER_RESP = 0x5, 0x80000005
ACTIVE_TEST, ACTIVE_TEST_RESP = 0x8, 0x80000008


class BadBody(ValueError):
    pass


def pdu(command: int, sequence: int, body: bytes = b"") -> bytes:
    return struct.pack(">III", 12 + len(body), command, sequence) + body


def pad(value: str | bytes, size: int) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return raw[:size] + b"\0" * (size - len(raw[:size]))


def text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


def tid(version: int) -> int:
    return 32 if version >= 0x30 else 21


def status(value: int, version: int) -> bytes:
    return struct.pack(">I" if version >= 0x30 else ">B", value)


def md5(*parts: bytes) -> bytes:
    return hashlib.md5(b"".join(parts)).digest()  # noqa: S324 - CMPP's own hash


def expected_authenticators(source_addr: str, secret: str, timestamp: int) -> set[bytes]:
    """The AuthenticatorSource a client may have sent: the timestamp as 10 digits, and
    without its leading zero as some clients print it."""
    stamps = {f"{timestamp:010d}", str(timestamp)}
    return {md5(source_addr.encode(), bytes(9), secret.encode(), s.encode()) for s in stamps}


def make_msg_id(now: datetime, gateway: int, sequence: int) -> int:
    value = 0
    for field, bits in ((now.month, 4), (now.day, 5), (now.hour, 5), (now.minute, 6),
                        (now.second, 6), (gateway, 22), (sequence, 16)):  # fmt: skip
        value = (value << bits) | (field & ((1 << bits) - 1))
    return value


@dataclass
class SubmitIn:
    pk_total: int
    pk_number: int
    registered_delivery: int
    service_id: str
    fee_user_type: int
    tp_udhi: int
    msg_fmt: int
    msg_src: str
    fee_type: str
    fee_code: str
    src_id: str
    destinations: list[str]
    content: bytes


def read_submit(body: bytes, version: int) -> SubmitIn:
    t = tid(version)
    v3 = version >= 0x30
    head = f">8sBBBB10sB{t}s{'B' if v3 else ''}BBB6s2s6s17s17s21sB"
    try:
        fields = struct.unpack_from(head, body)
        at = struct.calcsize(head)
        count = fields[-1]
        destinations = [text(body[at + i * t : at + (i + 1) * t]) for i in range(count)]
        at += count * t + (1 if v3 else 0)
        length = body[at]
        content = body[at + 1 : at + 1 + length]
        if len(content) != length or len(body) < at + 1 + length + (20 if v3 else 8):
            raise BadBody("SUBMIT shorter than its Msg_Length says")
    except (struct.error, IndexError) as error:
        raise BadBody(f"SUBMIT: {error}") from error
    f = list(fields)
    if v3:
        del f[8]  # Fee_terminal_type
    return SubmitIn(
        pk_total=f[1], pk_number=f[2], registered_delivery=f[3], service_id=text(f[5]),
        fee_user_type=f[6], tp_udhi=f[9], msg_fmt=f[10], msg_src=text(f[11]),
        fee_type=text(f[12]), fee_code=text(f[13]), src_id=text(f[16]),
        destinations=destinations, content=content,
    )  # fmt: skip


def deliver_body(
    version: int, msg_id: int, dest_id: str, source: str, msg_fmt: int, content: bytes,
    report: bool = False, udhi: int = 0,
) -> bytes:  # fmt: skip
    v3 = version >= 0x30
    body = struct.pack(">Q21s10sBBB", msg_id, pad(dest_id, 21), pad("", 10), 0, udhi, msg_fmt)
    body += pad(source, tid(version)) + (b"\0" if v3 else b"")
    body += struct.pack(">BB", 1 if report else 0, len(content)) + content
    return body + bytes(20 if v3 else 8)


def report_content(
    version: int, msg_id: int, stat: str, submitted: datetime, done: datetime, dest: str, seq: int
) -> bytes:
    stamp = "%y%m%d%H%M"
    return (
        struct.pack(
            ">Q7s10s10s",
            msg_id,
            pad(stat, 7),
            pad(submitted.strftime(stamp), 10),
            pad(done.strftime(stamp), 10),
        )  # fmt: skip
        + pad(dest, tid(version))
        + struct.pack(">I", seq)
    )
