"""Loopback ports for servers a test starts."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, never one handed out before in this
    process: the kernel may give two binds to port 0 in a row the same port."""
    while True:
        with socket.socket() as sock:
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
