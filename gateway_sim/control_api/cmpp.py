"""The CMPP ISMG: its links and faults, and what the ISMG does to a link on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException

from gateway_sim.control_api.bodies import CmppFaultsIn, RawIn
from gateway_sim.control_api.deps import SimDep

if TYPE_CHECKING:
    from gateway_sim.simulator import Simulator

router = APIRouter(prefix="/api/cmpp")


@router.get("")
async def cmpp_view(sim: SimDep) -> dict[str, Any]:
    return sim.ismg.view()


@router.patch("/faults")
async def cmpp_faults(body: CmppFaultsIn, sim: SimDep) -> dict[str, Any]:
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(sim.ismg.faults, name, value)
    return sim.ismg.view()


@router.post("/links/{link_id}/drop")
async def cmpp_drop(link_id: str, sim: SimDep) -> dict[str, Any]:
    link = sim.ismg.links.get(link_id)
    if link is None:
        raise HTTPException(404, f"no open CMPP link {link_id}")
    link.close()
    return link.view()


@router.post("/links/{link_id}/terminate")
async def cmpp_terminate(link_id: str, sim: SimDep) -> dict[str, Any]:
    _require_link(sim, link_id)
    sim.ismg.terminate(link_id)
    return sim.ismg.links[link_id].view()


@router.post("/links/{link_id}/raw")
async def cmpp_raw(link_id: str, body: RawIn, sim: SimDep) -> dict[str, Any]:
    """Write these bytes on the link as they are (a malformed PDU, say)."""
    _require_link(sim, link_id)
    sim.ismg.raw(link_id, bytes.fromhex(body.hex))
    return {"written": len(body.hex) // 2}


def _require_link(sim: Simulator, link_id: str) -> None:
    if link_id not in sim.ismg.links:
        raise HTTPException(404, f"no open CMPP link {link_id}")
