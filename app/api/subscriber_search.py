"""`GET /v1/subscribers` (search) and `GET /v1/subscribers/{msisdn}/conversation`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import HTTPException, Query, status
from pydantic import BaseModel, ConfigDict

from app.api.common import Cursor, Limit, Offset, RuntimeDep, admin_router, next_cursor, today
from app.catalog.schema import CatalogError
from app.domain.segments import Segment
from app.domain.subscriber import Brand, Status, VipLevel
from app.services.conversation import conversation_of
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.subscriber_search import find_subscribers
from app.store.subscriber_search import SubscriberFilter

router = admin_router()


class SubscriberSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    msisdn: str
    brand: str
    status: str
    vip_level: str | None
    vip_source: str | None
    account_manager: str | None
    opened_on: date
    balance_fen: int


class SubscriberPage(BaseModel):
    as_of: date
    subscribers: list[SubscriberSummaryOut]
    next_cursor: int | None


Prefix = Annotated[
    str | None,
    Query(pattern=r"^1\d{0,10}$", description="leading digits of the number, e.g. `138`"),
]


@router.get("/subscribers", response_model=SubscriberPage)
def search_subscribers(
    runtime: RuntimeDep,
    prefix: Prefix = None,
    brand: Brand | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    vip_level: VipLevel | None = None,
    segment: Annotated[
        Segment | None, Query(description="a DOMAIN.md §3 segment as of today")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = 0,
) -> SubscriberPage:
    """Subscribers by number prefix, brand, status, VIP card level and segment,
    in id order; pass `next_cursor` back as `cursor` for the next page."""
    wanted = SubscriberFilter(
        prefix=prefix,
        brand=brand.value if brand else None,
        status=status_.value if status_ else None,
        vip_level=vip_level.value if vip_level else None,
        segment=segment,
    )
    day = today(runtime)
    try:
        found = find_subscribers(runtime.uow_factory, wanted, day, cursor, limit)
    except CatalogError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return SubscriberPage(
        as_of=day,
        subscribers=[SubscriberSummaryOut.model_validate(s) for s in found],
        next_cursor=next_cursor([s.id for s in found], limit),
    )


class PartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    part_no: int
    gateway: str
    message_id: str
    state: str
    receipt_stat: str | None
    receipt_error: str | None
    submitted_at: datetime
    updated_at: datetime


class ConversationEntryOut(BaseModel):
    """`direction` `mo` (what the subscriber sent: `outcome`, `detail`, `gateway`) or
    `mt` (what was sent to it: `in_reply_to` its MO, or none for a notice; `state`,
    `attempts`, `parts` with their receipts)."""

    model_config = ConfigDict(from_attributes=True)
    direction: str
    id: int
    at: datetime
    text: str
    gateway: str | None
    outcome: str | None
    detail: str | None
    in_reply_to: int | None
    state: str | None
    attempts: int | None
    last_error: str | None
    drop_reason: str | None
    parts: list[PartOut]


class ConversationPage(BaseModel):
    msisdn: str
    messages: list[ConversationEntryOut]
    next_offset: int | None


@router.get("/subscribers/{msisdn}/conversation", response_model=ConversationPage)
def get_conversation(
    msisdn: str, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0
) -> ConversationPage:
    """Every MO and every message sent to the number, newest first."""
    try:
        number = normalise_msisdn(msisdn)
    except InvalidMsisdn as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    entries = conversation_of(runtime.uow_factory, number, offset, limit)
    return ConversationPage(
        msisdn=number,
        messages=[ConversationEntryOut.model_validate(e) for e in entries],
        next_offset=offset + limit if len(entries) == limit else None,
    )
