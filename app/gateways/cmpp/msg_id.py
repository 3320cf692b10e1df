"""Msg_Id: 64 bits = month 4 | day 5 | hour 5 | minute 6 | second 6 | gateway id 22 | sequence 16.

The ISMG numbers each message it accepts this way; SUBMIT_RESP returns the id,
the status report of that message carries it again. Stored as the unsigned
64-bit number in decimal, the form operators' tools print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

_FIELDS = (("month", 4), ("day", 5), ("hour", 5), ("minute", 6), ("second", 6),
           ("gateway", 22), ("sequence", 16))  # fmt: skip


@dataclass(frozen=True, slots=True)
class MsgId:
    month: int
    day: int
    hour: int
    minute: int
    second: int
    gateway: int
    sequence: int

    def pack(self) -> int:
        value = 0
        for name, bits in _FIELDS:
            field = getattr(self, name)
            if not 0 <= field < (1 << bits):
                raise ValueError(f"Msg_Id {name} {field} does not fit in {bits} bits")
            value = (value << bits) | field
        return value

    @classmethod
    def unpack(cls, value: int) -> MsgId:
        fields: dict[str, int] = {}
        for name, bits in reversed(_FIELDS):
            fields[name] = value & ((1 << bits) - 1)
            value >>= bits
        return cls(**fields)

    @classmethod
    def at(cls, when: datetime, gateway: int, sequence: int) -> MsgId:
        return cls(when.month, when.day, when.hour, when.minute, when.second, gateway, sequence)


def to_bytes(value: int) -> bytes:
    return value.to_bytes(8, "big")


def from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "big")


def render(value: int) -> str:
    """The id as the outbox stores it (and as a status report is matched)."""
    return str(value)
