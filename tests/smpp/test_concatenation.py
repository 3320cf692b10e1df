"""Reassembly of long MO (app/gateways/links/concatenation.py)."""

from __future__ import annotations

from app.gateways.links.concatenation import (
    PartInfo,
    Reassembler,
    part_info_from_sar,
    part_info_from_udh,
    split_udh,
)


def test_udh_eight_and_sixteen_bit_references() -> None:
    header, payload = split_udh(bytes([5, 0, 3, 7, 2, 1]) + b"abc")
    assert payload == b"abc"
    assert part_info_from_udh(header) == PartInfo(7, 2, 1)
    header, _ = split_udh(bytes([6, 8, 4, 1, 2, 3, 3]) + b"x")
    assert part_info_from_udh(header) == PartInfo(0x0102, 3, 3)


def test_other_information_elements_are_skipped() -> None:
    # a port-addressing IE (0x05) before the concatenation IE
    header, _ = split_udh(bytes([11, 5, 4, 0, 1, 0, 2, 0, 3, 9, 2, 2]) + b"x")
    assert part_info_from_udh(header) == PartInfo(9, 2, 2)


def test_broken_headers_are_not_parts() -> None:
    assert split_udh(bytes([40, 0, 3])) == (b"", bytes([40, 0, 3]))
    assert part_info_from_udh(bytes([0, 3, 1, 2, 3])) is None  # number > total
    assert part_info_from_udh(bytes([0, 3, 1, 1, 1])) is None  # a single part
    assert part_info_from_sar(5, 2, None) is None
    assert part_info_from_sar(5, 2, 2) == PartInfo(5, 2, 2)


def test_parts_in_any_order_and_repeated() -> None:
    r = Reassembler(ttl=60)
    origin = ("b", "13800138000", "10086")
    assert r.add(origin, PartInfo(1, 3, 3), 8, b"C") is None
    assert r.add(origin, PartInfo(1, 3, 1), 8, b"A") is None
    assert r.add(origin, PartInfo(1, 3, 1), 8, b"A") is None
    whole = r.add(origin, PartInfo(1, 3, 2), 8, b"B")
    assert whole is not None and whole.payload == b"ABC" and whole.complete
    assert len(r) == 0


def test_same_reference_from_two_senders_stays_apart() -> None:
    r = Reassembler(ttl=60)
    r.add(("b", "1", "10086"), PartInfo(1, 2, 1), 0, b"x")
    assert r.add(("b", "2", "10086"), PartInfo(1, 2, 2), 0, b"y") is None
    assert len(r) == 2


def test_missing_part_expires_after_ttl_with_what_arrived() -> None:
    now = [0.0]
    r = Reassembler(ttl=120, clock=lambda: now[0])
    r.add(("b", "1", "10086"), PartInfo(4, 3, 3), 0, b"end")
    r.add(("b", "1", "10086"), PartInfo(4, 3, 1), 0, b"start ")
    now[0] = 119.0
    assert r.expire() == []
    now[0] = 120.0
    [partial] = r.expire()
    assert partial.payload == b"start end" and not partial.complete
