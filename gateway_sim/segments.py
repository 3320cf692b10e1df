"""Long messages: splitting text into parts and reading concatenation info back.

Splitting works character by character on the encoded form, so a GSM escape
pair or a UTF-16 surrogate pair is never cut in two (smpplib's make_parts does
both). Part sizes follow 3GPP 23.040: the UDH eats into the 140 octets, and for
GSM-7 the header is padded to a septet boundary.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

from gateway_sim import text_coding

SINGLE_LIMIT = {
    text_coding.DC_GSM: 160,
    text_coding.DC_ASCII: 140,
    text_coding.DC_LATIN1: 140,
    text_coding.DC_UCS2: 140,
}
UDH8_PART = {
    text_coding.DC_GSM: 153,
    text_coding.DC_ASCII: 134,
    text_coding.DC_LATIN1: 134,
    text_coding.DC_UCS2: 134,
}
UDH16_PART = {
    text_coding.DC_GSM: 152,
    text_coding.DC_ASCII: 133,
    text_coding.DC_LATIN1: 133,
    text_coding.DC_UCS2: 132,
}

ESM_UDHI = 0x40


class SplitMethod(StrEnum):
    UDH8 = "udh8"
    UDH16 = "udh16"
    SAR = "sar"
    NONE = "none"


@dataclass(frozen=True)
class Part:
    """One short_message worth of content plus how it says where it belongs."""

    body: bytes  # short_message bytes, UDH included when method is udh8/udh16
    seq: int = 1
    total: int = 1
    ref: int = 0
    method: SplitMethod = SplitMethod.NONE

    @property
    def esm_udhi(self) -> int:
        return ESM_UDHI if self.method in (SplitMethod.UDH8, SplitMethod.UDH16) else 0

    def sar_fields(self) -> dict[str, int]:
        if self.method is not SplitMethod.SAR:
            return {}
        return {
            "sar_msg_ref_num": self.ref,
            "sar_total_segments": self.total,
            "sar_segment_seqnum": self.seq,
        }


class TooLong(ValueError):
    pass


def chunk(text: str, data_coding: int, budget: int) -> list[bytes]:
    """Encode and cut into chunks of at most ``budget`` octets on character boundaries."""
    chunks: list[bytes] = []
    current = bytearray()
    for ch in text:
        enc = text_coding.char_bytes(ch, data_coding)
        if current and len(current) + len(enc) > budget:
            chunks.append(bytes(current))
            current = bytearray()
        current += enc
    if current or not chunks:
        chunks.append(bytes(current))
    return chunks


def split(text: str, data_coding: int, method: SplitMethod, ref: int) -> list[Part]:
    """Split ``text`` into parts. A text that fits one message is never split."""
    encoded_len = len(text_coding.encode(text, data_coding))
    if method is SplitMethod.NONE or encoded_len <= SINGLE_LIMIT[data_coding]:
        if method is SplitMethod.NONE and encoded_len > 254:
            raise TooLong("text exceeds 254 octets and split is 'none'")
        return [Part(text_coding.encode(text, data_coding))]
    per_part = (UDH16_PART if method is SplitMethod.UDH16 else UDH8_PART)[data_coding]
    chunks = chunk(text, data_coding, per_part)
    total = len(chunks)
    if total > 255:
        raise TooLong(f"{total} parts; at most 255")
    parts = []
    for seq, body in enumerate(chunks, start=1):
        if method is SplitMethod.UDH8:
            body = bytes([0x05, 0x00, 0x03, ref & 0xFF, total, seq]) + body
        elif method is SplitMethod.UDH16:
            body = (
                bytes([0x06, 0x08, 0x04])
                + struct.pack(">H", ref & 0xFFFF)
                + bytes([total, seq])
                + body
            )
        parts.append(
            Part(body, seq, total, ref if method is not SplitMethod.UDH8 else ref & 0xFF, method)
        )
    return parts


@dataclass(frozen=True)
class Concat:
    """Concatenation info found in a received PDU."""

    ref: int
    total: int
    seq: int
    method: SplitMethod


class BadUdh(ValueError):
    pass


def strip_udh(short_message: bytes) -> tuple[bytes, Concat | None]:
    """Split a UDHI short_message into (text bytes, concat info or None).

    Information elements other than concatenation (ports, etc.) are skipped.
    """
    if not short_message:
        raise BadUdh("esm_class has UDHI but short_message is empty")
    udhl = short_message[0]
    if udhl + 1 > len(short_message):
        raise BadUdh(f"UDH length {udhl} exceeds short_message ({len(short_message)} octets)")
    header = short_message[1 : 1 + udhl]
    concat: Concat | None = None
    i = 0
    while i < len(header):
        if i + 2 > len(header):
            raise BadUdh("truncated information element")
        iei, iel = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + iel]
        if len(data) != iel:
            raise BadUdh("truncated information element")
        if iei == 0x00 and iel == 3:
            concat = Concat(data[0], data[1], data[2], SplitMethod.UDH8)
        elif iei == 0x08 and iel == 4:
            concat = Concat((data[0] << 8) | data[1], data[2], data[3], SplitMethod.UDH16)
        i += 2 + iel
    if concat is not None and (concat.total == 0 or not 1 <= concat.seq <= concat.total):
        raise BadUdh(f"segment {concat.seq} of {concat.total}")
    return short_message[1 + udhl :], concat


@dataclass
class PendingMessage:
    first_seen: float
    parts: dict[int, bytes]
    meta: dict


class Reassembler:
    """Collect parts keyed by (source, destination, method, ref, total), any order."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._pending: dict[tuple, PendingMessage] = {}

    def add(
        self, key: tuple, concat: Concat, body: bytes, meta: dict, now: float
    ) -> tuple[list[bytes], list[dict]] | None:
        """Store one part; return (bodies in order, metas in order) once all are in."""
        full_key = (*key, concat.method, concat.ref, concat.total)
        pending = self._pending.setdefault(full_key, PendingMessage(now, {}, {}))
        pending.parts[concat.seq] = body
        pending.meta[concat.seq] = meta
        if len(pending.parts) < concat.total:
            return None
        del self._pending[full_key]
        order = sorted(pending.parts)
        return [pending.parts[s] for s in order], [pending.meta[s] for s in order]

    def expire(self, now: float) -> list[PendingMessage]:
        """Drop and return messages whose parts stopped arriving."""
        gone = [k for k, p in self._pending.items() if now - p.first_seen > self.timeout]
        return [self._pending.pop(k) for k in gone]

    def clear(self) -> None:
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)
