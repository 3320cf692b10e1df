"""The simulator the control API's handlers act on, as a FastAPI dependency."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from gateway_sim.simulator import Simulator

STATIC_DIR = Path(__file__).parent.parent / "static"
MAX_WAIT = 60.0  # seconds a long-poll may wait


def simulator_of(request: Request) -> Simulator:
    sim: Simulator = request.app.state.sim
    return sim


SimDep = Annotated["Simulator", Depends(simulator_of)]
