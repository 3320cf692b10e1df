"""CMPP status codes: CONNECT_RESP Status and SUBMIT_RESP Result, and what each means."""

from __future__ import annotations

from app.gateways.verdicts import Verdict

CONNECT_STATUS = {
    0: "ok",
    1: "wrong message structure",
    2: "illegal source address",
    3: "authentication failed",
    4: "version too high",
}

SUBMIT_RESULT = {
    0: "ok",
    1: "wrong message structure",
    2: "wrong command",
    3: "duplicate sequence",
    4: "wrong message length",
    5: "wrong fee code",
    6: "message too long",
    7: "wrong service code",
    8: "flow control",
    9: "not this gateway's number (3.0) / other error (2.0)",
    10: "wrong Src_Id",
    11: "wrong Msg_src",
    12: "wrong Fee_terminal_Id",
    13: "wrong Dest_terminal_Id",
}

FLOW_CONTROL = 8
#: Results about the ISMG's condition or our sequence numbering, not the message.
TEMPORARY = frozenset({3})
#: DELIVER_RESP Result asking the ISMG to deliver again later (we could not store it).
DELIVER_AGAIN = 9


def describe_connect(status: int) -> str:
    return f"{status} {CONNECT_STATUS.get(status, 'other error')}"


def describe(result: int) -> str:
    return f"{result} {SUBMIT_RESULT.get(result, 'other error')}"


def verdict(result: int, version: int) -> Verdict:
    """What a SUBMIT_RESP Result means on a link of `version` (0x20 or 0x30): 2.0's
    Result 9 is "other error", 3.0's "not this gateway's number"."""
    if result == 0:
        return Verdict.OK
    if result == FLOW_CONTROL:
        return Verdict.THROTTLED
    if result in TEMPORARY or (result == 9 and version < 0x30) or result > 13:
        return Verdict.TEMPORARY
    return Verdict.PERMANENT
