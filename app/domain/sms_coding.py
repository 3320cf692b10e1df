"""SMS alphabets, lengths and long-message splitting (GSM 03.38 / 03.40, SMPP 3.4 §5.2.19).

Pure functions over bytes and str. MT text goes out as GSM 7-bit (one septet
per octet, "unpacked", as SMPP's data_coding 0 means) when every character is
in the GSM default alphabet or its extension table, and as UCS-2 (UTF-16BE)
otherwise. A single message holds 160 septets or 70 UTF-16 units; parts of a
concatenated message hold 153/67 with an 8-bit reference and 152/66 with a
16-bit one. A part never ends inside an escape pair (`ESC` + extension char)
or a surrogate pair (emoji), so each part decodes on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ESC = 0x1B

#: GSM 03.38 default alphabet, indexed by septet value.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table, reached through ESC.
GSM_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_BASIC_CODE = {ch: i for i, ch in enumerate(GSM_BASIC) if i != ESC}
_EXTENSION_CODE = {ch: code for code, ch in GSM_EXTENSION.items()}

GSM7 = 0x00
IA5 = 0x01
OCTET = 0x02
LATIN1 = 0x03
UCS2 = 0x08

SINGLE_SEPTETS = 160
SINGLE_UCS2_UNITS = 70


class ReferenceSize(StrEnum):
    """Concatenation reference width: IEI 0x00 (8-bit) or IEI 0x08 (16-bit)."""

    BITS8 = "8"
    BITS16 = "16"


def _part_limit(data_coding: int, reference: ReferenceSize) -> int:
    """Characters (septets or UTF-16 units) per part of a concatenated message."""
    gsm = data_coding in (GSM7, IA5)
    if reference is ReferenceSize.BITS16:
        return 152 if gsm else 66
    return 153 if gsm else 67


def fits_gsm7(text: str) -> bool:
    return all(ch in _BASIC_CODE or ch in _EXTENSION_CODE for ch in text)


def _gsm_char(ch: str) -> bytes:
    code = _BASIC_CODE.get(ch)
    if code is not None:
        return bytes((code,))
    return bytes((ESC, _EXTENSION_CODE[ch]))


def encode_gsm7(text: str) -> bytes:
    """Unpacked GSM 7-bit: one septet per octet, extension characters as ESC pairs."""
    return b"".join(_gsm_char(ch) for ch in text)


def decode_gsm7(data: bytes) -> str:
    """Unpacked GSM 7-bit. An unknown extension shows its basic character (03.38 §6.2.1.1)."""
    out: list[str] = []
    i = 0
    while i < len(data):
        septet = data[i] & 0x7F
        if septet == ESC and i + 1 < len(data):
            following = data[i + 1] & 0x7F
            out.append(GSM_EXTENSION.get(following, GSM_BASIC[following]))
            i += 2
            continue
        out.append(" " if septet == ESC else GSM_BASIC[septet])
        i += 1
    return "".join(out)


def decode(data: bytes, data_coding: int) -> str:
    """Text of a short message by its SMPP data_coding; never assumes UTF-8.

    0 = SMSC default (GSM 03.38 unpacked), 1 = IA5/ASCII, 3 = Latin-1,
    8 = UCS-2 (read as UTF-16BE so surrogate pairs survive), 2/4 = octets
    (shown as Latin-1), 15 = GBK (the China Mobile CMPP convention). The GSM
    data coding groups (0x10-0x7F, 0xC0-0xFF) are read by their alphabet bits.
    """
    if data_coding == GSM7:
        return decode_gsm7(data)
    if data_coding == IA5:
        return data.decode("ascii", errors="replace")
    if data_coding == LATIN1 or data_coding in (OCTET, 0x04):
        return data.decode("latin-1")
    if data_coding == UCS2:
        return _decode_ucs2(data)
    if data_coding == 0x0F:
        return data.decode("gbk", errors="replace")
    if 0xF0 <= data_coding <= 0xFF:
        return data.decode("latin-1") if data_coding & 0x04 else decode_gsm7(data)
    if 0xE0 <= data_coding <= 0xEF:
        return _decode_ucs2(data)
    if 0xC0 <= data_coding <= 0xDF:
        return decode_gsm7(data)
    if 0x10 <= data_coding <= 0x7F:
        alphabet = (data_coding >> 2) & 0x03
        if alphabet == 2:
            return _decode_ucs2(data)
        return data.decode("latin-1") if alphabet == 1 else decode_gsm7(data)
    return data.decode("latin-1")


def _decode_ucs2(data: bytes) -> str:
    if len(data) % 2:
        data = data[:-1]
    return data.decode("utf-16-be", errors="replace")


def _char_cost(ch: str, data_coding: int) -> int:
    if data_coding in (GSM7, IA5):  # ASCII goes on air as GSM 7-bit: the same costs
        return 1 if ch in _BASIC_CODE else 2
    return 2 if ord(ch) > 0xFFFF else 1


def _encode(text: str, data_coding: int) -> bytes:
    if data_coding == IA5:
        return text.encode("ascii")
    return encode_gsm7(text) if data_coding == GSM7 else text.encode("utf-16-be")


@dataclass(frozen=True, slots=True)
class EncodedText:
    """A message ready for the wire: its data_coding and the body of each part."""

    data_coding: int
    parts: tuple[bytes, ...]
    whole: bytes

    @property
    def concatenated(self) -> bool:
        return len(self.parts) > 1


def coding_for(text: str) -> int:
    return GSM7 if fits_gsm7(text) else UCS2


def length(text: str) -> int:
    """Septets (GSM 7-bit) or UTF-16 units (UCS-2) the text takes."""
    data_coding = coding_for(text)
    return sum(_char_cost(ch, data_coding) for ch in text)


def fits_ascii(text: str) -> bool:
    """ASCII that the SMSC can carry as GSM 7-bit (CMPP's Msg_Fmt 0): no ` and no controls
    but CR and LF."""
    return text.isascii() and fits_gsm7(text)


def split(
    text: str, reference: ReferenceSize = ReferenceSize.BITS8, data_coding: int | None = None
) -> EncodedText:
    """Encode the text and cut it into parts no wider than the part limit.

    `data_coding` is chosen by the text (`coding_for`) unless given: IA5 (ASCII
    octets, GSM 7-bit lengths) for CMPP's Msg_Fmt 0 when `fits_ascii`, or UCS2.

    Characters are never cut: an extension character (2 septets) or an astral
    character (a surrogate pair, 2 units) moves whole to the next part.
    """
    data_coding = coding_for(text) if data_coding is None else data_coding
    single = SINGLE_SEPTETS if data_coding in (GSM7, IA5) else SINGLE_UCS2_UNITS
    costs = [_char_cost(ch, data_coding) for ch in text]
    whole = _encode(text, data_coding)
    if sum(costs) <= single:
        return EncodedText(data_coding, (whole,), whole)
    limit = _part_limit(data_coding, reference)
    parts: list[bytes] = []
    start, used = 0, 0
    for i, cost in enumerate(costs):
        if used + cost > limit:
            parts.append(_encode(text[start:i], data_coding))
            start, used = i, 0
        used += cost
    parts.append(_encode(text[start:], data_coding))
    return EncodedText(data_coding, tuple(parts), whole)


def concatenation_header(reference: int, total: int, number: int, size: ReferenceSize) -> bytes:
    """The user data header of one part: IEI 0x00 (8-bit ref) or IEI 0x08 (16-bit ref)."""
    if not 1 <= number <= total <= 255:
        raise ValueError(f"part {number} of {total} is out of range")
    if size is ReferenceSize.BITS16:
        return bytes((6, 0x08, 4, (reference >> 8) & 0xFF, reference & 0xFF, total, number))
    return bytes((5, 0x00, 3, reference & 0xFF, total, number))
