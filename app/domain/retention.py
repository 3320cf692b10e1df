"""How long the message log keeps a message (DESIGN.md, "Data" and "Where it runs").

Every MO and reply is kept for support staff ("what did this subscriber send and
what did we say?") for the retention window, then purged, except what the
service still needs:

- the dedupe: a repeat of a gateway's message id is answered from the first
  copy (`app/store/messages.py`) as long as the MO row exists. Gateways repeat an
  MO for a few days at most, and an MO older than `received_at_max_age_days` is
  refused (JSON) or taken as new (Kannel), so the window never drops below that
  age: inside it, a repeat still finds its first copy and acts on nothing twice;
- a reply not settled: `queued` (claimed or not), or `sent` while its delivery
  receipt may still come (`RECEIPT_WAIT`), and the MO it answers;
- an MO whose number has an open question (DOMAIN.md §5, §6): the `Y` or the
  digit that answers it is read against that conversation;
- an MO that placed an order: the activation keeps it as the record of consent
  (DOMAIN.md §5).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.states import ReplyState

#: Reply states that never change again ("dropped": a held notice not sent, §7a).
SETTLED = frozenset(
    {ReplyState.DELIVERED, ReplyState.FAILED, ReplyState.EXPIRED, ReplyState.DROPPED}
)
#: `sent` and waiting for a receipt. An SMSC gives up on a message after its
#: validity period (SMPP's default is the SMSC's own, a few days at most): a
#: receipt later than this never comes, and the reply counts as settled.
SENT = ReplyState.SENT
RECEIPT_WAIT = timedelta(days=7)


def horizon(now: datetime, retention_days: float, dedupe_days: float) -> datetime:
    """The instant before which a message may be purged: `retention_days` back,
    never less than the dedupe window (see the module)."""
    return now - timedelta(days=max(retention_days, dedupe_days))


def receipts_awaited_since(now: datetime) -> datetime:
    """A reply `sent` since this instant may still get its receipt."""
    return now - RECEIPT_WAIT
