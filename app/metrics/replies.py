"""Replies by state, delivery receipts by status, and MO → reply-submitted latency.

A reply's state runs queued → sent → delivered / failed / expired, or dropped
(app/services/outbox.py); each transition is counted once, by the use case that
commits it, per batch. The latency of a reply sent by the process that took its
MO is measured from the MO's receipt (the id is remembered when the MO commits);
of one claimed from the queue later (a retry, another process) from the reply's
creation, which the MO's transaction wrote.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram

from app.domain.states import ReplyState
from app.services.clock import utc_now

REPLIES = Counter("smshall_replies", "Replies and notices entering each state", ["state"])
RECEIPTS = Counter("smshall_delivery_receipts", "Delivery receipts received, by status", ["status"])
SUBMITTED_SECONDS = Histogram(
    "smshall_mo_reply_submitted_seconds",
    "Seconds from an MO's receipt to its reply's acceptance by the SMSC",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
#: Receipt `stat` values of SMPP 3.4 Appendix B (and Kannel's); any other is `other`.
RECEIPT_STATS = frozenset(
    {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"}
)
#: Replies claimed with their MO and not submitted yet, by id: when the MO was received.
#: Bounded: a reply never sent here (its lease ran out) is forgotten eventually.
_PENDING: OrderedDict[int, datetime] = OrderedDict()
_PENDING_MAX = 50_000
_lock = threading.Lock()


@dataclass
class Written:
    """What one MO batch wrote to the outbox."""

    #: Channels whose reply the answer to the request carries (stored as sent).
    in_answer: frozenset[str]
    queued: int = 0
    carried: int = 0
    claimed: dict[int, datetime] = field(default_factory=dict)

    def add(self, received_at: datetime, result: Any) -> None:
        for reply in result.replies:
            if reply.channel in self.in_answer:
                self.carried += 1  # stored as sent: the answer to the request carries it
            else:
                self.queued += 1
        for claimed in result.claimed:
            self.claimed[claimed.id] = received_at

    def count(self) -> None:
        if self.queued:
            REPLIES.labels(ReplyState.QUEUED).inc(self.queued)
        if self.carried:
            REPLIES.labels(ReplyState.SENT).inc(self.carried)
        if self.claimed:
            with _lock:
                _PENDING.update(self.claimed)
                while len(_PENDING) > _PENDING_MAX:
                    _PENDING.popitem(last=False)


def queued(count: int) -> None:
    """Notices the service started itself, queued."""
    if count:
        REPLIES.labels(ReplyState.QUEUED).inc(count)


def submitted(reply: Any) -> None:
    """A reply's every part was accepted (`ClaimedReply`): its latency."""
    with _lock:
        since = _PENDING.pop(reply.id, None)
    if since is None and not reply.notice:
        since = reply.created_at
    if since is not None:
        SUBMITTED_SECONDS.observe(max(0.0, (utc_now() - since).total_seconds()))


def entered(states: Iterable[str | None]) -> None:
    """Replies that entered these states in a committed transaction (None: no change)."""
    for state, count in Tally(s for s in states if s).items():
        REPLIES.labels(state).inc(count)


def received(stats: Iterable[str]) -> None:
    """Delivery receipts applied or kept for later, by their `stat`."""
    tally = Tally(s if s in RECEIPT_STATS else "other" for s in (x.upper() for x in stats))
    for status, count in tally.items():
        RECEIPTS.labels(status).inc(count)
