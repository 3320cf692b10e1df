"""SMS character sets: data_coding 0 (GSM 03.38 unpacked), 1 (IA5/ASCII), 3 (Latin-1), 8 (UCS-2).

Our own GSM table: smpplib's has no '§' and uses '`' as a filler, which makes
'`' silently encodable. Decoding never raises: a simulator must show the tester
what arrived, even if it is wrong.
"""

from __future__ import annotations

DC_GSM = 0
DC_ASCII = 1
DC_LATIN1 = 3
DC_UCS2 = 8

ESC = 0x1B

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
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

_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM_BASIC) if i != ESC}
_EXT_INDEX = {ch: code for code, ch in GSM_EXTENSION.items()}

SUPPORTED = (DC_GSM, DC_ASCII, DC_LATIN1, DC_UCS2)


def gsm_fits(text: str) -> bool:
    return all(ch in _BASIC_INDEX or ch in _EXT_INDEX for ch in text)


def gsm_char_bytes(ch: str) -> bytes:
    if ch in _BASIC_INDEX:
        return bytes([_BASIC_INDEX[ch]])
    if ch in _EXT_INDEX:
        return bytes([ESC, _EXT_INDEX[ch]])
    raise UnicodeEncodeError("gsm0338", ch, 0, 1, "not in GSM 03.38")


def char_bytes(ch: str, data_coding: int) -> bytes:
    """Encoded form of one character (1-2 bytes GSM, 1 byte 8-bit, 2-4 bytes UCS-2)."""
    if data_coding == DC_GSM:
        return gsm_char_bytes(ch)
    if data_coding == DC_ASCII:
        return ch.encode("ascii")
    if data_coding == DC_LATIN1:
        return ch.encode("latin-1")
    if data_coding == DC_UCS2:
        return ch.encode("utf-16-be")
    raise ValueError(f"unsupported data_coding {data_coding}")


def encode(text: str, data_coding: int) -> bytes:
    """Raises UnicodeEncodeError if the text does not fit the coding."""
    return b"".join(char_bytes(ch, data_coding) for ch in text)


def choose_coding(text: str) -> int:
    """GSM-7 when every character fits, else UCS-2 (what a handset does)."""
    return DC_GSM if gsm_fits(text) else DC_UCS2


def decode(data: bytes, data_coding: int) -> str:
    dc = data_coding
    if dc & 0xF0 == 0xF0:
        # Message-class group: bit 2 selects 8-bit data over the GSM alphabet.
        dc = DC_LATIN1 if dc & 0x04 else DC_GSM
    if dc == DC_GSM:
        return _gsm_decode(data)
    if dc == DC_ASCII:
        return data.decode("ascii", errors="replace")
    if dc == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    # 3 is Latin-1; anything else is shown byte-for-byte rather than refused.
    return data.decode("latin-1")


def _gsm_decode(data: bytes) -> str:
    out: list[str] = []
    i = 0
    while i < len(data):
        b = data[i] & 0x7F
        if b == ESC and i + 1 < len(data):
            nxt = data[i + 1] & 0x7F
            # Unknown extension codes fall back to the basic character (03.38 §6.2.1.1).
            out.append(GSM_EXTENSION.get(nxt, GSM_BASIC[nxt] if nxt != ESC else " "))
            i += 2
            continue
        out.append(" " if b == ESC else GSM_BASIC[b])
        i += 1
    return "".join(out)
