"""handle_inbound: one MO in, its answer out, in one transaction (DESIGN.md, flow).

1. record the inbound message; a repeat of the gateway's message id returns
   the first answer and changes nothing;
2. parse the text; 3. load the subscriber; 4. let the domain decide;
5. write the activation; 6. write the reply to the outbox.
The reply row is committed with the state change it reports, so a crash can
lose neither.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from app.domain.campaigns import Campaign
from app.domain.channels import Channel
from app.domain.flood import Admission
from app.domain.outcomes import Outcome
from app.domain.replies import render
from app.domain.segments import PhotoWindow
from app.metrics.messages import observed
from app.services import keyword_router
from app.services.answers import Answer, ReplyContext
from app.services.catalog import catalog_snapshot
from app.services.clock import local_day, utc_now
from app.services.content_keys import known_by_content
from app.services.inbound_messages import (
    HTTP_RESPONSE as HTTP_RESPONSE,
)
from app.services.inbound_messages import (
    IN_ANSWER as IN_ANSWER,
)
from app.services.inbound_messages import (
    USSD_SCREEN as USSD_SCREEN,
)
from app.services.inbound_messages import (
    ContentKey as ContentKey,
)
from app.services.inbound_messages import (
    InboundMessage as InboundMessage,
)
from app.services.inbound_messages import (
    InboundResult as InboundResult,
)
from app.services.inbound_messages import (
    MessageIdTaken as MessageIdTaken,
)
from app.services.inbound_messages import (
    OutboxClaim as OutboxClaim,
)
from app.services.inbound_messages import (
    Reply as Reply,
)
from app.services.outbox import claimed_reply, lease_row
from app.services.outbox_rows import outbox_row
from app.services.rule_failures import is_rule_failure, log_rule_failure, service_error
from app.services.segmentation import usage_from
from app.services.turn import Turn
from app.store.messages import DuplicateInbound
from app.store.models import InboundMessageRow, OutboundMessageRow
from app.store.unit_of_work import UnitOfWork

#: Decides the answer to one message; the Turn holds what every rule needs.
Answerer = Callable[[Turn, "InboundMessage"], Answer]


def storable(text: str) -> str:
    """Garbage is answered, not refused: NUL (which PostgreSQL text cannot hold)
    and lone surrogates (a bad UCS-2 decode) become U+FFFD and `?`."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def handle_inbound(
    uow_factory: Callable[[], UnitOfWork],
    message: InboundMessage,
    context: ReplyContext,
    reply_channel: str = HTTP_RESPONSE,
    answerer: Answerer | None = None,
    sms_channel: str = Channel.SMPP,
) -> InboundResult:
    """Record, decide and reply in one transaction; `answerer` decides (the
    keyword router for SMS, the menu walker for USSD), `sms_channel` carries
    any further SMS an answer sends. A batch of one: the same path as
    `handle_inbound_many`, its failure raised."""
    [result] = handle_inbound_many(
        uow_factory, [message], context, reply_channel, sms_channel, answerer=answerer
    )
    if isinstance(result, Exception):
        raise result
    return result


@observed
def handle_inbound_many(
    uow_factory: Callable[[], UnitOfWork],
    messages: Sequence[InboundMessage],
    context: ReplyContext,
    reply_channel: str = HTTP_RESPONSE,
    sms_channel: str = Channel.SMPP,
    claim: OutboxClaim | None = None,
    answerer: Answerer | None = None,
) -> list[InboundResult | Exception]:
    """`handle_inbound` for several messages in one transaction (group commit).

    The messages run in the order given, each seeing what the ones before it
    wrote, and commit together: a gateway under load pays one commit per batch
    instead of one per message, while every message is still acted on at most
    once and its reply is committed with it.

    The batch first runs as one plain transaction. Should any message fail (a
    rule raises; another process recorded the same message id first), that
    attempt is rolled back whole, so nothing of it is kept, and the batch runs
    again with a savepoint per message: the failure is returned in its place
    and the rest commit. Savepoints cost two statements a message, so they are
    paid only when something went wrong. If the commit itself fails, the error
    propagates and nothing was recorded.
    """
    terms = _Terms(context, reply_channel, sms_channel, answerer, claim)
    messages = [replace(m, text=storable(m.text)) for m in messages]
    try:
        return _all_or_nothing(uow_factory, messages, terms)
    except Exception:
        pass  # rolled back: once more, with a savepoint per message
    results = _savepoint_each(uow_factory, messages, terms)
    raced = [i for i, r in enumerate(results) if isinstance(r, DuplicateInbound)]
    if raced:
        # Another transaction recorded these ids and had not committed when this one
        # looked; it has now (the unique index waited for it): its answer is read here.
        again = _savepoint_each(uow_factory, [messages[i] for i in raced], terms)
        for index, result in zip(raced, again, strict=True):
            results[index] = result
    return results


