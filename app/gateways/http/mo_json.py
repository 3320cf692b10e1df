"""`POST /v1/mo`: the JSON inbound contract for gateways and testers.

The reply travels in the response body; the same `message_id` sent again
returns the first answer and acts on nothing twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from app.domain.text import clean
from app.gateways.http.inbound_queue import inbound_queue
from app.runtime import Runtime
from app.security import require_token
from app.services.clock import utc_now, within
from app.services.inbound import HTTP_RESPONSE, InboundMessage
from app.services.msisdn import normalise_msisdn

GATEWAY = "http-json"


gateway_auth = require_token(lambda r: r.app.state.runtime.settings.gateway_token, "gateway")
router = APIRouter(prefix="/v1", tags=["gateway"])


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


#: Built once: the body's validator and the answer's serializer (FastAPI would rebuild
#: both per request through dependency injection and `jsonable_encoder`).
_ANSWER = TypeAdapter(MoOut)
_BODY_SCHEMA = {
    "required": True,
    "content": {"application/json": {"schema": MoIn.model_json_schema(by_alias=True)}},
}


def _body(raw: bytes) -> MoIn:
    """The request body as an MO, or the 422 that names what is wrong."""
    try:
        # The standard library's parser, not pydantic's: a lone surrogate is legal
        # JSON and must reach `MoIn._clean`, not fail the parse.
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        position = getattr(error, "pos", 0)
        raise RequestValidationError(
            [{"loc": ("body", position), "msg": "JSON decode error", "type": "json_invalid"}]
        ) from None
    try:
        return MoIn.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None


@router.post(
    "/mo",
    response_model=MoOut,
    response_model_by_alias=True,
    openapi_extra={"requestBody": _BODY_SCHEMA},
    responses={
        401: {"description": "no valid gateway bearer token"},
        409: {"description": "the message id is recorded already for another number"},
        422: {"description": "what is wrong with the body, field by field"},
    },
)
async def receive_mo(request: Request) -> Response:
    """An MO in, its answer out. Validated and answered without per-request dependency
    injection: this is the gateway's hot path."""
    await gateway_auth(request)  # before the body is read
    runtime: Runtime = request.app.state.runtime
    body = _body(await request.body())
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
    answer = MoOut(
        message_id=result.message_id,
        outcome=result.outcome,
        duplicate=result.duplicate,
        replies=[ReplyOut(to=r.to, sender=r.sender, text=r.text) for r in result.replies],
    )
    return Response(_ANSWER.dump_json(answer, by_alias=True), media_type="application/json")
