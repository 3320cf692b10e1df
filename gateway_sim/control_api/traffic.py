"""Handset traffic: MO in (over SMPP or CMPP), MT, MO and receipts out, conversations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from gateway_sim.control_api.bodies import MoIn
from gateway_sim.control_api.deps import MAX_WAIT, SimDep
from gateway_sim.traffic import MoRecord

router = APIRouter(prefix="/api")


@router.post("/mo")
async def post_mo(body: MoIn, sim: SimDep) -> dict[str, Any]:
    try:
        if body.protocol == "cmpp":
            record = sim.ismg.inject_mo(
                body.source, body.to, body.text, body.msg_fmt, body.repeat, body.parts_order
            )
        else:
            record = sim.smsc.inject_mo(
                body.source,
                body.to,
                body.text,
                body.data_coding,
                body.split,
                body.parts_order,
                body.ussd.model_dump() if body.ussd else None,
            )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    answer = _queued(record)
    if body.protocol == "cmpp":  # the Msg_Id of each part's DELIVER
        answer["msg_ids"] = [str(i) for i in sim.ismg.mo_deliveries[record.id]]
    return answer


def _queued(record: MoRecord) -> dict[str, Any]:
    """The answer to a posted MO: its id, its parts, and the MT cursor to wait after."""
    return {
        "id": record.id,
        "ids": [record.id],
        "segments": record.segments,
        "data_coding": record.data_coding,
        "mt_cursor": record.seq,
        "t": record.t,
        "queued": sum(1 for a in record.acks if a is None),
    }


@router.get("/mt")
async def get_mt(
    sim: SimDep,
    to: str | None = None,
    after: int = Query(0, ge=0, description="only MT with seq greater than this"),
    wait: float = Query(0.0, ge=0.0, le=MAX_WAIT, description="long-poll seconds"),
    limit: int = Query(500, ge=1, le=10_000),
) -> dict[str, Any]:
    if wait > 0:
        found = await sim.traffic.wait_mt(after, to, wait)
    else:
        found = sim.traffic.mt_after(after, to)
    cursor = sim.traffic.cursor
    if len(found) > limit:
        # Oldest first; the cursor stops at the last one returned so the rest come next time.
        found = found[:limit]
        cursor = found[-1].seq
    return {"cursor": cursor, "mt": [m.view() for m in found]}


@router.get("/mo")
async def get_mo(sim: SimDep, limit: int = Query(500, ge=1, le=10_000)) -> dict[str, Any]:
    return {"mo": [m.view() for m in sim.traffic.mo[-limit:]]}


@router.get("/receipts")
async def get_receipts(sim: SimDep, limit: int = Query(500, ge=1, le=10_000)) -> dict[str, Any]:
    return {"receipts": [r.view() for r in sim.traffic.receipts[-limit:]]}


@router.get("/handsets")
async def get_handsets(sim: SimDep) -> dict[str, Any]:
    return {"handsets": sim.traffic.handsets()}


@router.get("/handsets/{msisdn}/conversation")
async def conversation(msisdn: str, sim: SimDep) -> dict[str, Any]:
    return {
        "msisdn": msisdn,
        "cursor": sim.traffic.cursor,
        "messages": sim.traffic.conversation(msisdn),
    }
