"""Fixed-width fields of CMPP bodies: big-endian integers and NUL-padded octet strings."""

from __future__ import annotations

import struct


class MalformedPdu(Exception):
    """A body shorter or longer than its layout, or a field that cannot be read."""


class Writer:
    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def uint(self, value: int, size: int) -> Writer:
        self._chunks.append(int(value).to_bytes(size, "big"))
        return self

    def octets(self, value: str | bytes, size: int) -> Writer:
        """An Octet String of `size`: left-aligned, NUL-padded, cut if longer."""
        data = value.encode("latin-1") if isinstance(value, str) else value
        self._chunks.append(data[:size].ljust(size, b"\x00"))
        return self

    def raw(self, data: bytes) -> Writer:
        self._chunks.append(data)
        return self

    def bytes(self) -> bytes:
        return b"".join(self._chunks)


class Reader:
    def __init__(self, body: bytes, what: str) -> None:
        self.body = body
        self.what = what
        self.offset = 0

    def _take(self, size: int) -> bytes:
        end = self.offset + size
        if end > len(self.body):
            raise MalformedPdu(
                f"{self.what}: body of {len(self.body)} octets ends at {self.offset}"
            )
        data = self.body[self.offset : end]
        self.offset = end
        return data

    def uint(self, size: int) -> int:
        return int.from_bytes(self._take(size), "big")

    def text(self, size: int) -> str:
        """An Octet String read up to its first NUL (addresses and codes are ASCII)."""
        return self._take(size).split(b"\x00", 1)[0].decode("latin-1")

    def raw(self, size: int) -> bytes:
        return self._take(size)

    def rest(self) -> int:
        return len(self.body) - self.offset

    def done(self) -> None:
        """Extra octets after the layout are tolerated (some ISMGs pad); nothing to check."""


HEADER = struct.Struct(">LLL")
