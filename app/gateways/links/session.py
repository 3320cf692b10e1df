"""What every connection-oriented session shares (SMPP, CMPP): a socket, serialised
sends, sequence numbers, a window of outstanding requests matched by sequence
number, a reader thread, one close.

The protocol subclass reads one frame off the socket (`_read_frame`) and
dispatches it (`_dispatch`), resolving responses into `window`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from app.gateways.links.window import ResponseTimeout, Window, WindowClosed


class ConnectionClosed(Exception):
    """The peer closed the socket or it failed."""


class SequenceNumbers:
    """Thread-safe 1..0x7FFFFFFF counter; also the `client` smpplib asks for sequences."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sequence = 0

    def next_sequence(self) -> int:
        with self._lock:
            self.sequence = self.sequence % 0x7FFFFFFF + 1
            return self.sequence


class StreamSession:
    #: The subclass's logger: tests and operators filter by protocol.
    log = logging.getLogger("smshall.session")
    #: Names the reader thread.
    protocol = "link"
    #: The peer ended the session (SMPP unbind, CMPP TERMINATE), not the network.
    ended_by_peer = False

    def __init__(
        self,
        sock: socket.socket,
        name: str,
        window_size: int,
        on_request: Callable[[Any, Any], None],
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.sock = sock
        self.name = name
        self.window = Window(window_size)
        self.sequences = SequenceNumbers()
        #: Requests of the peer the session does not answer itself go here.
        self.on_request = on_request
        self.on_event = on_event or (lambda _: None)
        self._reader = threading.Thread(
            target=self._read_loop, name=f"{self.protocol}-read-{name}", daemon=True
        )
        self.closed = threading.Event()
        self.close_reason = ""
        self.closed_at: float | None = None
        self.last_received = time.monotonic()
        self._send_lock = threading.Lock()
        self._close_lock = threading.Lock()

    def start(self) -> None:
        self.sock.settimeout(None)
        self._reader.start()

    def next_sequence(self) -> int:
        return self.sequences.next_sequence()

    def _read_frame(self) -> bytes | None:
        """One whole frame off the socket; None once the stream cannot be read on
        (the subclass has closed the session). Raises ConnectionClosed."""
        raise NotImplementedError

    def _dispatch(self, frame: bytes) -> None:
        raise NotImplementedError

    def _read_loop(self) -> None:
        """Never dies on what the peer sends: a frame it fails to handle is logged."""
        while not self.closed.is_set():
            try:
                frame = self._read_frame()
            except ConnectionClosed as error:
                self.close(str(error) or "connection lost")
                return
            if frame is None:
                return
            self.last_received = time.monotonic()
            try:
                self._dispatch(frame)
            except Exception:
                self.log.exception("%s: failed to handle a PDU; carrying on", self.name)

    def _reply(self, frame: bytes) -> bool:
        """Send an answer to the peer; False if the connection is gone."""
        try:
            self.send(frame)
        except WindowClosed:
            return False
        return True

    def send(self, frame: bytes) -> None:
        if self.closed.is_set():
            raise WindowClosed(self.close_reason or "connection closed")
        try:
            with self._send_lock:
                self.sock.sendall(frame)
        except OSError as error:
            self.close(f"send failed: {error}")
            raise WindowClosed(str(error)) from error

    def _exchange(
        self, sequence: int, frame: bytes, *, timeout: float, counted: bool, label: str
    ) -> Any:
        """Send a request framed with `sequence` and wait for its response. Raises
        WindowClosed (connection gone, or no window slot in time) or ResponseTimeout."""
        future = self.window.register(sequence, counted)
        try:
            self.send(frame)
        except Exception:
            self.window.forget(sequence)
            raise
        try:
            return future.result(timeout)
        except FutureTimeout:
            self.window.forget(sequence)
            raise ResponseTimeout(f"{label} #{sequence}: no response in {timeout:.1f}s") from None

    def _slot(self, counted: bool, timeout: float) -> None:
        if counted and not self.window.acquire(timeout):
            raise WindowClosed("no window slot" if not self.closed.is_set() else self.close_reason)

    def close(self, reason: str) -> None:
        with self._close_lock:
            if self.closed.is_set():
                return
            self.close_reason = reason
            self.closed_at = time.monotonic()
            self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.window.fail_all(reason)
        self.log.info("%s: connection closed: %s", self.name, reason)
