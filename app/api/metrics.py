"""`GET /metrics`: Prometheus text, for the admin token or the metrics token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from app.metrics.exposition import CONTENT_TYPE, exposition
from app.metrics.links import SmppBinds
from app.metrics.outbox import OutboxDepth
from app.runtime import Runtime
from app.security import require_token

_admin = require_token(lambda r: r.app.state.runtime.settings.admin_token, "admin")
_scraper = require_token(lambda r: r.app.state.runtime.settings.metrics_token, "metrics")
router = APIRouter(tags=["ops"])


async def metrics_auth(request: Request) -> None:
    """Either token lets a scraper in; a scraper need not hold the admin token."""
    try:
        await _scraper(request)
    except HTTPException:
        await _admin(request)  # its 401 names the admin realm


@router.get("/metrics", dependencies=[Depends(metrics_auth)], response_class=Response)
def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    body = exposition(
        SmppBinds(lambda: getattr(request.app.state, "smpp", None)),
        OutboxDepth(runtime.uow_factory),
    )
    return Response(body, status_code=status.HTTP_200_OK, media_type=CONTENT_TYPE)
