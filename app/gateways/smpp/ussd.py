"""USSD over SMPP: deliver_sm with `ussd_service_op` in, submit_sm screens out.

The USSDC opens a dialogue with a PSSR indication (op 1) whose text is the
dialled code (`*10086#`, or `*10086*3*1#` to jump straight down the menu) and
sends each later choice as a USSR confirm (op 18). Each step runs
`handle_ussd` with every input of the dialogue so far (gateway
`ussd-smpp:<bind>`), and the screen goes back at once as a submit_sm with
`service_type=USSD` and op 2 (USSR request: the dialogue goes on) or op 17
(PSSR response: the last screen), on the bind the dialogue came in on (or on
that bind's transmitter for an `rx+tx` bind) — never through the outbox
queue; handle_ussd records it there as `channel='ussd'`, already sent. The
success SMS of a sign-up is queued for the outbox on the notice channel.

Which dialogue a deliver_sm belongs to (the key is the normalised number +
correlation, not the bind: the USSDC may send a dialogue's next step on a bind
of another process):
- `its_session_info` (0x1383) when present: its first octet (the session
  number). Its second octet carries the dialogue sequence number (bits 7-1),
  used to spot a redelivered step (when the USSDC moves it), and the end bit. The reply echoes the
  received value with the end bit set on the last screen.
- otherwise `user_message_reference`, echoed back unchanged;
- otherwise none: one dialogue per number (a handset has one USSD dialogue at a
  time anyway).
A new PSSR indication from a number drops whatever dialogue it had.

Dialogues live in the database (`app/store/ussd_dialogues.py`), shared by every
service process: read before a step, written after it (a step's own work is
`handle_ussd`'s one transaction). They are forgotten after
`ussd_session_timeout` seconds of silence; a USSR confirm for a
dialogue we no longer know starts over at the top menu (its input is not
acted on). Each dialogue also gets a unique id for `handle_ussd`, so the
SMSC's small, reused session numbers never make two dialogues look like one
message. A redelivered step (same sequence number and text) is answered
again with the same inputs, and so acts once; an ended dialogue is kept
until the timeout for that alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smpplib.pdu import PDU

from app.domain import sms_coding
from app.gateways.smpp import pdus
from app.services.answers import ReplyContext
from app.services.clock import utc_now
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.ussd import UssdStep, handle_ussd
from app.store.unit_of_work import UnitOfWork
from app.store.ussd_dialogues import Dialogue, UssdDialogueRepository

log = logging.getLogger("smshall.smpp.ussd")

#: ussd_service_op values (SMPP 5.0 table; smpp.md §3).
PSSD_INDICATION, PSSR_INDICATION, USSR_REQUEST, USSN_REQUEST = 0, 1, 2, 3
PSSD_RESPONSE, PSSR_RESPONSE, USSR_CONFIRM, USSN_CONFIRM = 16, 17, 18, 19
END_OF_SESSION = 0x0001
SERVICE_TYPE = "USSD"


@dataclass(frozen=True, slots=True)
class UssdAnswer:
    """The deliver_sm_resp status and the submit_sm (fields) to send after it."""

    status: int
    reply: dict[str, Any] | None = None


def session_number(info: int | None) -> int | None:
    return None if info is None else (info >> 8) & 0xFF


def dialogue_sequence(info: int | None) -> int | None:
    return None if info is None else (info >> 1) & 0x7F


def split_service_string(text: str) -> tuple[str, tuple[str, ...]]:
    """`*10086*3*1#` -> (`*10086#`, ("3", "1")); `*10086#` -> (`*10086#`, ())."""
    body = text.strip().rstrip("#").lstrip("*")
    head, *rest = body.split("*") if body else ("",)
    return f"*{head}#", tuple(part for part in rest if part)


class UssdDialogues:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        context: ReplyContext,
        sms_channel: str,
        timeout: float,
    ) -> None:
        self.uow_factory = uow_factory
        self.context = context
        self.sms_channel = sms_channel
        self.timeout = timeout

    def _since(self) -> datetime:
        return utc_now() - timedelta(seconds=self.timeout)

    def __len__(self) -> int:
        """Dialogues not timed out, of every process."""
        with self.uow_factory() as uow:
            assert uow.session is not None
            return UssdDialogueRepository(uow.session).count(self._since())

    @staticmethod
    def applies(pdu: PDU) -> bool:
        return pdus.field(pdu, "ussd_service_op") is not None

    def expire(self) -> int:
        """Forget dialogues silent for longer than the timeout; how many went."""
        with self.uow_factory() as uow:
            assert uow.session is not None
            gone = UssdDialogueRepository(uow.session).forget(self._since())
            uow.commit()
        if gone:
            log.info("%d USSD dialogue(s) timed out", gone)
        return gone

    # -- one deliver_sm -----------------------------------------------------------

    def handle(self, bind: str, pdu: PDU, text: str) -> UssdAnswer:
        op = pdus.field(pdu, "ussd_service_op")
        source = pdus.text(pdu.source_addr)
        try:
            msisdn = normalise_msisdn(source)
        except InvalidMsisdn:
            log.warning("%s: USSD from unusable number %r dropped", bind, source)
            return UssdAnswer(pdus.ROK)
        info = pdus.field(pdu, "its_session_info")
        reference = pdus.field(pdu, "user_message_reference")
        if info is not None:
            correlation = f"its:{session_number(info)}"
        elif reference is not None:
            correlation = f"umr:{reference}"
        else:
            correlation = "-"
        key = f"{msisdn}|{correlation}"
        if op == PSSR_INDICATION:
            dialogue = self._open(key, msisdn, text or pdus.text(pdu.destination_addr))
            choice = None
        elif op == USSR_CONFIRM:
            found = self._find(key)
            if found is not None and found.ended and not self._repeat(found, pdu, text):
                found = None
            if found is None:
                log.info("%s: USSD step from %s for no open dialogue; from the top", bind, msisdn)
                dialogue = self._open(key, msisdn, pdus.text(pdu.destination_addr) or "*10086#")
                choice = None
            else:
                dialogue, choice = found, text.strip()
        else:
            # USSN confirm, PSSD, a vendor abort/release (e.g. 0x81): nothing to show.
            gone = self._close(key) if op != USSN_CONFIRM else False
            log.info(
                "%s: USSD op %s from %s acknowledged%s",
                bind, op, msisdn, "; dialogue closed" if gone else "",
            )  # fmt: skip
            return UssdAnswer(pdus.ROK)
        return self._step(bind, dialogue, pdu, choice, text)

    def _find(self, key: str) -> Dialogue | None:
        with self.uow_factory() as uow:
            assert uow.session is not None
            return UssdDialogueRepository(uow.session).find(key, self._since())

    def _close(self, key: str) -> bool:
        with self.uow_factory() as uow:
            assert uow.session is not None
            gone = UssdDialogueRepository(uow.session).close(key)
            uow.commit()
        return gone

    @staticmethod
    def _repeat(dialogue: Dialogue, pdu: PDU, text: str) -> bool:
        """The step last acted on, sent again (its deliver_sm_resp was lost)?"""
        sequence = dialogue_sequence(pdus.field(pdu, "its_session_info"))
        return (
            sequence is not None
            and len(dialogue.sequences) > 1
            and dialogue.last_step == (sequence, text.strip())
            and bool(dialogue.inputs)
        )

    @staticmethod
    def _open(key: str, msisdn: str, dialled: str) -> Dialogue:
        """A new dialogue; stored (dropping the number's others) once its first step ran."""
        service_code, shortcut = split_service_string(dialled)
        return Dialogue(key, msisdn, f"{msisdn}-{uuid.uuid4().hex[:16]}", service_code, shortcut)

    def _step(
        self, bind: str, dialogue: Dialogue, pdu: PDU, choice: str | None, text: str
    ) -> UssdAnswer:
        """Run the dialogue with `choice` added (None: as it stands), then store it."""
        step = (dialogue_sequence(pdus.field(pdu, "its_session_info")), text.strip())
        fresh = dialogue.last_step is None and not dialogue.sequences
        inputs = dialogue.inputs
        if choice is not None and not self._repeat(dialogue, pdu, text):
            inputs = (*inputs, choice)  # a repeat is answered again, acting once
        try:
            screen = handle_ussd(
                self.uow_factory,
                UssdStep(
                    f"ussd-smpp:{bind}",
                    dialogue.id,
                    dialogue.msisdn,
                    dialogue.service_code,
                    inputs,
                    utc_now(),
                ),
                self.context,
                self.sms_channel,
            )
            dialogue.inputs = inputs
            dialogue.last_step = step
            if step[0] is not None:
                dialogue.sequences.add(step[0])
            dialogue.ended = screen.end
            with self.uow_factory() as uow:
                assert uow.session is not None
                UssdDialogueRepository(uow.session).save(dialogue, utc_now(), fresh)
                uow.commit()
        except Exception:
            log.exception(
                "%s: USSD step of %s failed; asking for redelivery", bind, dialogue.msisdn
            )
            return UssdAnswer(pdus.RX_T_APPN)
        log.info(
            "%s: USSD %s step %d from %s -> %s%s",
            bind, dialogue.service_code, len(inputs), dialogue.msisdn, screen.outcome,
            " (end)" if screen.end else "",
        )  # fmt: skip
        return UssdAnswer(pdus.ROK, reply_fields(pdu, screen.text, screen.end))


def reply_fields(pdu: PDU, text: str, end: bool) -> dict[str, Any]:
    """The submit_sm carrying one screen back along the dialogue."""
    data_coding = sms_coding.coding_for(text)
    fields: dict[str, Any] = {
        "service_type": SERVICE_TYPE,
        "source_addr_ton": pdus.field(pdu, "dest_addr_ton") or 0,
        "source_addr_npi": pdus.field(pdu, "dest_addr_npi") or 0,
        "source_addr": pdus.text(pdu.destination_addr),
        "dest_addr_ton": pdus.field(pdu, "source_addr_ton") or 0,
        "dest_addr_npi": pdus.field(pdu, "source_addr_npi") or 0,
        "destination_addr": pdus.text(pdu.source_addr),
        "esm_class": 0,
        "registered_delivery": 0,
        "data_coding": data_coding,
        "short_message": sms_coding.split(text).whole,
        "ussd_service_op": PSSR_RESPONSE if end else USSR_REQUEST,
    }
    info = pdus.field(pdu, "its_session_info")
    if info is not None:
        fields["its_session_info"] = (info | END_OF_SESSION) if end else (info & ~END_OF_SESSION)
    reference = pdus.field(pdu, "user_message_reference")
    if reference is not None:
        fields["user_message_reference"] = reference
    return fields
