"""The simulator as a USSDC: handsets dial codes and answer menus over SMPP.

Dialling `*10086#` sends the ESME a `deliver_sm` with `service_type=USSD`,
`ussd_service_op` 1 (PSSR indication) and `its_session_info` (session number
<< 8 | dialogue sequence << 1); each answer the handset types goes as op 18
(USSR confirm) with the same session number and the next sequence number.
The ESME's `submit_sm` back to the handset with the session's number is the
screen: op 2 (USSR request) keeps the dialogue open, op 17 (PSSR response)
or the end-of-session bit ends it. One dialogue per handset at a time, as on
a phone; dialling again drops the one before.

Everything here runs on the simulator's event loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gateway_sim.segments import SplitMethod
from gateway_sim.smsc import Smsc
from gateway_sim.traffic import MtRecord, TrafficLog

PSSR_INDICATION, USSR_CONFIRM = 1, 18
PSSD_RESPONSE, PSSR_RESPONSE = 16, 17
ENDING_OPS = frozenset({PSSD_RESPONSE, PSSR_RESPONSE})


class NoDialogue(LookupError):
    """The handset has no open USSD dialogue to answer."""


# What the handset page and the control API show of a dialogue, in this order.
_VIEW_FIELDS = (
    "msisdn",
    "code",
    "session",
    "seq",
    "screen",
    "op",
    "end",
    "active",
    "waiting",
    "released",
)


@dataclass
class Dialogue:
    msisdn: str
    code: str
    session: int
    seq: int = 0
    cursor: int = 0  # traffic seq up to which MT to the handset has been looked at
    screen: str | None = None
    op: int | None = None
    end: bool = False
    waiting: bool = True  # a step went out and its screen has not come back
    released: bool = False
    started: float = field(default_factory=time.time)
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return not (self.end or self.released)

    def view(self) -> dict[str, Any]:
        shown = {name: getattr(self, name) for name in _VIEW_FIELDS}
        return {**shown, "steps": list(self.steps)}


class UssdCenter:
    def __init__(self, smsc: Smsc, traffic: TrafficLog) -> None:
        self.smsc = smsc
        self.traffic = traffic
        self.dialogues: dict[str, Dialogue] = {}
        self._session = 0

    def reset(self) -> None:
        self.dialogues.clear()

    def _next_session(self) -> int:
        self._session = self._session % 255 + 1
        return self._session

    def dial(self, msisdn: str, code: str) -> Dialogue:
        """Open a dialogue with a PSSR indication; raises ValueError on bad input."""
        dialogue = Dialogue(msisdn, code, self._next_session())
        self._send(dialogue, PSSR_INDICATION, code)
        self.dialogues[msisdn] = dialogue
        return dialogue

    def answer(self, msisdn: str, text: str) -> Dialogue:
        dialogue = self.current(msisdn)
        if dialogue is None or not dialogue.active:
            raise NoDialogue(f"{msisdn} has no open USSD dialogue; dial a code first")
        dialogue.seq = (dialogue.seq + 1) % 128
        self._send(dialogue, USSR_CONFIRM, text)
        return dialogue

    def release(self, msisdn: str) -> Dialogue | None:
        """The handset hangs up: the dialogue is dropped here (no PDU is sent)."""
        dialogue = self.current(msisdn)
        if dialogue is not None and dialogue.active:
            dialogue.released, dialogue.waiting = True, False
        return dialogue

    def _send(self, dialogue: Dialogue, op: int, text: str) -> None:
        record = self.smsc.inject_mo(
            dialogue.msisdn,
            dialogue.code,
            text,
            None,
            SplitMethod.NONE,
            None,
            {"op": op, "session": dialogue.session, "seq": dialogue.seq, "end": False},
        )
        dialogue.cursor = record.seq
        dialogue.waiting = True
        dialogue.steps.append({"op": op, "text": text, "screen": None, "end": False})

    def current(self, msisdn: str) -> Dialogue | None:
        """The handset's dialogue with any screen that has arrived applied."""
        dialogue = self.dialogues.get(msisdn)
        if dialogue is not None and dialogue.waiting:
            for record in self.traffic.mt_after(dialogue.cursor, msisdn):
                if self._belongs(dialogue, record):
                    self._show(dialogue, record)
                    break
                dialogue.cursor = record.seq  # scanned: not this dialogue's screen
        return dialogue

    @staticmethod
    def _belongs(dialogue: Dialogue, record: MtRecord) -> bool:
        if record.ussd is None:
            return False  # an ordinary SMS to the handset (a sign-up's success SMS)
        info = record.ussd.get("session_info")
        return info is None or (info >> 8) & 0xFF == dialogue.session

    @staticmethod
    def _show(dialogue: Dialogue, record: MtRecord) -> None:
        ussd = record.ussd or {}
        info = ussd.get("session_info")
        dialogue.screen = record.text
        dialogue.op = ussd.get("op")
        dialogue.end = dialogue.op in ENDING_OPS or bool(info is not None and info & 1)
        dialogue.waiting = False
        dialogue.cursor = record.seq
        if dialogue.steps:
            dialogue.steps[-1].update(screen=record.text, end=dialogue.end)

    async def wait(self, msisdn: str, timeout: float) -> Dialogue | None:
        """Wait up to `timeout` s for the screen of the step just sent."""
        deadline = time.monotonic() + timeout
        while True:
            dialogue = self.current(msisdn)
            remaining = deadline - time.monotonic()
            if dialogue is None or not dialogue.waiting or remaining <= 0:
                return dialogue
            await self.traffic.wait_mt(dialogue.cursor, msisdn, remaining)
