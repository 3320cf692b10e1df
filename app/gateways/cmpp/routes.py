"""`GET /v1/cmpp/links`: each CMPP link's state and counters (admin token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.gateways.smpp.routes import admin_auth

router = APIRouter(prefix="/v1/cmpp", tags=["admin"], dependencies=[Depends(admin_auth)])


@router.get("/links")
def links(request: Request) -> dict[str, Any]:
    service = getattr(request.app.state, "cmpp", None)
    if service is None:
        return {"links": [], "outbox_sender": None}
    return service.view()
