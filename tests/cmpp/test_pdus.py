"""The CMPP codec against the published layouts, byte by byte, in 2.0 and 3.0."""

from __future__ import annotations

import hashlib
import struct

import pytest

from app.gateways.cmpp import auth, coding, msg_id, pdus
from app.gateways.cmpp.pdus import (
    V20,
    V30,
    Command,
    Connect,
    ConnectResp,
    Deliver,
    MsgIdResult,
    StatusReport,
    Submit,
)


def test_header_is_length_command_sequence_big_endian() -> None:
    data = pdus.frame(Command.ACTIVE_TEST, 0x01020304)
    assert data == bytes.fromhex("0000000c 00000008 01020304")
    frame = pdus.split(data)
    assert (frame.command_id, frame.sequence, frame.body) == (8, 0x01020304, b"")
    assert pdus.frame(Command.ACTIVE_TEST_RESP, 1, pdus.ACTIVE_TEST_RESP_BODY)[:4] == b"\0\0\0\x0d"


def test_a_total_length_that_disagrees_is_malformed() -> None:
    data = struct.pack(">LLL", 20, 8, 1)
    with pytest.raises(pdus.MalformedPdu):
        pdus.split(data)


def test_connect_is_39_octets_and_its_authenticator_is_the_published_md5() -> None:
    stamp = 1205103000  # 5 December, 10:30:00
    source = auth.authenticator_source("901234", "s3cret", stamp)
    expected = hashlib.md5(b"901234" + b"\0" * 9 + b"s3cret" + b"1205103000").digest()
    assert source == expected
    january = auth.authenticator_source("901234", "s3cret", 105103000)
    assert january == hashlib.md5(b"901234" + b"\0" * 9 + b"s3cret" + b"0105103000").digest()
    data = pdus.frame(Command.CONNECT, 7, Connect("901234", source, V30, stamp).encode())
    assert len(data) == 39
    assert data[12:18] == b"901234" and data[18:34] == expected
    assert data[34] == 0x30 and int.from_bytes(data[35:39], "big") == stamp
    assert Connect.decode(data[12:]) == Connect("901234", expected, V30, stamp)


@pytest.mark.parametrize(("version", "size"), [(V20, 30), (V30, 33)])
def test_connect_resp_status_is_one_octet_in_2_and_four_in_3(version: int, size: int) -> None:
    ismg = auth.authenticator_ismg(ConnectResp.status_octets(3, version), b"a" * 16, "x")
    body = ConnectResp(3, ismg, version).encode(version)
    assert len(pdus.frame(Command.CONNECT_RESP, 1, body)) == size
    assert ConnectResp.decode(body) == ConnectResp(3, ismg, version)
    assert ismg == hashlib.md5(b"\x03".rjust(size - 29, b"\0") + b"a" * 16 + b"x").digest()


def _submit(**changes: object) -> Submit:
    fields: dict[str, object] = dict(
        msg_src="901234", service_id="HELP", src_id="10086", dest_terminal_ids=("13800138000",),
        msg_fmt=0, content=b"",
    )  # fmt: skip
    return Submit(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("version", "size"), [(V20, 147), (V30, 183)])
def test_submit_body_sizes(version: int, size: int) -> None:
    assert len(_submit().encode(version)) == size
    two = _submit(dest_terminal_ids=("13800138000", "13900139000"), content=b"hello")
    per_number = 21 if version == V20 else 32
    assert len(two.encode(version)) == size + per_number + 5


