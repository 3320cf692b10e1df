"""Message ids, delivery outcomes and the receipt deliver_sm contents."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime

from gateway_sim.scenario import MESSAGE_STATE, ReceiptConfig

ESM_RECEIPT = 0x04


class MessageIds:
    """Monotonic SMSC message ids, rendered hex or decimal."""

    def __init__(self, start: int = 1) -> None:
        self._next = start

    def next(self) -> int:
        value = self._next
        self._next += 1
        return value


def render_id(value: int, fmt: str) -> str:
    return f"{value:08x}" if fmt == "hex" else str(value)


@dataclass(frozen=True)
class Outcome:
    stat: str
    err: int
    delay: float

    @property
    def message_state(self) -> int:
        return MESSAGE_STATE[self.stat]

    @property
    def delivered(self) -> bool:
        return self.stat == "DELIVRD"


def decide(destination: str, config: ReceiptConfig, rng: random.Random) -> Outcome:
    """First matching rule wins; otherwise draw from the percentage mix."""
    for rule in config.rules:
        if re.search(rule.match, destination):
            delay = config.delay if rule.delay is None else rule.delay
            return Outcome(rule.stat, 0 if rule.stat == "DELIVRD" else rule.err, delay)
    stats = list(config.mix)
    weights = [config.mix[s] for s in stats]
    stat = rng.choices(stats, weights=weights)[0] if stats else "DELIVRD"
    return Outcome(stat, 0 if stat == "DELIVRD" else 1, config.delay)


def smpp_date(moment: datetime) -> str:
    return moment.strftime("%y%m%d%H%M")


def receipt_text(
    msg_id: str, outcome: Outcome, submitted: datetime, done: datetime, original: str
) -> bytes:
    """SMPP 3.4 Appendix B format; ``text`` is the first 20 characters of the original.

    Non-ASCII characters become '?': the receipt goes out as data_coding 0 and
    raw UCS-2 bytes in it would garble every parser.
    """
    dlvrd = "001" if outcome.delivered else "000"
    head = (
        f"id:{msg_id} sub:001 dlvrd:{dlvrd} submit date:{smpp_date(submitted)} "
        f"done date:{smpp_date(done)} stat:{outcome.stat} err:{outcome.err:03d} text:"
    )
    return (head + original[:20]).encode("ascii", errors="replace")


def network_error_code(outcome: Outcome) -> bytes:
    """3 octets: network type (3 = GSM) and a 2-octet error code; zero when delivered."""
    if outcome.delivered:
        return b"\x03\x00\x00"
    return bytes([3]) + outcome.err.to_bytes(2, "big")