@dataclass(frozen=True, slots=True)
class _Terms:
    """What every message of one call is handled with, be it one message or a batch."""

    context: ReplyContext
    reply_channel: str
    sms_channel: str
    answerer: Answerer | None = None
    claim: OutboxClaim | None = None


_Written = tuple[InboundResult, list[OutboundMessageRow]]


def acknowledge_inbound(
    uow_factory: Callable[[], UnitOfWork], keys: Sequence[tuple[str, str]]
) -> None:
    """The gateway acknowledged these MOs, each named by (digest, message id): a copy
    of one arriving later is the subscriber's own repeat (see `ContentKey`)."""
    with uow_factory() as uow:
        uow.messages.mark_acknowledged(keys, utc_now())
        uow.commit()


def _all_or_nothing(
    uow_factory: Callable[[], UnitOfWork], messages: Sequence[InboundMessage], terms: _Terms
) -> list[InboundResult | Exception]:
    """The batch in a fixed number of statements, whatever its size: what it
    reads is prefetched, the rules decide in memory, and what they write goes
    out with the commit (one statement per table)."""
    with uow_factory() as uow:
        messages = known_by_content(uow, messages)
        catalog = catalog_snapshot(uow)  # the catalog as of this batch
        campaigns, photo = catalog.by_keyword, catalog.photo
        uow.prefetch(
            [(m.gateway, m.message_id) for m in messages],
            [m.msisdn for m in messages],
            min(usage_from(photo, local_day(m.received_at, terms.context.zone)) for m in messages),
        )
        handled = [_handle(uow, message, terms, campaigns, photo) for message in messages]
        uow.commit()
    return [_with_claimed(*h) for h in handled]


def _savepoint_each(
    uow_factory: Callable[[], UnitOfWork], messages: Sequence[InboundMessage], terms: _Terms
) -> list[InboundResult | Exception]:
    handled: list[_Written | Exception] = []
    with uow_factory() as uow:
        assert uow.session is not None
        messages = known_by_content(uow, messages)
        campaigns = catalog_snapshot(uow).by_keyword
        for message in messages:
            try:
                with uow.session.begin_nested():  # released (and flushed) on the way out
                    written = _handle(uow, message, terms, campaigns)
            except DuplicateInbound as error:
                # Another process committed this message id first; its savepoint is gone
                # and the transaction usable again, so the first answer can be read here.
                first = uow.messages.find_inbound(message.gateway, message.message_id)
                try:
                    handled.append(
                        error if first is None else (_first_answer(uow, first, message), [])
                    )
                except MessageIdTaken as taken:
                    handled.append(taken)
            except Exception as error:  # one message's failure must not sink the batch
                if not is_rule_failure(error):
                    handled.append(error)
                    continue
                log_rule_failure(message, error)
                try:
                    with uow.session.begin_nested():
                        apology = replace(terms, answerer=service_error)
                        handled.append(_handle(uow, message, apology, campaigns))
                except Exception as again:
                    handled.append(again)
            else:
                handled.append(written)
        uow.commit()
    return [h if isinstance(h, Exception) else _with_claimed(*h) for h in handled]


def _with_claimed(result: InboundResult, rows: list[OutboundMessageRow]) -> InboundResult:
    """The result with its claimed replies, their ids known once committed."""
    if not rows:
        return result
    return replace(result, claimed=tuple(claimed_reply(r) for r in rows))


