"""Every row the outbox receives is built here: replies to MOs
(app/services/inbound.py) and notices the service starts itself
(app/services/notice_queue.py)."""

from __future__ import annotations

from datetime import datetime

from app.domain.states import ReplyState
from app.services.clock import utc_now
from app.store.models import OutboundMessageRow


def outbox_row(
    msisdn: str,
    sender: str,
    text: str,
    channel: str,
    *,
    inbound_id: int | None = None,
    send_at: datetime | None = None,
    carried: bool = False,
) -> OutboundMessageRow:
    """A new reply or notice for the outbox: queued to leave at `send_at` (now by
    default), or, `carried` by the answer to the request itself (HTTP, a USSD
    screen), sent already: a lost answer is asked for again with the same id and
    gets the same reply."""
    now = utc_now()
    return OutboundMessageRow(
        inbound_message_id=inbound_id,
        msisdn=msisdn,
        sender=sender,
        text=text,
        channel=channel,
        state=ReplyState.SENT if carried else ReplyState.QUEUED,
        attempts=0,
        next_attempt_at=None if carried else (send_at or now),
        created_at=now,
        updated_at=now,
    )