@pytest.mark.parametrize("version", [V20, V30])
def test_submit_round_trips_and_puts_fields_where_the_layout_says(version: int) -> None:
    submit = _submit(
        content=b"\x05\x00\x03\x2a\x02\x01hi", tp_udhi=1, pk_total=2, pk_number=1, link_id=""
    )
    body = submit.encode(version)
    assert Submit.decode(body, version) == submit
    assert body[8:10] == b"\x02\x01" and body[10] == 1  # Pk_total, Pk_number, Registered_Delivery
    assert body[12:22] == b"HELP".ljust(10, b"\0")
    tid = 21 if version == V20 else 32
    fee_end = 23 + tid + (1 if version == V30 else 0)
    assert body[fee_end + 1] == 1  # TP_udhi
    assert body[fee_end + 3 : fee_end + 9] == b"901234"  # Msg_src
    assert body[fee_end + 9 : fee_end + 11] == b"01"  # FeeType: free
    tail = 20 if version == V30 else 8
    assert body[-tail - 8 - 1] == 8 and body[-tail - 8 :][:8] == b"\x05\x00\x03\x2a\x02\x01hi"


@pytest.mark.parametrize(("version", "size"), [(V20, 9), (V30, 12)])
def test_submit_resp_and_deliver_resp(version: int, size: int) -> None:
    body = MsgIdResult(0x1122334455667788, 8).encode(version)
    assert len(body) == size
    assert MsgIdResult.decode(body) == MsgIdResult(0x1122334455667788, 8)


@pytest.mark.parametrize(("version", "fixed", "report"), [(V20, 73, 60), (V30, 97, 71)])
def test_deliver_mo_and_report_sizes(version: int, fixed: int, report: int) -> None:
    mo = Deliver(42, "10086", "HELP", "13800138000", 8, "你好".encode("utf-16-be"))
    body = mo.encode(version)
    assert len(body) == fixed + 4
    assert Deliver.decode(body, version) == mo
    content = StatusReport(42, "DELIVRD", "2612051030", "2612051031", "13800138000", 9)
    encoded = content.encode(version)
    assert len(encoded) == report
    dlr = Deliver(43, "10086", "", "13800138000", 0, encoded, registered_delivery=1)
    back = Deliver.decode(dlr.encode(version), version)
    assert back.is_report and back.report(version) == content


def test_a_short_deliver_is_malformed_not_a_crash() -> None:
    body = Deliver(1, "10086", "", "138", 0, b"abc").encode(V20)
    with pytest.raises(pdus.MalformedPdu):
        Deliver.decode(body[:40], V20)
    with pytest.raises(pdus.MalformedPdu):
        Deliver.decode(body, V30)  # a 2.0 body read as 3.0 runs out


def test_msg_id_bit_layout() -> None:
    value = (12 << 60) | (5 << 55) | (10 << 50) | (30 << 44) | (59 << 38) | (0x3ABCDE << 16) | 7
    parsed = msg_id.MsgId.unpack(value)
    assert parsed == msg_id.MsgId(12, 5, 10, 30, 59, 0x3ABCDE, 7)
    assert parsed.pack() == value
    assert msg_id.from_bytes(msg_id.to_bytes(value)) == value
    with pytest.raises(ValueError):
        msg_id.MsgId(13, 1, 1, 1, 1, 1 << 22, 1).pack()


def test_msg_fmt_decoding() -> None:
    assert coding.decode(b"HELP_me@", 0) == "HELP_me@"  # ASCII, not GSM 7-bit
    assert coding.decode("话费".encode("utf-16-be"), 8) == "话费"
    assert coding.decode("话费".encode("gbk"), 15) == "话费"


def test_reply_plan_ascii_or_ucs2_and_long_split() -> None:
    fmt, plan = coding.plan("balance: 12.50 yuan")
    assert fmt == 0 and plan.whole == b"balance: 12.50 yuan"
    fmt, plan = coding.plan("café")  # GSM holds é, ASCII does not: UCS-2
    assert fmt == 8 and plan.whole == "café".encode("utf-16-be")
    fmt, plan = coding.plan("x" * 161)
    assert fmt == 0 and [len(p) for p in plan.parts] == [153, 8]
    fmt, plan = coding.plan("话" * 71)
    assert fmt == 8 and [len(p) for p in plan.parts] == [134, 8]
