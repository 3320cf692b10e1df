"""Reading whole PDUs off a stream socket: 4-byte length, then the rest."""

from __future__ import annotations

import socket
import struct

from app.gateways.links.session import ConnectionClosed

__all__ = ["BadLength", "ConnectionClosed", "read_exactly", "read_frame"]

MIN_LENGTH = 16
#: Larger than any legal PDU (message_payload is at most 64 KB) with headroom.
MAX_LENGTH = 70_000


class BadLength(Exception):
    """command_length is impossible; the stream cannot be trusted after it."""

    def __init__(self, length: int, sequence: int) -> None:
        super().__init__(f"command_length {length}")
        self.length = length
        self.sequence = sequence


def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        try:
            chunk = sock.recv(remaining)
        except OSError as error:
            raise ConnectionClosed(str(error)) from error
        if not chunk:
            raise ConnectionClosed("peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket) -> bytes:
    """One PDU (header included). Raises `BadLength` or `ConnectionClosed`."""
    prefix = read_exactly(sock, 4)
    (length,) = struct.unpack(">L", prefix)
    if length < MIN_LENGTH or length > MAX_LENGTH:
        # Read what is there of the header for the sequence number to echo.
        sock.settimeout(0.2)
        try:
            rest = sock.recv(12)
        except OSError:
            rest = b""
        sequence = struct.unpack(">L", rest[8:12])[0] if len(rest) >= 12 else 0
        raise BadLength(length, sequence)
    return prefix + read_exactly(sock, length - 4)
