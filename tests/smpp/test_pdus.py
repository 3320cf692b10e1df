"""The SMPP codec (app/gateways/smpp/pdus.py) on hand-built frames."""

from __future__ import annotations

import struct

import pytest

from app.gateways.smpp import pdus
from tests.smpp.fake_smsc import tlv


def cstring(value: bytes) -> bytes:
    return value + b"\x00"


def deliver_sm(short_message: bytes = b"hello", esm_class: int = 0, tlvs: bytes = b"") -> bytes:
    body = (
        cstring(b"") + bytes([1, 1]) + cstring(b"8613800138000") + bytes([0, 0])
        + cstring(b"10086") + bytes([esm_class, 0, 0]) + cstring(b"") + cstring(b"")
        + bytes([0, 0, 0, 0, len(short_message)]) + short_message + tlvs
    )  # fmt: skip
    return struct.pack(">LLLL", 16 + len(body), 0x00000005, 0, 7) + body


def response(command_id: int, body: bytes, status: int = 0, sequence: int = 9) -> bytes:
    return struct.pack(">LLLL", 16 + len(body), command_id, status, sequence) + body


#: SMPP 3.4 TLVs that smpplib knows but does not declare for deliver_sm, and one it
#: does not know at all.
UNDECLARED = [
    (0x000D, b"\x01"),  # source_addr_subunit
    (0x0005, b"\x01"),  # dest_addr_subunit
    (0x1203, b"\x00\x01"),  # sms_signal
    (0x0030, b"\x00"),  # ms_msg_wait_facilities
    (0x000F, b"\x01"),  # source_bearer_type
    (0x0425, b"\x01"),  # delivery_failure_reason
    (0x001D, b"x\x00"),  # additional_status_info_text
    (0x1401, b"\x01\x02"),  # vendor-specific
]


@pytest.mark.parametrize(("tag", "value"), UNDECLARED)
def test_deliver_sm_skips_tlvs_it_does_not_declare(tag: int, value: bytes) -> None:
    frame = deliver_sm(tlvs=tlv(tag, value) + tlv(0x0427, b"\x02") + tlv(0x0204, b"\x00\x2a"))
    pdu = pdus.parse(frame)
    assert pdu.short_message == b"hello"
    # The TLVs around the skipped one are still read.
    assert (pdu.message_state, pdu.user_message_reference) == (2, 42)


@pytest.mark.parametrize(
    ("command_id", "body"),
    [
        (0x80000004, cstring(b"abc123")),  # submit_sm_resp
        (0x80000015, b""),  # enquire_link_resp
        (0x80000009, cstring(b"SMSC")),  # bind_transceiver_resp
    ],
)
@pytest.mark.parametrize(
    ("tag", "value"),
    [(0x0423, b"\x03\x00\x01"), (0x001D, b"queue full\x00"), (0x0425, b"\x00"), (0x0420, b"\x00")],
)
def test_responses_skip_tlvs_they_do_not_declare(
    command_id: int, body: bytes, tag: int, value: bytes
) -> None:
    pdu = pdus.parse(response(command_id, body + tlv(tag, value)))
    assert pdu.sequence == 9
    if command_id == 0x80000004:
        assert pdus.text(pdu.message_id) == "abc123"


@pytest.mark.parametrize(
    "tail",
    [
        b"\x04\x27\x00",  # a TLV header cut short
        b"\x04\x27\x00\x01",  # a declared TLV without its octet
        b"\x00\x05\x00\x02\x01",  # an undeclared TLV one octet short
    ],
)
def test_a_tlv_cut_short_is_still_unreadable(tail: bytes) -> None:
    with pytest.raises(pdus.MalformedPdu) as caught:
        pdus.parse(deliver_sm(tlvs=tail))
    assert (caught.value.sequence, caught.value.status) == (7, pdus.RSYSERR)


@pytest.mark.parametrize("value", [b"1A2B3C", b"1A2B3C\x00"])
def test_a_c_string_tlv_with_or_without_its_nul(value: bytes) -> None:
    pdu = pdus.parse(deliver_sm(b"", 0x04, tlv(0x001E, value) + tlv(0x0427, b"\x02")))
    assert (pdu.receipted_message_id, pdu.message_state) == (b"1A2B3C", 2)
