"""Delivery receipt reading (app/domain/delivery_receipts.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.delivery_receipts import (
    is_intermediate,
    is_mo,
    is_receipt,
    read_receipt,
    submitted_id,
)


def test_standard_text() -> None:
    r = read_receipt(
        "id:0123456789 sub:001 dlvrd:001 submit date:2611230931 done date:2611230932 "
        "stat:DELIVRD err:000 text:hello world"
    )
    assert r is not None
    assert (r.message_id, r.stat, r.state, r.error) == ("0123456789", "DELIVRD", "delivered", "000")
    assert r.done_at == datetime(2026, 11, 23, 9, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("ID:ab12 SUB:001 DLVRD:000 SUBMIT DATE:261123093100 DONE DATE:261123093205 STAT:UNDELIV ERR:012 Text:x", "failed"),
        ("id:ab12 stat:EXPIRED err:0", "expired"),
        ("id:ab12 stat:REJECTD", "failed"),
        ("id:ab12 stat:ENROUTE", None),
        ("id:ab12 stat:ACCEPTD", None),
        ("stat:DELIVRD id:ab12", "delivered"),
    ],
)  # fmt: skip
def test_tolerant_text(text: str, state: str | None) -> None:
    r = read_receipt(text)
    assert r is not None and r.message_id == "ab12" and r.state == state


def test_twelve_digit_dates() -> None:
    r = read_receipt("id:1 done date:261123093205 stat:DELIVRD")
    assert r is not None and r.done_at == datetime(2026, 11, 23, 9, 32, 5, tzinfo=UTC)


def test_tlvs_win_over_text() -> None:
    r = read_receipt("id:999 stat:DELIVRD", "abc", 5, bytes([3, 0, 27]))
    assert r is not None
    assert (r.message_id, r.state, r.error) == ("abc", "failed", "net3:27")


def test_no_id_is_no_receipt() -> None:
    assert read_receipt("hello") is None


def test_receipt_esm_classes() -> None:
    assert is_receipt(0x04) and is_receipt(0x08) and is_receipt(0x10)
    assert not is_receipt(0x00) and not is_receipt(0x40)


def test_an_intermediate_notification_is_a_receipt_that_ends_nothing() -> None:
    assert is_receipt(0x20) and is_receipt(0x20 | 0x40) and is_intermediate(0x20)
    assert not is_intermediate(0x04) and not is_mo(0x20)


def test_only_the_default_message_type_is_mo() -> None:
    assert is_mo(0x00) and is_mo(0x40) and is_mo(0x80 | 0x03)
    assert not any(is_mo(kind) for kind in (0x04, 0x08, 0x0C, 0x10, 0x18, 0x20, 0x3C))


@pytest.mark.parametrize(
    ("receipt_id", "convention", "submitted"),
    [
        ("00FF", "same", "ff"),
        ("255", "decimal_for_hex", "ff"),
        ("10", "decimal_for_hex", "a"),  # not 0x10: one reading only, by the bind's convention
        ("10", "same", "10"),
        ("0a", "hex_for_decimal", "10"),
        ("zz", "decimal_for_hex", "zz"),  # not a number: kept as given
    ],
)
def test_receipt_ids_follow_the_binds_convention(
    receipt_id: str, convention: str, submitted: str
) -> None:
    assert submitted_id(receipt_id, convention) == submitted
