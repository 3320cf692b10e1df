"""HTTP control API (FastAPI) for testers, the CLI and the handset page.

Handlers run on the simulator's event loop, so they touch SMSC state directly.
One router a concern: handset traffic, SMPP binds, the CMPP ISMG, the running
scenario, USSD dialogues; this module puts them together behind the token.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from gateway_sim.control_api import binds, cmpp, scenario, traffic, ussd
from gateway_sim.control_api.deps import STATIC_DIR, SimDep

if TYPE_CHECKING:
    from gateway_sim.simulator import Simulator

__all__ = ["build_app"]


def build_app(sim: Simulator, token: str | None) -> FastAPI:
    app = FastAPI(title="gateway-sim control API", version="1")
    app.state.sim = sim

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if token and request.url.path.startswith("/api"):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        return await call_next(request)

    for module in (traffic, binds, cmpp, scenario, ussd):
        app.include_router(module.router)
    app.add_api_route("/api/health", health, methods=["GET"])
    app.add_api_route("/", index, methods=["GET"])
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


async def health(sim: SimDep) -> dict[str, Any]:
    return {"ok": True, "smpp_port": sim.smpp_port, "cmpp_port": sim.cmpp_port,
            "time": time.time()}  # fmt: skip


async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
