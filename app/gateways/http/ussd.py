"""`POST /v1/ussd`: USSD over HTTP in the aggregator convention (Africa's
Talking style): a form with `sessionId`, `serviceCode`, `phoneNumber`,
`networkCode` and `text` — every input so far joined by `*`, empty on the
first request — answered with plain text starting `CON ` (the session goes
on) or `END ` (it ends).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import PlainTextResponse

from app.domain.text import has_control
from app.runtime import Runtime
from app.security import require_token
from app.services.clock import utc_now
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.ussd import INPUT_SEPARATOR, UssdStep, handle_ussd

GATEWAY = "ussd-http"


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


gateway_auth = require_token(
    lambda r: _runtime(r).settings.gateway_token, "gateway", allow_query=True
)
router = APIRouter(prefix="/v1", tags=["gateway"], dependencies=[Depends(gateway_auth)])


@router.post("/ussd", response_class=PlainTextResponse)
def ussd_step(
    runtime: Annotated[Runtime, Depends(_runtime)],
    session_id: Annotated[str, Form(alias="sessionId", min_length=1, max_length=100)],
    service_code: Annotated[str, Form(alias="serviceCode", pattern=r"^[*#0-9]{2,30}$")],
    phone_number: Annotated[str, Form(alias="phoneNumber", min_length=1, max_length=32)],
    text: Annotated[str, Form()] = "",
    network_code: Annotated[str, Form(alias="networkCode", max_length=16)] = "",
) -> PlainTextResponse:
    try:
        msisdn = normalise_msisdn(phone_number)
    except InvalidMsisdn as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"phoneNumber: {error}"
        ) from error
    if has_control(session_id):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "sessionId: holds control characters"
        )
    limit = runtime.settings.max_ussd_chars
    if len(text) > limit:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"text: longer than {limit} characters (SMSHALL_MAX_USSD_CHARS)",
        )
    inputs = tuple(text.split(INPUT_SEPARATOR)) if text else ()
    screen = handle_ussd(
        runtime.uow_factory,
        UssdStep(GATEWAY, session_id, msisdn, service_code, inputs, utc_now()),
        runtime.reply_context,
        runtime.settings.notice_channel,
    )
    return PlainTextResponse(("END " if screen.end else "CON ") + screen.text)
