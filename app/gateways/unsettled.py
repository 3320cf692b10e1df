"""A bound on the replies a crash can send twice.

A reply is *unsettled* from its first submit until its outcome (sent, failed or a
retry) is committed. A process killed meanwhile leaves it claimed but not marked,
so it goes again when the claim's lease ends: the SMSC may already hold it. The
sender lets no more replies be unsettled at once than its binds' windows carry,
so a crash duplicates at most one window of replies, however fast the marks
queue up behind a slow database (issue: crash duplicates bounded).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class UnsettledReplies:
    def __init__(self, capacity: Callable[[], int], poll: float = 0.5) -> None:
        self._capacity = capacity
        self._poll = poll  # capacity changes with binds coming and going: look again
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    def enter(self, stop: threading.Event) -> bool:
        """Wait for room for one more; False if `stop` was set first."""
        with self._changed:
            while self._count >= max(1, self._capacity()):
                if stop.is_set():
                    return False
                self._changed.wait(self._poll)
            self._count += 1
            return True

    def leave(self, settled: int = 1) -> None:
        with self._changed:
            self._count = max(0, self._count - settled)
            # As many waiters as places freed: waking every sending thread for one
            # place would have them all fight for the GIL to find it taken.
            self._changed.notify(settled)
