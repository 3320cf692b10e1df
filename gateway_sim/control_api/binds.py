"""SMPP binds: open and closed sessions, SMSC-initiated unbind and drop, the PDU capture."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from gateway_sim.control_api.deps import SimDep
from gateway_sim.session import Session, SessionState

router = APIRouter(prefix="/api")


@router.get("/pdus")
async def get_pdus(
    sim: SimDep, limit: int = Query(200, ge=1, le=2000), bind: str | None = None
) -> dict[str, Any]:
    """Last PDUs in both directions, hex-encoded (a wire capture for debugging)."""
    return {"pdus": sim.smsc.capture.recent(limit, bind)}


@router.get("/binds")
async def binds(sim: SimDep) -> dict[str, Any]:
    return {"binds": sim.smsc.binds(), "closed": list(sim.smsc.closed_sessions)}


@router.post("/binds/{bind_id}/unbind")
async def unbind(bind_id: str, sim: SimDep) -> dict[str, Any]:
    """Start an SMSC-initiated unbind; the session closes on unbind_resp or after 5 s."""
    session = _session(sim.smsc.session(bind_id), bind_id)
    if session.state != SessionState.BOUND:
        raise HTTPException(409, f"{bind_id} is {session.state}, not bound")
    sim.smsc.spawn(session.unbind())
    await asyncio.sleep(0)  # let unbind go out so the state below is "unbinding"
    return {"id": bind_id, "state": session.state}


@router.post("/binds/{bind_id}/drop")
async def drop(bind_id: str, sim: SimDep) -> dict[str, Any]:
    session = _session(sim.smsc.session(bind_id), bind_id)
    session.close()
    return {"id": bind_id, "state": session.state}


def _session(session: Session | None, bind_id: str) -> Session:
    if session is None:
        raise HTTPException(404, f"no open bind {bind_id}")
    return session
