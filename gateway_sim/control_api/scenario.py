"""The running scenario (replace or merge), counters, and a reset of all traffic."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from gateway_sim import scenario as scenario_mod
from gateway_sim.control_api.deps import SimDep

router = APIRouter(prefix="/api")


@router.get("/stats")
async def stats(sim: SimDep) -> dict[str, Any]:
    return sim.stats()


@router.post("/reset")
async def reset(sim: SimDep) -> dict[str, Any]:
    sim.reset()
    return {"reset": True}


@router.get("/scenario")
async def get_scenario(sim: SimDep) -> dict[str, Any]:
    return sim.scenario.to_dict()


@router.put("/scenario")
async def put_scenario(body: dict[str, Any], sim: SimDep) -> dict[str, Any]:
    try:
        new = scenario_mod.from_dict(body)
    except scenario_mod.ScenarioError as exc:
        raise HTTPException(422, str(exc)) from exc
    sim.apply_scenario(new)
    return new.to_dict()


@router.patch("/scenario")
async def patch_scenario(body: dict[str, Any], sim: SimDep) -> dict[str, Any]:
    """Merge into the running scenario (faults/receipts merged key by key)."""
    merged = sim.scenario.to_dict()
    for key, value in body.items():
        if key in ("faults", "receipts") and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return await put_scenario(merged, sim)
