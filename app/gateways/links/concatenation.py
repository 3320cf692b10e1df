"""Long MO (SMPP and CMPP): find the concatenation info of a part and put the parts back together.

Parts are recognised by a UDH (IEI 0x00 with an 8-bit reference, IEI 0x08
with a 16-bit one, esm_class bit 0x40) or by the SAR TLVs. They may arrive in
any order and more than once. A message whose parts are not all in within
`ttl` seconds (`smpp_concat_ttl`, default 120) is given up on: `expire()`
returns what arrived, in order, so the subscriber still gets an answer. A part
of a message completed and answered within `ttl` is a redelivery (its
deliver_sm_resp was lost) and `is_done` says so, so that it does not start a
new, never-completing message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class _Pending:
    data_coding: int
    total: int
    first_seen: float
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Assembled:
    key: tuple[str, ...]
    data_coding: int
    payload: bytes
    complete: bool


class Reassembler:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, ...], _Pending] = {}
        self._done: dict[tuple[str, ...], float] = {}

    @staticmethod
    def key_of(origin: tuple[str, ...], info: PartInfo) -> tuple[str, ...]:
        return (*origin, str(info.reference), str(info.total))

    def is_done(self, origin: tuple[str, ...], info: PartInfo) -> bool:
        with self._lock:
            done = self._done.get(self.key_of(origin, info))
        return done is not None and self.clock() - done < self.ttl

    def mark_done(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._done[key] = self.clock()

    def add(
        self, origin: tuple[str, ...], info: PartInfo, data_coding: int, payload: bytes
    ) -> Assembled | None:
        """Store a part; the whole message (payloads joined by number) once all are in."""
        key = self.key_of(origin, info)
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                pending = _Pending(data_coding, info.total, self.clock())
                self._pending[key] = pending
            pending.parts[info.number] = payload
            if len(pending.parts) < pending.total:
                return None
            del self._pending[key]
        joined = b"".join(pending.parts[n] for n in sorted(pending.parts))
        return Assembled(key, pending.data_coding, joined, complete=True)

    def expire(self) -> list[Assembled]:
        now = self.clock()
        with self._lock:
            stale = [k for k, p in self._pending.items() if now - p.first_seen >= self.ttl]
            gone = [(k, self._pending.pop(k)) for k in stale]
            for k in [k for k, t in self._done.items() if now - t >= self.ttl]:
                del self._done[k]
        return [
            Assembled(k, p.data_coding, b"".join(p.parts[n] for n in sorted(p.parts)), False)
            for k, p in gone
        ]

    def __len__(self) -> int:
        return len(self._pending)
