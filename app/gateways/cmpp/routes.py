"""`GET /v1/cmpp/links`: each CMPP link's state and counters (admin token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.gateways.links.routes import link_view
from app.gateways.smpp.routes import admin_auth

router = APIRouter(prefix="/v1/cmpp", tags=["admin"], dependencies=[Depends(admin_auth)])


@router.get("/links")
def links(request: Request) -> dict[str, Any]:
    return link_view(request, "cmpp", "links")
