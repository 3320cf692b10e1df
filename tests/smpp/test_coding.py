"""SMS alphabets and splitting (app/domain/sms_coding.py): no database, no sockets."""

from __future__ import annotations

import pytest

from app.domain import sms_coding
from app.domain.sms_coding import GSM7, UCS2, ReferenceSize, decode, split


def test_gsm_text_round_trips_with_extension_characters() -> None:
    text = "Balance: 10 yuan [ok] {x} ~ | € ^ \\ @£$"
    plan = split(text)
    assert plan.data_coding == GSM7 and not plan.concatenated
    assert decode(plan.whole, GSM7) == text
    assert sms_coding.encode_gsm7("[") == b"\x1b\x3c"


def test_chinese_goes_out_as_ucs2_and_splits_at_67() -> None:
    text = "您好" * 40  # 80 characters > 70
    plan = split(text)
    assert plan.data_coding == UCS2
    assert [len(p) // 2 for p in plan.parts] == [67, 13]
    assert "".join(decode(p, UCS2) for p in plan.parts) == text


def test_single_message_limits() -> None:
    assert not split("a" * 160).concatenated
    assert [len(p) for p in split("a" * 161).parts] == [153, 8]
    assert not split("中" * 70).concatenated
    assert len(split("中" * 71).parts) == 2


def test_sixteen_bit_reference_leaves_one_character_less() -> None:
    assert [len(p) for p in split("a" * 304, ReferenceSize.BITS16).parts] == [152, 152]
    assert [len(p) // 2 for p in split("中" * 132, ReferenceSize.BITS16).parts] == [66, 66]


def test_escape_pair_is_never_cut() -> None:
    text = "a" * 152 + "[" + "b" * 10
    plan = split(text)
    assert plan.parts[0] == b"a" * 152  # 152 + 2 septets would be 154 > 153
    assert plan.parts[1].startswith(b"\x1b\x3c")
    assert "".join(decode(p, GSM7) for p in plan.parts) == text


def test_surrogate_pair_is_never_cut() -> None:
    text = "中" * 66 + "😀" + "文" * 10
    plan = split(text)
    assert len(plan.parts[0]) == 132  # the emoji (2 units) would make 68
    assert [decode(p, UCS2) for p in plan.parts] == ["中" * 66, "😀" + "文" * 10]


@pytest.mark.parametrize(
    ("data", "coding", "text"),
    [
        (b"CXYE", 0, "CXYE"),
        (b"\x1b\x3cA\x1b\x3e", 0, "[A]"),
        (b"\x00\x01\x02", 0, "@£$"),
        (b"hello", 1, "hello"),
        ("café".encode("latin-1"), 3, "café"),
        ("查话费".encode("utf-16-be"), 8, "查话费"),
        ("😀".encode("utf-16-be"), 8, "😀"),
        ("查话费".encode("gbk"), 15, "查话费"),
        (b"CXYE", 0xF0, "CXYE"),
        ("好".encode("utf-16-be") + b"\x00", 8, "好"),  # odd length: last octet dropped
    ],
)
def test_decode_by_data_coding(data: bytes, coding: int, text: str) -> None:
    assert decode(data, coding) == text


def test_invalid_utf8_never_matters() -> None:
    assert decode(b"\xff\xfe", 3) == "ÿþ"


def test_concatenation_headers() -> None:
    assert sms_coding.concatenation_header(0x1234, 3, 2, ReferenceSize.BITS8) == bytes(
        [5, 0, 3, 0x34, 3, 2]
    )
    assert sms_coding.concatenation_header(0x1234, 3, 2, ReferenceSize.BITS16) == bytes(
        [6, 8, 4, 0x12, 0x34, 3, 2]
    )
    with pytest.raises(ValueError):
        sms_coding.concatenation_header(1, 2, 3, ReferenceSize.BITS8)
