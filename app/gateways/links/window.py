"""Outstanding requests of one connection, matched to responses by sequence number.

At most `size` counted requests (submit_sm) are in flight; control requests
(enquire_link, unbind) bypass the count so a full window never hides a dead
link. Each waiter gets a Future; the reader resolves it, `fail_all` releases
every waiter when the connection dies.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from smpplib.pdu import PDU


class WindowClosed(Exception):
    """The connection ended before the response arrived."""


class ResponseTimeout(Exception):
    """No response within the response timer."""


class Window:
    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Future[PDU], bool]] = {}
        self._closed = False

    def acquire(self, timeout: float) -> bool:
        """Wait for a free slot; False on timeout or when closed."""
        if self._closed:
            return False
        return self._slots.acquire(timeout=timeout) and not self._release_if_closed()

    def _release_if_closed(self) -> bool:
        if self._closed:
            self._slots.release()
            return True
        return False

    def register(self, sequence: int, counted: bool) -> Future[PDU]:
        future: Future[PDU] = Future()
        with self._lock:
            if self._closed:
                if counted:
                    self._slots.release()
                raise WindowClosed("connection closed")
            self._pending[sequence] = (future, counted)
        return future

    def forget(self, sequence: int) -> None:
        """Give up on a request (timeout): free its slot; a late response is ignored."""
        with self._lock:
            entry = self._pending.pop(sequence, None)
        if entry is not None and entry[1]:
            self._slots.release()

    def resolve(self, sequence: int, pdu: PDU) -> bool:
        with self._lock:
            entry = self._pending.pop(sequence, None)
        if entry is None:
            return False
        future, counted = entry
        if counted:
            self._slots.release()
        future.set_result(pdu)
        return True

    def fail_all(self, reason: str) -> None:
        with self._lock:
            self._closed = True
            entries = list(self._pending.values())
            self._pending.clear()
        for future, counted in entries:
            if counted:
                self._slots.release()
            future.set_exception(WindowClosed(reason))

    @property
    def outstanding(self) -> int:
        with self._lock:
            return sum(1 for _, counted in self._pending.values() if counted)
