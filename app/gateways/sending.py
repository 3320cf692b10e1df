"""What every reply sender shares, whatever carries the replies.

A sender claims queued replies of its channel from the outbox, hands each to
its transport and writes the outcome: sent, failed, or back in the queue with
backoff. The poll loop, the wake-up on new rows, the retry policy and the
sweep for early receipts that met their part in a race live here;
each transport's sender (`links/sender.py` with the codec of SMPP or CMPP, `http/kannel_sender.py`
for Kannel's sendsms) only says how one claim is sent.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from app.domain.states import ReplyState
from app.services.outbox import ClaimedReply, SentPart, on_queued, schedule_retry
from app.services.receipts import settle_stray_receipts
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.outbox")

#: Seconds between sweeps for early receipts whose part is known by now.
STRAY_RECEIPTS_EVERY = 1.0


def retry_delay(attempts: int, base: float = 2.0, rng: random.Random | None = None) -> float:
    """base, 2 base, 4 base … seconds, at most 5 minutes, with jitter."""
    return min(300.0, base * 2.0 ** max(0, attempts - 1)) * (rng or random).uniform(0.75, 1.25)


def retry_later(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    reply: ClaimedReply,
    error: str,
    status: int | None,
    delay: float | None = None,
    accepted: Sequence[SentPart] = (),
) -> str:
    """A temporary failure of any sender: back off and try again, or give up
    after `outbox_max_attempts`. Returns the reply's state. `accepted` are the
    parts of a long reply the SMSC took before the failure: the next attempt
    goes on after them."""
    wait = retry_delay(reply.attempts, settings.outbox_retry_base) if delay is None else delay
    state = schedule_retry(
        uow_factory, reply.id, error, status, wait, settings.outbox_max_attempts, accepted
    )
    log.info(
        "reply %d: %s; %s",
        reply.id,
        error,
        "gave up" if state == ReplyState.FAILED else f"retry in {wait:.1f}s",
    )
    return state


class ReplySender(ABC):
    """The contract of a transport's sender and its claim loop.

    `claim_and_send` claims what it has room for and starts sending it; the loop
    calls it again at once while it finds work, else after `wake` (a reply was
    queued unclaimed) or the poll interval, which only catches up after a crash
    or a full window.
    """

    #: The outbox channel whose replies this sender carries.
    channel: str
    #: Names the loop's thread, for logs and thread dumps.
    thread_name = "reply-sender"

    def __init__(self, uow_factory: Callable[[], UnitOfWork], settings: Settings) -> None:
        self.uow_factory = uow_factory
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.counters: dict[str, int] = {"sent": 0, "retried": 0, "failed": 0}
        self._unsubscribe: Callable[[], None] | None = None

    @abstractmethod
    def claim_and_send(self) -> int:
        """Claim a batch and start sending it; the number of replies claimed."""

    def start(self) -> None:
        # Replies another process queues (or this one, unclaimed) wake the loop at once.
        self._unsubscribe = on_queued(self.uow_factory, self.channel, self.wake)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout)

    def wake(self) -> None:
        """New rows were queued: look now instead of at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        poll = self.settings.outbox_poll_interval
        swept = time.monotonic()
        while not self._stop.is_set():
            try:
                claimed = self.claim_and_send()
            except Exception:
                log.exception("%s sender: claim failed", self.channel)
                claimed = 0
            if time.monotonic() - swept >= STRAY_RECEIPTS_EVERY:
                swept = time.monotonic()
                self._sweep_receipts()
            if not claimed:
                self._wake.wait(poll)
                self._wake.clear()

    def _sweep_receipts(self) -> None:
        try:
            settled = settle_stray_receipts(self.uow_factory)
        except Exception:
            log.exception("%s sender: settling early receipts failed", self.channel)
            return
        if settled:
            log.info("%s sender: %d early receipt(s) settled", self.channel, settled)

    def _retry(
        self,
        reply: ClaimedReply,
        error: str,
        status: int | None,
        delay: float | None = None,
        accepted: Sequence[SentPart] = (),
    ) -> None:
        self.counters["retried"] += 1
        retry_later(self.uow_factory, self.settings, reply, error, status, delay, accepted)
