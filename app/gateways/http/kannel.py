"""Kannel's HTTP conventions: an `sms-service` forwards each MO here, `dlr-url` reports back.

`GET /v1/kannel/mo` (get-url) takes the MO in the query; `POST /v1/kannel/mo`
(post-url) takes the text as the body and the rest in `X-Kannel-*` headers.
In `body` mode the `text/plain` answer is the reply SMS; in `sendsms` mode the
answer is empty (the service needs `omit-empty = true`) and the reply leaves
through the outbox to Kannel's sendsms, its DLRs coming to `GET /v1/kannel/dlr`.
handle_inbound decides everything; this module only translates.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from app.domain.channels import Channel
from app.domain.delivery_receipts import Receipt
from app.domain.sms_coding import fits_gsm7
from app.domain.states import ReplyState
from app.domain.text import has_control, is_digits
from app.gateways.http.inbound_queue import inbound_queue
from app.gateways.http.kannel_auth import check_kannel_caller
from app.gateways.http.kannel_wire import (
    KannelRequestError,
    content_charset,
    decode_text,
    dlr_error,
    dlr_type,
    parse_coding,
    parse_time,
    query_bytes,
    receipt_key,
    shown,
)
from app.runtime import Runtime
from app.services.clock import utc_now, within
from app.services.inbound import HTTP_RESPONSE, InboundMessage, InboundResult
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.receipts import record_receipt
from app.settings import Settings

log = logging.getLogger("smshall.kannel")

GATEWAY = "kannel"
#: Outbox channel of replies that go out through Kannel's sendsms.
CHANNEL = Channel.KANNEL
SHORT_CODE_DIGITS = range(3, 22)


async def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


router = APIRouter(
    prefix="/v1/kannel", tags=["gateway"], dependencies=[Depends(check_kannel_caller)]
)


def _text(params: Mapping[str, bytes], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else value.decode("utf-8", errors="replace")


def _required(params: Mapping[str, bytes], name: str, escape: str) -> str:
    value = _text(params, name)
    if value is None or not value.strip():
        raise KannelRequestError(f"{name}: missing (Kannel's {escape})")
    return value.strip()


def _message_id(params: Mapping[str, bytes], msisdn: str, to: str, text: bytes) -> str:
    """Kannel's `%I` when given: its retries and restarts keep it.

    Without it, a hash of sender, receiver, `%t`/`%T` and text stands in, so a
    retried request is still recognised (the cost: the same text twice in one
    second counts once); without a time either, every request is a new message.
    """
    given = (_text(params, "id") or "").strip()
    if given:
        if len(given) > 128:
            raise KannelRequestError("id: longer than 128 characters")
        if has_control(given):
            raise KannelRequestError("id: holds control characters")
        return given
    time = (_text(params, "time") or "").strip()
    if not time:
        return f"nokey-{uuid.uuid4().hex}"
    digest = hashlib.sha256("\x1f".join((msisdn, to, time)).encode() + b"\x1f" + text)
    return f"hash-{digest.hexdigest()[:40]}"


def _received_at(time: str | None, settings: Settings) -> datetime:
    """Kannel's `%t`/`%T`, or now.

    A malformed time is Kannel misconfigured: 400 naming it. A well-formed time
    far from our clock is an SMSC with a wrong clock (or a year-9999 default):
    refusing it would make Kannel send its reply-requestfailed text for every MO
    from that SMSC, and Kannel integrators expect every MO to be answered. So
    it is taken as the time of arrival, as when `time` is absent, and logged.
    """
    now = utc_now()
    if not time or not time.strip():
        return now
    given = parse_time(time)
    if within(given, now, *settings.received_at_window):
        return given
    log.warning("time %s is far from the service clock; the MO is taken as of now", given)
    return now


def _inbound(params: Mapping[str, bytes], body: bytes | None, settings: Settings) -> InboundMessage:
    """One MO from the query (get-url) or the query, headers and body (post-url)."""
    raw = body if body is not None else params.get("text")
    if raw is None:
        raise KannelRequestError("text: missing (Kannel's %b or %a)")
    try:
        msisdn = normalise_msisdn(_required(params, "from", "%p"))
    except InvalidMsisdn as error:
        raise KannelRequestError(f"from: {error}") from None
    # Kannel writes an international number (TON 1) with a `+`, the short code too
    # when the SMSC gave it that type of number.
    to = _required(params, "to", "%P").removeprefix("+")
    if not is_digits(to) or len(to) not in SHORT_CODE_DIGITS:
        raise KannelRequestError(f"to: expected a short code of 3-21 digits, got {shown(to)}")
    coding = parse_coding(_text(params, "coding"))
    text = decode_text(raw, coding, _text(params, "charset"))
    max_chars = settings.max_mo_chars
    if len(text) > max_chars:
        raise KannelRequestError(f"text: longer than {max_chars} characters (SMSHALL_MAX_MO_CHARS)")
    received_at = _received_at(_text(params, "time"), settings)
    # Replies go out from our short code, whatever `to` says.
    message_id = _message_id(params, msisdn, to, raw)
    return InboundMessage(GATEWAY, message_id, msisdn, settings.short_code, text, received_at)


def _answer(request: Request, runtime: Runtime, result: InboundResult) -> Response:
    if runtime.settings.kannel_reply_mode == "sendsms":
        sender = getattr(request.app.state, "kannel_sender", None)
        if sender is not None and not result.duplicate:
            sender.wake()
        return Response(status_code=status.HTTP_200_OK, media_type="text/plain")
    text = "\n".join(reply.text for reply in result.replies)
    headers = {"X-Kannel-Coding": "0" if fits_gsm7(text) else "2"}
    if result.replies:
        headers["X-Kannel-From"] = result.replies[0].sender
    # charset=UTF-8 tells Kannel what to recode from when X-Kannel-Coding is 2.
    return Response(text, media_type="text/plain; charset=UTF-8", headers=headers)


def _parse(runtime: Runtime, params: Mapping[str, bytes], body: bytes | None) -> InboundMessage:
    try:
        return _inbound(params, body, runtime.settings)
    except KannelRequestError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None


def _channel(runtime: Runtime) -> str:
    return CHANNEL if runtime.settings.kannel_reply_mode == "sendsms" else HTTP_RESPONSE


@router.get("/mo", summary="MO from a Kannel sms-service get-url")
async def mo_by_get_url(
    request: Request, runtime: Annotated[Runtime, Depends(_runtime)]
) -> Response:
    """Query: `from=%p&to=%P&text=%b&id=%I&time=%t&coding=%c&charset=%C` (`token=` too)."""
    message = _parse(runtime, query_bytes(request.scope["query_string"]), None)
    result = await inbound_queue(request).handle(message, _channel(runtime))
    return _answer(request, runtime, result)


@router.post("/mo", summary="MO from a Kannel sms-service post-url")
async def mo_by_post_url(
    request: Request, runtime: Annotated[Runtime, Depends(_runtime)]
) -> Response:
    """Body: the text. Headers: `X-Kannel-From` (needs `send-sender = true`), `X-Kannel-To`,
    `X-Kannel-Time`, `X-Kannel-Coding`, the charset in `Content-Type`. Query: `id=%I`;
    any query parameter of the get-url form overrides its header."""
    headers = request.headers
    from_headers = {
        "from": headers.get("x-kannel-from"),
        "to": headers.get("x-kannel-to"),
        "time": headers.get("x-kannel-time"),
        "coding": headers.get("x-kannel-coding"),
        "charset": content_charset(headers.get("content-type")),
    }
    params = {k: v.encode("utf-8") for k, v in from_headers.items() if v is not None}
    params.update(query_bytes(request.scope["query_string"]))
    message = _parse(runtime, params, await request.body())
    result = await inbound_queue(request).handle(message, _channel(runtime))
    return _answer(request, runtime, result)


@router.get("/dlr", summary="Delivery report from Kannel's dlr-url")
def delivery_report(request: Request, runtime: Annotated[Runtime, Depends(_runtime)]) -> Response:
    """Query: `reply=<outbox id>&type=%d&answer=%A` (`smsc_id=%F` and others are ignored).

    The sender writes this URL into each sendsms call, so `reply` is ours."""
    params = query_bytes(request.scope["query_string"])
    try:
        reply = _required(params, "reply", "outbox id in the dlr-url")
        if not is_digits(reply) or len(reply) > 18:  # an outbox id, a BIGINT at most
            raise KannelRequestError(f"reply: expected the outbox id, got {shown(reply)}")
        stat, state = dlr_type(_text(params, "type"))
    except KannelRequestError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    why = dlr_error(_text(params, "answer") or "") if state == ReplyState.FAILED else ""
    receipt = Receipt(receipt_key(int(reply)), stat, state, why, None)
    record_receipt(runtime.uow_factory, receipt)
    log.info("reply %d: Kannel report %s%s", int(reply), stat, f" -> {state}" if state else "")
    return Response("ok", media_type="text/plain")
