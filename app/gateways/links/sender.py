"""The link sender: claims queued replies of one link transport and submits them through its binds.

The transport is a `ReplyCodec` (`SmppReplies` for `smpp`, `CmppReplies` for
`cmpp`): it names the channel, turns a reply into the wire parts of a link and
says what each submit status means. The loop, claims, retries and marks are
the same for all. Statuses below are SMPP's; CMPP's are alike (Result 8 is
flow control).

Claims are short transactions of up to `outbox_batch_size` rows, never more
than the binds' windows can carry; sending happens outside any transaction.
Per part: ESME_RTHROTTLED / ESME_RMSGQFUL pause the bind and the same part is
sent again first (a few times); other temporary statuses, a lost connection or
a missing response put the reply back in the queue with exponential backoff;
permanent statuses fail it. The parts of a long reply accepted before it went
back in the queue are written with the retry (not one by one as they are
accepted: that would cost a transaction per part); its next attempt sends only
the rest, with the same reference (the row id), so the handset joins them all.
A reply whose submit was sent but whose response was lost (connection killed
mid-window), or whose sender died between parts, is sent again later: the SMSC
may then carry it twice, which SMPP cannot rule out; nothing is acted on twice.
Replies whose every part was accepted are marked sent in batches, one
transaction for all that finished meanwhile (`app/gateways/batches.py`); no
more replies than the binds' windows are submitted and not yet marked
(`app/gateways/unsettled.py`), so a crash sends at most a window twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from app.gateways.batches import Batches
from app.gateways.links.supervision import NotBound
from app.gateways.links.window import ResponseTimeout, WindowClosed
from app.gateways.sending import ReplySender
from app.gateways.unsettled import UnsettledReplies
from app.gateways.verdicts import Verdict
from app.metrics import links as link_metrics
from app.metrics import replies as reply_metrics
from app.services.inbound import OutboxClaim
from app.services.outbox import (
    ClaimedReply,
    SentPart,
    claim_replies,
    mark_failed,
    mark_sent,
    mark_sent_many,
    notice_rules,
    still_to_send,
)
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.outbox")

#: Resends of one part after ESME_RTHROTTLED / ESME_RMSGQFUL before the reply is requeued.
THROTTLED_RESENDS = 5
#: The most claimed replies held at once (each waits on a thread of the pool).
MAX_IN_HAND = 32
#: The most replies marked sent in one transaction.
MARK_BATCH = 100


class Transmitters(Protocol):
    """A transport's links. A link has `config.name` and `submit(part)` giving an
    outcome with `status` and `message_id`; `submit` raises NotBound (not sent),
    WindowClosed or ResponseTimeout (sent, outcome unknown)."""

    @property
    def any_transmitter(self) -> bool: ...

    def transmitter(self) -> Any: ...

    def window_capacity(self) -> int: ...


class ReplyCodec(Protocol):
    """A transport's side of sending replies."""

    channel: str

    def prepare(self, reply: ClaimedReply) -> Any:
        """The reply encoded once (alphabet, parts), whatever link carries it."""

    def parts(self, reply: ClaimedReply, prepared: Any, link: Any) -> list[Any]:
        """What `link.submit` takes for each part."""

    def verdict(self, status: int, link: Any) -> Verdict:
        """What a submit `status` means on `link` (CMPP's Result 9 depends on its version)."""

    def describe(self, status: int) -> str: ...


