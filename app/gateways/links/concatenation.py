"""Long MO (SMPP and CMPP): find the concatenation info of a part.

Parts are recognised by a UDH (IEI 0x00 with an 8-bit reference, IEI 0x08
with a 16-bit one, esm_class bit 0x40) or by the SAR TLVs. They are put back
together in the database (`long_mo.py`), whichever process each comes to.
"""

from __future__ import annotations

from dataclasses import dataclass

UDHI = 0x40


@dataclass(frozen=True, slots=True)
class PartInfo:
    reference: int
    total: int
    number: int


def split_udh(body: bytes) -> tuple[bytes, bytes]:
    """(header without its length byte, payload); a header that overruns is no header."""
    if not body:
        return b"", body
    length = body[0]
    if length + 1 > len(body):
        return b"", body
    return body[1 : length + 1], body[length + 1 :]


def part_info_from_udh(header: bytes) -> PartInfo | None:
    i = 0
    while i + 2 <= len(header):
        iei, size = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + size]
        if len(data) < size:
            return None
        if iei == 0x00 and size == 3:
            return _checked(PartInfo(data[0], data[1], data[2]))
        if iei == 0x08 and size == 4:
            return _checked(PartInfo((data[0] << 8) | data[1], data[2], data[3]))
        i += 2 + size
    return None


def part_info_from_sar(
    reference: int | None, total: int | None, number: int | None
) -> PartInfo | None:
    if reference is None or total is None or number is None:
        return None
    return _checked(PartInfo(reference, total, number))


def _checked(info: PartInfo) -> PartInfo | None:
    return info if 1 <= info.number <= info.total and info.total > 1 else None
