"""Delivery receipts: recognise them and read them, text or TLV.

The text form (SMPP 3.4 appendix B) is vendor-flavoured, so it is read
tolerantly: keys in any case, in any order, `submit date`/`done date` with 10
or 12 digits, `text:` optional. The TLVs (receipted_message_id 0x001E,
message_state 0x0427, network_error_code 0x0423) win when present. An
intermediate delivery notification (esm_class type 0x20) is a receipt too, one
that never ends a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.states import ReplyState

#: The message type bits of a deliver_sm's esm_class (SMPP 3.4 §5.2.12).
MESSAGE_TYPE = 0x3C
#: An intermediate delivery notification: the message is still on its way.
INTERMEDIATE = 0x20
#: SMSC receipt, SME ack, user ack, intermediate notification (esm_class & 0x3C).
RECEIPT_TYPES = (0x04, 0x08, 0x10, INTERMEDIATE)

#: Reply states: None means an intermediate receipt (ENROUTE, ACCEPTD) that changes nothing.
_STAT_PREFIXES = (
    ("DELIV", ReplyState.DELIVERED),
    ("EXPIR", ReplyState.EXPIRED),
    ("UNDELIV", ReplyState.FAILED),
    ("REJECT", ReplyState.FAILED),
    ("DELET", ReplyState.FAILED),
    ("UNKNOWN", ReplyState.FAILED),
    ("FAIL", ReplyState.FAILED),
    ("ENROUTE", None),
    ("ACCEPT", None),
)
MESSAGE_STATES: dict[int, ReplyState | None] = {
    1: None,  # ENROUTE
    2: ReplyState.DELIVERED,
    3: ReplyState.EXPIRED,
    4: ReplyState.FAILED,  # DELETED
    5: ReplyState.FAILED,  # UNDELIVERABLE
    6: None,  # ACCEPTED
    7: ReplyState.FAILED,  # UNKNOWN
    8: ReplyState.FAILED,  # REJECTED
}
_KEYS = re.compile(r"(?i)\b(id|sub|dlvrd|submit\s+date|done\s+date|stat|err|text)\s*:")


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: str
    stat: str
    state: str | None
    error: str
    done_at: datetime | None


def is_receipt(esm_class: int) -> bool:
    return (esm_class & MESSAGE_TYPE) in RECEIPT_TYPES


def is_intermediate(esm_class: int) -> bool:
    """A receipt that never ends a message, whatever its stat says."""
    return (esm_class & MESSAGE_TYPE) == INTERMEDIATE


def is_mo(esm_class: int) -> bool:
    """A message from a subscriber (default message type), not a receipt, a
    conversation abort (0x18) or a type SMPP 3.4 reserves."""
    return (esm_class & MESSAGE_TYPE) == 0


def parse_fields(text: str) -> dict[str, str]:
    """`id:… sub:… stat:…` into a dict with lower-case, single-spaced keys."""
    found = list(_KEYS.finditer(text))
    fields: dict[str, str] = {}
    for i, match in enumerate(found):
        key = " ".join(match.group(1).lower().split())
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        value = text[match.end() : end].strip()
        fields.setdefault(key, value)
    return fields


def state_of_stat(stat: str) -> ReplyState | None:
    upper = stat.strip().upper()
    for prefix, state in _STAT_PREFIXES:
        if upper.startswith(prefix):
            return state
    return ReplyState.FAILED if upper else None


def parse_date(value: str) -> datetime | None:
    """YYMMDDhhmm or YYMMDDhhmmss, read as UTC (the SMSC's zone is not on the wire)."""
    digits = value.strip()
    for fmt, size in (("%y%m%d%H%M%S", 12), ("%y%m%d%H%M", 10)):
        if len(digits) == size and digits.isdigit():
            try:
                return datetime.strptime(digits, fmt).replace(tzinfo=UTC)
            except ValueError:
                return None
    return None


def read_receipt(
    text: str,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    network_error_code: bytes | None = None,
) -> Receipt | None:
    """A receipt from the short message text and the TLVs; None without any id."""
    fields = parse_fields(text)
    message_id = (receipted_message_id or "").strip() or fields.get("id", "").split(" ")[0]
    if not message_id:
        return None
    stat = fields.get("stat", "").split(" ")[0]
    if message_state is not None and message_state in MESSAGE_STATES:
        state = MESSAGE_STATES[message_state]
        stat = stat or f"state{message_state}"
    else:
        state = state_of_stat(stat)
    error = fields.get("err", "").split(" ")[0]
    if network_error_code and len(network_error_code) == 3:
        kind = network_error_code[0]
        code = int.from_bytes(network_error_code[1:], "big")
        error = f"net{kind}:{code}" if not error or error.strip("0") == "" else error
    done = parse_date(fields.get("done date", ""))
    return Receipt(message_id, stat.upper(), state, error, done)


#: How an SMSC writes a receipt's id relative to its submit_sm_resp id, as
#: Kannel's `msg-id-type` says it: the same form, or decimal in the receipt
#: for a hex id in the response, or the other way round. Guessing both ways
#: at once is not safe: `10` is 0x0a to one reading and 0x10 to the other.
ID_CONVENTIONS = ("same", "decimal_for_hex", "hex_for_decimal")


def submitted_id(receipt_id: str, convention: str = "same") -> str:
    """The receipt's message id in the form the submit_sm_resp gave it, normalised."""
    canonical = normalise_id(receipt_id)
    try:
        if convention == "decimal_for_hex":
            return format(int(canonical, 10), "x")
        if convention == "hex_for_decimal":
            return str(int(canonical, 16))
    except ValueError:  # not a number in the expected base: keep it as given
        return canonical
    return canonical


def normalise_id(message_id: str) -> str:
    stripped = message_id.strip().lower()
    return stripped.lstrip("0") or stripped[:1] or ""


@dataclass(frozen=True, slots=True)
class PartState:
    """What a reply's part knows of its delivery: its state and its receipt's stat/err."""

    state: str
    stat: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyEnd:
    """A reply that its parts' receipts ended: its final state and, unless delivered,
    the error that says why."""

    state: ReplyState
    error: str | None = None


def reply_end(parts: Sequence[PartState]) -> ReplyEnd | None:
    """The reply is delivered when every part is; failed or expired when any part
    is (failed first); None while it is still on its way."""
    if not parts:
        return None
    states = {p.state for p in parts}
    for ended in (ReplyState.FAILED, ReplyState.EXPIRED):
        if ended in states:
            why = next(p for p in parts if p.state == ended)
            return ReplyEnd(ended, f"receipt {why.stat} err {why.error or '-'}")
    if states == {ReplyState.DELIVERED}:
        return ReplyEnd(ReplyState.DELIVERED)
    return None
