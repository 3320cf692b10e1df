"""A redelivered MO known by its content (`ContentKey`): a gateway that cannot
tell its own redelivery from the subscriber's repeat (SMPP after a crash: the
same text, a new sequence number) asks the store to look back for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.services.inbound_messages import InboundMessage
from app.store.unit_of_work import UnitOfWork


def known_by_content(
    uow: UnitOfWork, messages: Sequence[InboundMessage]
) -> Sequence[InboundMessage]:
    """Each message that an MO recorded since its `look_back_to` shares a digest with
    takes that MO's id, and so its answer (see `ContentKey`); one statement, and only
    when a gateway asked to look back."""
    asked = [m.content for m in messages if m.content and m.content.look_back_to]
    if not asked:
        return messages
    since = min(c.look_back_to for c in asked if c.look_back_to)
    earlier = uow.messages.recorded_since({c.digest for c in asked}, since)
    if not earlier:
        return messages
    found: list[InboundMessage] = []
    for message in messages:
        content = message.content
        if content and content.look_back_to and content.digest in earlier:
            (gateway, message_id), received_at = earlier[content.digest]
            if received_at >= content.look_back_to:
                message = replace(message, gateway=gateway, message_id=message_id)
        found.append(message)
    return found
