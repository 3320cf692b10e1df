"""What a gateway hands `handle_inbound` and gets back (app/services/inbound.py):
the MO, the replies written for it, and the channels replies travel on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.channels import Channel
from app.services.outbox import ClaimedReply

#: Replies on this channel travel in the HTTP answer itself (`POST /v1/mo`).
HTTP_RESPONSE = Channel.HTTP_RESPONSE
#: USSD screens travel in the USSD answer itself.
USSD_SCREEN = Channel.USSD
#: Channels whose reply is carried by the answer to the request, not sent later.
IN_ANSWER = frozenset({HTTP_RESPONSE, USSD_SCREEN})


class MessageIdTaken(Exception):
    """The gateway's message id is recorded already, for another number: the first
    answer is that number's (it may quote a card number, an account manager, a
    birthday) and is never shown to this one; nothing is recorded for it."""


@dataclass(frozen=True, slots=True)
class ContentKey:
    """How an MO without an id of its own (SMPP's deliver_sm) is known again.

    `digest` is recorded with the MO. `look_back_to` is set when the gateway has
    no memory of an earlier copy (it restarted, or another process took that
    copy and may have died before acknowledging it): an MO recorded since then
    under the same digest is taken to be this one, redelivered, and answered
    as a repeat (app/gateways/links/dedupe.py).
    """

    digest: str
    look_back_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """An MO as a gateway hands it over: the number already normalised."""

    gateway: str
    message_id: str
    msisdn: str
    short_code: str
    text: str
    received_at: datetime
    content: ContentKey | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    to: str
    sender: str
    text: str
    channel: str = HTTP_RESPONSE


@dataclass(frozen=True, slots=True)
class InboundResult:
    message_id: str
    outcome: str
    replies: tuple[Reply, ...]
    duplicate: bool = False
    #: Replies claimed for the caller as they were written (see `OutboxClaim`).
    claimed: tuple[ClaimedReply, ...] = ()


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """Claim the replies of `channel` for `worker` in the transaction that writes
    them: the gateway that took the MO sends them at once, with no claim
    transaction of its own. Should it never do so, the lease runs out and any
    sender claims them (`app/services/outbox.py`)."""

    channel: str
    worker: str
    lease: float
