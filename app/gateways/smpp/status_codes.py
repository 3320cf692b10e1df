"""What an SMPP command_status means for a message: retry now, retry later, or give up."""

from __future__ import annotations

from smpplib import consts

from app.gateways.verdicts import Verdict

__all__ = ["Verdict", "describe", "verdict"]

ROK = 0x00
RMSGQFUL = 0x14
RTHROTTLED = 0x58


#: Statuses that describe the SMSC's condition rather than the message.
TEMPORARY = frozenset(
    {
        0x08,  # ESME_RSYSERR
        0x0D,  # ESME_RBINDFAIL
        0x04,  # ESME_RINVBNDSTS: our bind was not ready
        0x61,  # ESME_RINVSCHED
        0x64,  # ESME_RX_T_APPN
        0xFE,  # ESME_RDELIVERYFAILURE
        0xFF,  # ESME_RUNKNOWNERR
    }
)


def verdict(status: int) -> Verdict:
    if status == ROK:
        return Verdict.OK
    if status in (RTHROTTLED, RMSGQFUL):
        return Verdict.THROTTLED
    if status in TEMPORARY:
        return Verdict.TEMPORARY
    return Verdict.PERMANENT


def describe(status: int) -> str:
    return f"0x{status:02x} {consts.DESCRIPTIONS.get(status, 'unknown status')}"
