"""Msg_Fmt: CMPP's alphabet byte, to and from text, on top of `app/domain/sms_coding.py`.

Msg_Fmt 0 is ASCII (the ISMG carries it on air as GSM 7-bit), 8 UCS-2
big-endian, 15 GBK (handsets' Chinese MO), 4 binary, 3 write-card. A reply
goes as 0 when it is ASCII the GSM alphabet holds, else as 8.
"""

from __future__ import annotations

from app.domain import sms_coding
from app.domain.sms_coding import IA5, UCS2, EncodedText, ReferenceSize

ASCII = 0
WRITE_CARD = 3
BINARY = 4
UCS2_FMT = 8
GBK = 15

#: How `sms_coding.decode` reads each Msg_Fmt (its own numbers are SMPP data_coding).
_DATA_CODING = {ASCII: IA5, WRITE_CARD: 0x04, BINARY: 0x04, UCS2_FMT: UCS2, GBK: 0x0F}


def data_coding(msg_fmt: int) -> int:
    """The SMPP data_coding with the same alphabet (unknown formats read as octets)."""
    return _DATA_CODING.get(msg_fmt, 0x04)


def decode(content: bytes, msg_fmt: int) -> str:
    return sms_coding.decode(content, data_coding(msg_fmt))


def plan(text: str, reference: ReferenceSize = ReferenceSize.BITS8) -> tuple[int, EncodedText]:
    """(Msg_Fmt, the text encoded and cut into parts) for a reply."""
    if sms_coding.fits_ascii(text):
        return ASCII, sms_coding.split(text, reference, IA5)
    return UCS2_FMT, sms_coding.split(text, reference, UCS2)