class LinkSender(ReplySender):
    """Sends the replies of one link transport (SMPP, CMPP) through its binds."""

    thread_name = "outbox-sender"

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        transmitters: Transmitters,
        settings: Settings,
        replies: ReplyCodec,
        worker: str | None = None,
    ) -> None:
        super().__init__(uow_factory, settings)
        self.replies = replies
        self.channel = replies.channel
        self.transmitters = transmitters
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._in_flight = 0
        #: Replies may wait queued because this sender had no room for them: a finished
        #: send then wakes the claim loop. Otherwise the loop sleeps until new rows are
        #: queued unclaimed (`wake`) or its poll interval, instead of a claim per send.
        self._behind = False
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=MAX_IN_HAND, thread_name_prefix="outbox")
        self.unsettled = UnsettledReplies(transmitters.window_capacity)
        self._marks: Batches[tuple[int, list[SentPart]]] = Batches(
            self._mark_sent, workers=1, size=MARK_BATCH, name="outbox-marks"
        )
        self.counters.update(claimed=0, handed=0)

    def mark_counters(self) -> dict[str, int]:
        return dict(self._marks.counters)

    def start(self) -> None:
        self._marks.start()
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self._pool.shutdown(wait=True)
        self._marks.stop(timeout)  # after the last send, so every mark is written

    def offer_claim(self) -> OutboxClaim | None:
        """A claim for replies about to be written, if there is room for them in hand;
        else None, and the poll claims them once there is."""
        with self._lock:
            if self._stop.is_set() or self._in_flight >= MAX_IN_HAND:
                self._behind = not self._stop.is_set()
                return None  # stopping: leave them queued for the next start, unclaimed
        if not self.transmitters.any_transmitter:
            return None
        return OutboxClaim(self.channel, self.worker, self.settings.outbox_claim_lease)

    def take(self, replies: list[ClaimedReply]) -> None:
        """Send replies claimed for this sender when they were written."""
        if self._stop.is_set():
            # Claimed just as the sender stopped: the lease runs out and they go then.
            log.warning("%d claimed replies left to their lease: the sender stopped", len(replies))
            return
        replies = still_to_send(self.uow_factory, replies)
        self.counters["handed"] += len(replies)
        with self._lock:
            self._in_flight += len(replies)
        for reply in replies:
            self._pool.submit(self._send_guarded, reply)

    def claim_and_send(self) -> int:
        if not self.transmitters.any_transmitter:
            return 0
        # Up to four windows' worth in hand: replies wait for a window slot in memory, and
        # each claim (a transaction) takes several rows instead of the one slot just freed.
        capacity = min(MAX_IN_HAND, 4 * self.transmitters.window_capacity())
        with self._lock:
            room = min(self.settings.outbox_batch_size, capacity - self._in_flight)
        if room <= 0:
            self._behind = True
            return 0
        replies = claim_replies(
            self.uow_factory,
            self.channel,
            self.worker,
            room,
            self.settings.outbox_claim_lease,
            notice_rules(self.settings),
        )
        self._behind = len(replies) == room  # a full claim: more may be waiting
        self.counters["claimed"] += len(replies)
        # An opt-out or cancel may have committed since the claim: look once more.
        for reply in still_to_send(self.uow_factory, replies):
            with self._lock:
                self._in_flight += 1
            self._pool.submit(self._send_guarded, reply)
        return len(replies)

    def _send_guarded(self, reply: ClaimedReply) -> None:
        try:
            self.send(reply)
        except Exception:
            log.exception("reply %d: sending failed", reply.id)
            self._retry(reply, "internal error", None)
        finally:
            with self._lock:
                self._in_flight -= 1
            if self._behind:
                self._wake.set()

    def send(self, reply: ClaimedReply) -> None:
        if not self.unsettled.enter(self._stop):
            self._retry(reply, "sender stopping", None, delay=0.0)
            return
        marking = False
        try:
            marking = self._send_parts(reply)
        except Exception:
            log.exception("reply %d: sending failed", reply.id)
            self._retry(reply, "internal error", None)
        finally:
            if not marking:  # its outcome is written already: a retry or a failure
                self.unsettled.leave()

    def _send_parts(self, reply: ClaimedReply) -> bool:
        """Submit every part; True once the reply is queued to be marked sent (it
        stays unsettled until that commits)."""
        codec = self.replies
        prepared = codec.prepare(reply)
        # A retried long reply goes on from the first part no attempt had accepted.
        sent: list[SentPart] = list(reply.accepted)
        part_count: int | None = None
        index = len(sent)
        throttled = 0

        def retry(error: str, status: int | None, delay: float | None = None) -> bool:
            new = sent if len(sent) > len(reply.accepted) else []
            self._retry(reply, error, status, delay, new)
            return False

        while part_count is None or index < part_count:
            connection = self.transmitters.transmitter()
            if connection is None:
                return retry("no bound transmitter", None, delay=1.0)
            fields = codec.parts(reply, prepared, connection)
            part_count = len(fields)
            if index >= part_count:
                break
            try:
                outcome = connection.submit(fields[index])
            except NotBound as error:
                return retry(f"not bound: {error}", None, delay=1.0)
            except (WindowClosed, ResponseTimeout) as error:
                return retry(f"outcome unknown: {error}", None)
            result = codec.verdict(outcome.status, connection)
            if result is Verdict.OK:
                sent.append(SentPart(connection.config.name, outcome.message_id))
                index += 1
                throttled = 0
                continue
            link_metrics.submit_refused(self.channel, connection.config.name, outcome.status)
            if result is Verdict.THROTTLED and throttled < THROTTLED_RESENDS:
                throttled += 1  # the link is paused now; this part goes again first
                continue
            described = codec.describe(outcome.status)
            if result is Verdict.PERMANENT:
                self.counters["failed"] += 1
                log.warning("reply %d to %s failed: %s", reply.id, reply.msisdn, described)
                mark_failed(self.uow_factory, reply.id, described, outcome.status)
                return False
            return retry(described, outcome.status)
        self._marks.put((reply.id, sent))
        self.counters["sent"] += 1
        reply_metrics.submitted(reply)
        # The text stays out of the log: replies may quote a birthday or a name.
        log.info(
            "reply %d to %s sent by %s in %d part(s), %d chars, ids=%s",
            reply.id, reply.msisdn, self.channel, len(sent), len(reply.text),
            ",".join(p.message_id for p in sent),
        )  # fmt: skip
        return True

    def _mark_sent(self, batch: list[tuple[int, list[SentPart]]]) -> None:
        try:
            self._write_marks(batch)
        finally:
            self.unsettled.leave(len(batch))

    def _write_marks(self, batch: list[tuple[int, list[SentPart]]]) -> None:
        try:
            mark_sent_many(self.uow_factory, batch)
            return
        except Exception:
            log.exception("marking %d replies sent failed; marking one by one", len(batch))
        for reply_id, parts in batch:
            try:
                mark_sent(self.uow_factory, reply_id, parts)
            except Exception:
                # The claim's lease runs out and the reply is sent again: a duplicate,
                # never a loss.
                log.exception("reply %d: sent but not marked", reply_id)
