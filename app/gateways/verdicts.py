"""What a gateway's answer to a submit means for the message, whatever the protocol."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    #: The peer is busy: pause this link and send the same message again first.
    THROTTLED = "throttled"
    #: Worth another attempt later (system error, timeouts, peer-side trouble).
    TEMPORARY = "temporary"
    #: The message itself is wrong (bad address, bad length...): do not resend.
    PERMANENT = "permanent"
