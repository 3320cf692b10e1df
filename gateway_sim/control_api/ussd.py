"""USSD dialogues as the handset sees them: dial or answer, read the screen, hang up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from gateway_sim.control_api.bodies import UssdStepIn
from gateway_sim.control_api.deps import SimDep
from gateway_sim.ussd import Dialogue, NoDialogue

router = APIRouter(prefix="/api/ussd")


@router.post("")
async def ussd_step(body: UssdStepIn, sim: SimDep) -> dict[str, Any]:
    """The USSDC side of one step: deliver_sm op 1 (dial) or 18 (answer), then
    wait for the ESME's submit_sm op 2 (continue) or 17 (end)."""
    if (body.code is None) == (body.input is None):
        raise HTTPException(422, "give either code (dial) or input (answer)")
    try:
        if body.code is not None:
            sim.ussd.dial(body.msisdn, body.code)
        else:
            sim.ussd.answer(body.msisdn, body.input or "")
    except NoDialogue as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    dialogue = await sim.ussd.wait(body.msisdn, body.wait)
    assert dialogue is not None
    return {**dialogue.view(), "timed_out": dialogue.waiting}


@router.get("/{msisdn}")
async def ussd_screen(msisdn: str, sim: SimDep) -> dict[str, Any]:
    """The handset's current USSD dialogue: its last screen, open or ended."""
    return _dialled(sim.ussd.current(msisdn), msisdn)


@router.delete("/{msisdn}")
async def ussd_release(msisdn: str, sim: SimDep) -> dict[str, Any]:
    """The handset hangs up; the ESME is not told (it times the dialogue out)."""
    return _dialled(sim.ussd.release(msisdn), msisdn)


def _dialled(dialogue: Dialogue | None, msisdn: str) -> dict[str, Any]:
    if dialogue is None:
        raise HTTPException(404, f"{msisdn} has not dialled a USSD code")
    return dialogue.view()
