"""A message id for MO, which deliver_sm does not carry.

SMPP gives an MO no SMSC message id, yet an SMSC that did not get our
deliver_sm_resp sends the same deliver_sm again. An arrival is identified by

    digest = sha256(bind | source | destination | data_coding |
                    user_message_reference | message bytes)[:24]

(the reassembled payload for a long MO; `user_message_reference`, TLV 0x0204,
is the handset's TP-MR when the SMSC passes it). The key handed to
`handle_inbound` is "mo:<digest>:<n>". An identical arrival within `window`
seconds (`smpp_mo_dedupe_window`) reuses the earlier key, so it is answered
from the first copy and acted on once, *only if the earlier copy may not have
been acknowledged*: its deliver_sm_resp is not sent yet, was an error, could
not be written, was sent after `ack_grace` seconds (the SMSC may have timed
out), or its connection died within `ack_grace` seconds of sending it.
Otherwise the SMSC surely has our response, and an identical text is the
subscriber sending again: a new message with a new key.

The memory is per process. An arrival it has no copy of is looked up in the
database by its digest as well (`ContentKey`): an MO recorded within `window`
seconds under the same digest and never marked acknowledged was taken by a
process that died before acknowledging it (or by another process), so this is
that MO again. Acknowledgements are marked in batches just after they are
sent, so a subscriber who sends the same text twice across a crash in that
instant is answered once.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Arrival:
    key: str
    seen_at: float
    answered_at: float | None = None
    answered_ok: bool = False
    link_closed_at: Callable[[], float | None] = lambda: None


class MoDedupe:
    def __init__(
        self, window: float, ack_grace: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.ack_grace = ack_grace
        self.clock = clock
        self._lock = threading.Lock()
        self._arrivals: OrderedDict[str, _Arrival] = OrderedDict()
        self._serial = itertools.count(time.time_ns() // 1000)

    @staticmethod
    def digest(
        bind: str,
        source: str,
        destination: str,
        data_coding: int,
        payload: bytes,
        user_reference: int | None = None,
    ) -> str:
        head = f"{bind}|{source}|{destination}|{data_coding}|{user_reference}|".encode()
        return hashlib.sha256(head + payload).hexdigest()[:24]

    def key(self, digest: str) -> str:
        return self.identify(digest)[0]

    def identify(self, digest: str) -> tuple[str, bool]:
        """The key for an arrival, and whether an earlier copy is remembered here. If
        none is, the database is asked (`ContentKey.look_back_to`): the copy may have
        gone to a process that died before acknowledging it."""
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            earlier = self._arrivals.get(digest)
            if earlier is not None and self._maybe_unacknowledged(earlier):
                return earlier.key, True
            arrival = _Arrival(f"mo:{digest}:{next(self._serial)}", now)
            self._arrivals[digest] = arrival
            self._arrivals.move_to_end(digest)
            return arrival.key, earlier is not None

    def answered(self, key: str, ok: bool, link_closed_at: Callable[[], float | None]) -> bool:
        """Our deliver_sm_resp for `key` was written (ok=True, status 0) or not. True if
        it was, in time for the SMSC to have it (worth recording as acknowledged)."""
        digest = key.split(":")[1]
        with self._lock:
            arrival = self._arrivals.get(digest)
            if arrival is None or arrival.key != key:
                return False
            arrival.answered_at = self.clock()
            arrival.answered_ok = ok
            arrival.link_closed_at = link_closed_at
            return ok and arrival.answered_at - arrival.seen_at <= self.ack_grace

    def _maybe_unacknowledged(self, arrival: _Arrival) -> bool:
        if arrival.answered_at is None or not arrival.answered_ok:
            return True
        if arrival.answered_at - arrival.seen_at > self.ack_grace:
            return True
        closed = arrival.link_closed_at()
        return closed is not None and closed - arrival.answered_at < self.ack_grace

    def _forget_old(self, now: float) -> None:
        while self._arrivals:
            digest, oldest = next(iter(self._arrivals.items()))
            if now - oldest.seen_at < self.window:
                return
            del self._arrivals[digest]
