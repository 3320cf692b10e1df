"""The transport-neutral MO core: what SMPP (`app/gateways/smpp/deliveries.py`) and
CMPP (`app/gateways/cmpp/deliveries.py`) do alike once a PDU is decoded.

Whole MOs of a batch are acted on in one transaction (`handle_inbound_many`),
their replies claimed for this process's sender; long-MO parts are stored and
joined in the database (`long_mo.py`); receipts go to the outbox; an MO
without an id of its own is known by its content (`dedupe.py`). Statuses are
SMPP command_status values: 0 acted on (or nothing to do), `ASK_AGAIN`
(ESME_RX_T_APPN) when it could not be stored and must come again; CMPP maps
them to its Result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.domain import sms_coding
from app.domain.channels import Channel
from app.domain.delivery_receipts import Receipt
from app.gateways.batches import Batches
from app.gateways.links.dedupe import MoDedupe
from app.gateways.links.long_mo import LongMoAssembly, message_id
from app.services.answers import ReplyContext
from app.services.clock import utc_now
from app.services.inbound import (
    ContentKey,
    InboundMessage,
    InboundResult,
    OutboxClaim,
    acknowledge_inbound,
    handle_inbound_many,
)
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.outbox import ClaimedReply
from app.services.receipts import record_receipts
from app.settings import Settings
from app.store.long_mo import ArrivedPart, LongMo
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.smpp.mo")

#: Acted on, or nothing to act on (ESME_ROK).
ACTED = 0
#: Not stored; the gateway must deliver it again (ESME_RX_T_APPN).
ASK_AGAIN = 0x64
#: The most MO acknowledgements marked in one statement.
ACK_BATCH = 500


@dataclass(frozen=True, slots=True)
class PendingMo:
    """A whole MO (a single part, or all parts reassembled) ready to be acted on."""

    bind: str
    source: str
    destination: str
    data_coding: int
    payload: bytes
    user_reference: Any
    #: The gateway's own id for the message (CMPP's Msg_Id); SMPP has none and the
    #: dedupe makes one (`dedupe.py`).
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """The deliver_sm_resp status, and what to tell the dedupe once it is written."""

    status: int
    key: str | None = None
    #: The message id the MO is recorded under: `key`, or an earlier copy's.
    recorded: str | None = None
    #: A USSD screen: submit_sm fields to send on the same bind after the response.
    ussd_reply: dict[str, Any] | None = None
    #: Replies claimed for this process's sender as they were written.
    claimed: tuple[ClaimedReply, ...] = ()


def shown(text: str) -> str:
    """Decoded MO text for the log: the command word only, never its arguments.

    Arguments may carry personal data (an insured person's name, a birthday,
    an address); the keyword is what tells a decoding problem apart.
    """
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    # A first word that is no keyword may be a name (`王建国 …`, `LIMING`): left out.
    head = head if head.isascii() and head.isalnum() and len(head) <= 5 else ""
    rest = len(text.strip()) - len(head)
    return f"{head}…(+{rest} chars)" if rest > 0 else head


@dataclass(frozen=True, slots=True)
class MoSettings:
    """How long the MO core remembers MOs and parts, and how much text it keeps."""

    #: Seconds a content-keyed MO is known again (`smpp_mo_dedupe_window`).
    dedupe_window: float
    #: Seconds the parts of a long MO wait for the rest (`smpp_concat_ttl`).
    concat_ttl: float
    #: Seconds an answered MO's copy still counts as the same (`smpp_mo_ack_grace`).
    ack_grace: float = 5.0
    #: The longest MO text kept (`max_mo_chars`); past it, an MO is cut, not refused.
    max_chars: int | None = None

    @classmethod
    def of(cls, settings: Settings) -> MoSettings:
        return cls(
            settings.smpp_mo_dedupe_window,
            settings.smpp_concat_ttl,
            settings.smpp_mo_ack_grace,
            settings.max_mo_chars,
        )


class MoCore:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        context: ReplyContext,
        mo: MoSettings,
        channel: str = Channel.SMPP,
        claim: Callable[[], OutboxClaim | None] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        #: The longest MO text kept (`max_mo_chars`); past it, an MO is cut, not refused.
        self.max_chars = mo.max_chars
        #: The transport MOs came in on and replies leave by: `smpp` or `cmpp`.
        self.channel = channel
        self.context = context
        self.dedupe = MoDedupe(mo.dedupe_window, mo.ack_grace)
        #: MOs whose response went out, marked in the database in batches.
        self._acknowledged: Batches[tuple[str, str]] = Batches(
            self._mark_acknowledged, workers=1, size=ACK_BATCH, name=f"{channel}-mo-acks"
        )
        #: Asked once per batch: claim its replies for the sender, if it has room.
        self.claim: Callable[[], OutboxClaim | None] = claim or (lambda: None)
        self.long_mos = LongMoAssembly(uow_factory, mo.concat_ttl, channel)

    def start(self) -> None:
        self._acknowledged.start()

    def stop(self) -> None:
        self._acknowledged.stop()

    def ack_counters(self) -> dict[str, int]:
        return dict(self._acknowledged.counters)

    def answered(
        self, handled: Handled, ok: bool, link_closed_at: Callable[[], float | None]
    ) -> None:
        """The deliver_sm_resp went out (ok) or could not; see `dedupe.py`."""
        if handled.key is not None and self.dedupe.answered(handled.key, ok, link_closed_at):
            self._acknowledged.put((handled.key.split(":")[1], handled.recorded or handled.key))

    def _mark_acknowledged(self, keys: list[tuple[str, str]]) -> None:
        try:
            acknowledge_inbound(self.uow_factory, keys)
        except Exception:
            # Unmarked, a redelivery would still be told apart within the process; after
            # a restart, a repeat of these texts within the dedupe window is answered once.
            log.exception("%d MO acknowledgements not recorded", len(keys))

    def record_receipts(self, receipts: Sequence[tuple[int, str, Receipt]]) -> list[int]:
        """Write the receipts; each one's deliver_sm_resp status."""
        try:
            matched = record_receipts(self.uow_factory, [r for _, _, r in receipts])
        except Exception:
            log.exception("%d receipt(s) not stored; asking the SMSC to redeliver", len(receipts))
            return [ASK_AGAIN] * len(receipts)
        for (_, bind, receipt), found in zip(receipts, matched, strict=True):
            log.info(
                "%s: receipt id=%s stat=%s err=%s%s",
                bind, receipt.message_id, receipt.stat, receipt.error,
                "" if found else " (kept until its submit_sm_resp)",
            )  # fmt: skip
        return [ACTED] * len(receipts)

    def join(self, parts: Sequence[ArrivedPart]) -> list[Handled | PendingMo]:
        """Store a batch's long-MO parts: for each, what to answer now (held, or of a
        message given up on), or the whole MO it completes, to act on."""
        if not parts:
            return []
        try:
            joined = self.long_mos.add(parts)
        except Exception:
            log.exception("%d long-MO part(s) not stored; asking for them again", len(parts))
            return [Handled(ASK_AGAIN)] * len(parts)
        answers: list[Handled | PendingMo] = []
        for part, whole in zip(parts, joined, strict=True):
            log.info("%s: MO part %d/%d from %s", part.link, part.number, part.total, part.source)
            answers.append(Handled(ACTED) if whole is None else self._whole(whole))
        return answers

    @staticmethod
    def _whole(long_mo: LongMo) -> PendingMo:
        """A long MO as one message, recorded under the same id whoever acts on it:
        the gateway's id of its first part (CMPP), else one made from it (SMPP)."""
        key = long_mo.gateway_ids.get(1) or message_id(long_mo)
        return PendingMo(
            long_mo.link, long_mo.source, long_mo.destination, long_mo.data_coding,
            long_mo.payload, None, message_id=key,
        )  # fmt: skip

    def expire_parts(self) -> None:
        """Answer long MO whose missing parts never came, with what did. No deliver_sm
        batch hands these replies to the sender: the poll sends them."""
        stale = self.long_mos.stale()
        for long_mo in stale:
            log.warning(
                "%s: long MO from %s incomplete after TTL (%d of %d parts); answering them",
                long_mo.link, long_mo.source, len(long_mo.parts), long_mo.total,
            )  # fmt: skip
        answered = self.act([self._whole(m) for m in stale], claim=None) if stale else []
        self.long_mos.finish(
            [m.id for m, h in zip(stale, answered, strict=True) if h.status == ACTED]
        )

    def act(self, pending: Sequence[PendingMo], claim: OutboxClaim | None) -> list[Handled]:
        """Hand the MOs to `handle_inbound_many` in one transaction, their replies
        claimed by `claim`; each one's status."""
        handled: list[Handled | None] = [None] * len(pending)
        messages: list[tuple[int, InboundMessage, PendingMo]] = []
        for index, mo in enumerate(pending):
            try:
                msisdn = normalise_msisdn(mo.source)
            except InvalidMsisdn:
                # Nothing can be sent back to it; acknowledging stops endless redelivery.
                log.warning("%s: MO from unusable number %r dropped", mo.bind, mo.source)
                handled[index] = Handled(ACTED)
                continue
            digest = MoDedupe.digest(
                mo.bind, mo.source, mo.destination, mo.data_coding, mo.payload, mo.user_reference
            )
            text = sms_coding.decode(mo.payload, mo.data_coding)
            if self.max_chars is not None and len(text) > self.max_chars:
                # Refusing would only make the SMSC deliver it again: it is kept cut to
                # the limit, acted on and answered like any other.
                log.warning(
                    "%s: MO from %s of %d characters cut to %d (SMSHALL_MAX_MO_CHARS)",
                    mo.bind, msisdn, len(text), self.max_chars,
                )  # fmt: skip
                text = text[: self.max_chars]
            now = utc_now()
            content: ContentKey | None = None
            if mo.message_id is not None:  # the gateway's own id (CMPP's Msg_Id) is the key
                key = mo.message_id
            else:
                key, remembered = self.dedupe.identify(digest)
                look_back = None if remembered else now - timedelta(seconds=self.dedupe.window)
                content = ContentKey(digest, look_back)
            message = InboundMessage(
                gateway=f"{self.channel}:{mo.bind}",
                message_id=key,
                msisdn=msisdn,
                short_code=self.context.short_code,  # never the MO's destination_addr
                text=text,
                received_at=now,
                content=content,
            )
            messages.append((index, message, mo))
        if messages:
            try:
                results: list[InboundResult | Exception] = handle_inbound_many(
                    self.uow_factory,
                    [m for _, m, _ in messages],
                    self.context,
                    self.channel,
                    sms_channel=self.channel,
                    claim=claim,
                )
            except Exception as error:
                results = [error] * len(messages)
            for (index, message, mo), result in zip(messages, results, strict=True):
                handled[index] = self._acted(message, mo, result)
        return handled  # type: ignore[return-value]

    def _acted(
        self, message: InboundMessage, mo: PendingMo, result: InboundResult | Exception
    ) -> Handled:
        key = message.message_id
        if isinstance(result, Exception):
            log.error(
                "%s: MO %s not stored (%s: %s); asking the SMSC to redeliver",
                mo.bind, key, type(result).__name__, result, exc_info=result,
            )  # fmt: skip
            return Handled(ASK_AGAIN, key)
        log.info(
            "%s: MO %s from %s to %s dc=%d %r -> %s%s",
            mo.bind, key, message.msisdn, mo.destination, mo.data_coding, shown(message.text),
            result.outcome, " (duplicate)" if result.duplicate else "",
        )  # fmt: skip
        return Handled(ACTED, key, result.message_id, claimed=result.claimed)
