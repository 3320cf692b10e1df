"""Finding subscribers for the admin API: by number prefix, brand, status, VIP card
and DOMAIN.md §3 segment, a page at a time in id order (keyset: `after` an id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.segments import PhotoWindow, Segment
from app.store.models import SubscriberRow
from app.store.segment_sql import USAGE_SEGMENTS, SegmentSql

MSISDN_DIGITS = 11


@dataclass(frozen=True, slots=True)
class SubscriberFilter:
    prefix: str | None = None  # leading digits of the number
    brand: str | None = None
    status: str | None = None
    vip_level: str | None = None
    segment: Segment | None = None


def search_subscribers(
    session: Session,
    wanted: SubscriberFilter,
    on: date,
    photo: PhotoWindow | None,
    after: int,
    limit: int,
) -> list[SubscriberRow]:
    """Up to `limit` subscribers past id `after` matching `wanted` as of `on`.

    The prefix is a range on the unique msisdn index (`>= 138`, `<= 13899999999`),
    which PostgreSQL uses under any collation, unlike LIKE. A usage segment joins
    one GROUP BY over the usage months it reads (app/store/segment_sql.py)."""
    query = select(SubscriberRow).where(SubscriberRow.id > after)
    if wanted.prefix:
        top = wanted.prefix + "9" * (MSISDN_DIGITS - len(wanted.prefix))
        query = query.where(SubscriberRow.msisdn.between(wanted.prefix, top))
    for column, value in (
        (SubscriberRow.brand, wanted.brand),
        (SubscriberRow.status, wanted.status),
        (SubscriberRow.vip_level, wanted.vip_level),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.segment is not None:
        segments = SegmentSql(on, photo)
        usage = None
        if wanted.segment in USAGE_SEGMENTS:
            usage = segments.usage()
            query = query.outerjoin(usage, usage.c.subscriber_id == SubscriberRow.id)
        query = query.where(segments.condition(wanted.segment, usage))
    return list(session.scalars(query.order_by(SubscriberRow.id).limit(limit)))