def _handle(
    uow: UnitOfWork,
    message: InboundMessage,
    terms: _Terms,
    campaigns: dict[str, Campaign],
    photo: PhotoWindow | None = None,
) -> _Written:
    """Steps 1-6 of the module docstring, inside the caller's transaction; the
    outbox rows claimed by `terms.claim`."""
    first = uow.messages.find_inbound(message.gateway, message.message_id)
    if first is not None:
        return _first_answer(uow, first, message), []
    inbound = uow.messages.record_inbound(
        InboundMessageRow(
            gateway=message.gateway,
            gateway_message_id=message.message_id,
            msisdn=message.msisdn,
            short_code=message.short_code,
            text=message.text,
            received_at=message.received_at,
            mo_digest=message.content.digest if message.content else None,
        )
    )
    admission = _admission(message, terms)
    if admission is Admission.ADMITTED:
        turn = _turn(uow, message, inbound, terms.context, campaigns, photo)
        answer = (terms.answerer or _answer)(turn, message)
    else:
        answer = _flooded(admission, terms.context)
    inbound.outcome = answer.outcome
    inbound.detail = answer.detail or None
    replies = [Reply(message.msisdn, message.short_code, answer.text, terms.reply_channel)]
    if admission is Admission.SILENT:
        replies = []
    if answer.sms:
        replies.append(Reply(message.msisdn, message.short_code, answer.sms, terms.sms_channel))
    claimed: list[OutboundMessageRow] = []
    for reply in replies:
        row = uow.messages.add_outbound(_outbox_row(inbound, reply))
        if terms.claim is not None and reply.channel == terms.claim.channel:
            lease_row(row, terms.claim.worker, terms.claim.lease, row.created_at)
            claimed.append(row)
    return InboundResult(message.message_id, answer.outcome, tuple(replies)), claimed


def _admission(message: InboundMessage, terms: _Terms) -> Admission:
    """Whether a texted MO is answered (app/domain/flood.py); a USSD step always is,
    its dialogue being the network's."""
    flood = terms.context.flood
    if flood is None or terms.answerer is not None:
        return Admission.ADMITTED
    return flood.admit(message.msisdn, utc_now().timestamp())


def _flooded(admission: Admission, context: ReplyContext) -> Answer:
    """The MO of a number past its limit: recorded, and answered only the first time."""
    detail = "flood:notice" if admission is Admission.NOTICE else "flood:silent"
    return Answer(Outcome.RATE_LIMITED, render("rate_limited", context.language), detail)


def _outbox_row(inbound: InboundMessageRow, reply: Reply) -> OutboundMessageRow:
    return outbox_row(
        reply.to, reply.sender, reply.text, reply.channel,
        inbound_id=inbound.id, carried=reply.channel in IN_ANSWER,
    )  # fmt: skip


def _first_answer(
    uow: UnitOfWork, first: InboundMessageRow, repeat: InboundMessage
) -> InboundResult:
    """The answer the first copy got, for a repeat from the same number only."""
    if first.msisdn != repeat.msisdn:
        raise MessageIdTaken(repeat.message_id)
    replies = tuple(
        Reply(r.msisdn, r.sender, r.text, r.channel) for r in uow.messages.replies_to(first.id)
    )
    return InboundResult(first.gateway_message_id, first.outcome or "", replies, duplicate=True)


def _turn(
    uow: UnitOfWork,
    message: InboundMessage,
    inbound: InboundMessageRow,
    context: ReplyContext,
    campaigns: dict[str, Campaign],
    photo: PhotoWindow | None,
) -> Turn:
    return Turn(
        uow=uow,
        msisdn=message.msisdn,
        short_code=message.short_code,
        now=message.received_at,
        on=local_day(message.received_at, context.zone),
        inbound=inbound,
        context=context,
        campaigns=campaigns,
        photo=photo,
    )


def _answer(turn: Turn, message: InboundMessage) -> Answer:
    """SMS: the keyword router."""
    return keyword_router.answer(turn, message.text)
