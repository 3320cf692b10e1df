"""`GET /v1/smpp/binds`: each bind's state and counters (admin token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.gateways.links.routes import link_view
from app.security import require_token

admin_auth = require_token(lambda r: r.app.state.runtime.settings.admin_token, "admin")
router = APIRouter(prefix="/v1/smpp", tags=["admin"], dependencies=[Depends(admin_auth)])


@router.get("/binds")
def binds(request: Request) -> dict[str, Any]:
    return link_view(request, "smpp", "binds")
