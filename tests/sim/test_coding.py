"""Splitter and character-set rules, checked against hand-written expectations."""

from __future__ import annotations

import pytest

from gateway_sim import segments, text_coding
from gateway_sim.segments import SplitMethod


def test_gsm_round_trip_with_extension_table():
    text = "Hello @£$¥ €[]{}|~^\\ §¿"
    data = text_coding.encode(text, 0)
    assert data[:5] == b"Hello"
    assert b"\x1be\x1b<\x1b>\x1b(\x1b)\x1b@\x1b=\x1b\x14\x1b/" in data
    assert text_coding.decode(data, 0) == text


def test_choose_coding():
    assert text_coding.choose_coding("cxye €") == 0
    assert text_coding.choose_coding("查话费") == 8
    assert text_coding.choose_coding("naïve") == 8  # ï is not in GSM 03.38
    assert text_coding.choose_coding("`") == 8  # smpplib's table wrongly accepts the backtick


def test_decode_never_raises():
    assert text_coding.decode(b"\xd8\x00", 8)  # lone surrogate
    assert text_coding.decode(b"\xff\x80", 1)
    assert text_coding.decode(b"\x1b", 0) == " "
    assert text_coding.decode(b"abc", 0xF4) == "abc"  # message class, 8-bit
    assert text_coding.decode(b"abc", 0x42) == "abc"


@pytest.mark.parametrize(
    ("method", "per_part"),
    [(SplitMethod.UDH8, 153), (SplitMethod.UDH16, 152), (SplitMethod.SAR, 153)],
)
def test_gsm_escape_pair_never_split(method, per_part):
    text = "a" + "€" * 100  # 201 septets; a naive cut at 153 splits an escape pair
    parts = segments.split(text, 0, method, ref=7)
    bodies = [p.body[p.body[0] + 1 :] if p.esm_udhi else p.body for p in parts]
    assert all(len(b) <= per_part for b in bodies)
    assert all(not b.endswith(b"\x1b") for b in bodies)
    assert "".join(text_coding.decode(b, 0) for b in bodies) == text


def test_surrogate_pair_never_split():
    text = "x" + "😀" * 40  # 2 + 160 octets of UTF-16
    parts = segments.split(text, 8, SplitMethod.UDH8, ref=300)
    assert len(parts) == 2
    for p in parts:
        assert p.body[:6] == bytes([5, 0, 3, 300 & 0xFF, 2, p.seq])
        p.body[6:].decode("utf-16-be")  # strict: raises on a lone surrogate
        assert len(p.body) <= 140


def test_udh16_header_and_sar_fields():
    text = "查" * 100
    udh16 = segments.split(text, 8, SplitMethod.UDH16, ref=0x1234)
    assert [p.body[:7] for p in udh16] == [bytes([6, 8, 4, 0x12, 0x34, 2, n]) for n in (1, 2)]
    assert len(udh16[0].body) - 7 == 132
    sar = segments.split(text, 8, SplitMethod.SAR, ref=0x1234)
    assert sar[1].sar_fields() == {
        "sar_msg_ref_num": 0x1234,
        "sar_total_segments": 2,
        "sar_segment_seqnum": 2,
    }
    assert sar[0].esm_udhi == 0 and len(sar[0].body) == 134


def test_short_text_is_not_split():
    assert len(segments.split("hi", 0, SplitMethod.UDH8, 1)) == 1
    assert len(segments.split("a" * 160, 0, SplitMethod.UDH8, 1)) == 1
    assert len(segments.split("a" * 161, 0, SplitMethod.UDH8, 1)) == 2
    assert len(segments.split("查" * 70, 8, SplitMethod.UDH8, 1)) == 1
    assert len(segments.split("查" * 71, 8, SplitMethod.UDH8, 1)) == 2


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x05\x00\x03\x01",
        b"\x03\x00\x03\x01",
        b"\x05\x00\x03\x01\x02\x03x",
        b"\x05\x00\x03\x01\x00\x00x",
    ],
)
def test_bad_udh_raises(bad):
    with pytest.raises(segments.BadUdh):
        segments.strip_udh(bad)


def test_udh_with_other_elements_is_read():
    # port addressing IE (0x05) before the concat IE
    sm = bytes([11, 0x05, 4, 0x0B, 0x84, 0x23, 0xF0, 0x00, 3, 9, 2, 1]) + b"body"
    body, concat = segments.strip_udh(sm)
    assert body == b"body" and (concat.ref, concat.total, concat.seq) == (9, 2, 1)


@pytest.mark.parametrize(
    ("number", "ton"),
    [("8613800138000", 1), ("13800138000", 2), ("10086", 0), ("861380013800", 0)],
)
def test_type_of_number_follows_the_form(number: str, ton: int) -> None:
    from gateway_sim.smsc import ton_of

    assert ton_of(number) == ton
