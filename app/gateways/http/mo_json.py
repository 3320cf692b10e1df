"""`POST /v1/mo`: the JSON inbound contract for gateways and testers.

The reply travels in the response body; the same `message_id` sent again
returns the first answer and acts on nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.domain.text import clean
from app.gateways.http.inbound_queue import inbound_queue
from app.runtime import Runtime
from app.security import require_token
from app.services.clock import utc_now, within
from app.services.inbound import HTTP_RESPONSE, InboundMessage
from app.services.msisdn import normalise_msisdn

GATEWAY = "http-json"


async def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


gateway_auth = require_token(lambda r: r.app.state.runtime.settings.gateway_token, "gateway")
router = APIRouter(prefix="/v1", tags=["gateway"], dependencies=[Depends(gateway_auth)])


class MoIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    sender: str = Field(alias="from", description="the subscriber's number, any common form")
    to: str = Field(pattern=r"^[0-9]{3,21}$", description="the short code texted")
    text: str = Field(description="what the subscriber typed; at most SMSHALL_MAX_MO_CHARS")
    message_id: str = Field(
        min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$", description="the gateway's id"
    )
    received_at: datetime | None = Field(
        default=None, description="when the SMSC received it; naive = operator time; default now"
    )

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        """A lone surrogate is legal JSON but no text: it becomes U+FFFD and the MO is
        answered, like garbage bytes on any other channel."""
        if isinstance(data, dict):
            return {k: clean(v) if isinstance(v, str) else v for k, v in data.items()}
        return data

    @field_validator("sender")
    @classmethod
    def _msisdn(cls, value: str) -> str:
        return normalise_msisdn(value)


class ReplyOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    to: str
    sender: str = Field(serialization_alias="from")
    text: str


class MoOut(BaseModel):
    message_id: str
    outcome: str
    duplicate: bool
    replies: list[ReplyOut]


@router.post("/mo", response_model=MoOut, response_model_by_alias=True)
async def receive_mo(
    body: MoIn, request: Request, runtime: Annotated[Runtime, Depends(_runtime)]
) -> MoOut:
    limit = runtime.settings.max_mo_chars
    if len(body.text) > limit:
        too_long = f"longer than {limit} characters (SMSHALL_MAX_MO_CHARS)"
        raise RequestValidationError(
            [{"loc": ("body", "text"), "msg": too_long, "type": "string_too_long"}]
        )
    now = utc_now()
    received_at = body.received_at or now
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=runtime.settings.zone)
    if not within(received_at, now, *runtime.settings.received_at_window):
        behind, ahead = runtime.settings.received_at_window
        far = f"more than {behind} before or {ahead} after the service clock"
        raise RequestValidationError(
            [{"loc": ("body", "received_at"), "msg": far, "type": "datetime_out_of_window"}]
        )
    # Replies go out from our short code, whatever `to` says (a number, any text).
    short_code = runtime.settings.short_code
    message = InboundMessage(
        GATEWAY, body.message_id, body.sender, short_code, body.text, received_at
    )
    result = await inbound_queue(request).handle(message, HTTP_RESPONSE)
    return MoOut(
        message_id=result.message_id,
        outcome=result.outcome,
        duplicate=result.duplicate,
        replies=[ReplyOut(to=r.to, sender=r.sender, text=r.text) for r in result.replies],
    )
