"""`GET /v1/subscribers` (search) and `GET /v1/subscribers/{msisdn}/conversation`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import HTTPException, Query, status
from pydantic import BaseModel

from app.api.common import Cursor, Limit, Offset, RuntimeDep, admin_router, next_cursor, today
from app.catalog.schema import CatalogError
from app.domain.segments import Segment
from app.domain.subscriber import Brand, Status, VipLevel
from app.services.conversation import ConversationEntry, conversation_of
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.services.subscriber_search import SubscriberSummary, find_subscribers
from app.store.subscriber_search import SubscriberFilter

router = admin_router()


class SubscriberPage(BaseModel):
    as_of: date
    subscribers: list[SubscriberSummary]
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
        subscribers=found,
        next_cursor=next_cursor([s.id for s in found], limit),
    )


class ConversationPage(BaseModel):
    msisdn: str
    messages: list[ConversationEntry]
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
        messages=entries,
        next_offset=offset + limit if len(entries) == limit else None,
    )
