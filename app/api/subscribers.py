"""`GET /v1/subscribers/{msisdn}`: the subscriber, segments as of today, services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from app.runtime import Runtime
from app.security import require_token
from app.services.clock import local_day, utc_now
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.subscriber_view import view_subscriber


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


admin_auth = require_token(lambda r: _runtime(r).settings.admin_token, "admin")
router = APIRouter(prefix="/v1", tags=["admin"], dependencies=[Depends(admin_auth)])


@router.get("/subscribers/{msisdn}")
def get_subscriber(msisdn: str, runtime: Annotated[Runtime, Depends(_runtime)]) -> dict[str, Any]:
    try:
        number = normalise_msisdn(msisdn)
    except InvalidMsisdn as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    today = local_day(utc_now(), runtime.settings.zone)
    view = view_subscriber(runtime.uow_factory, number, today)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscriber {number}")
    body = asdict(view)
    body["as_of"] = today
    return body
