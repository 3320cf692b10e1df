"""Finding subscribers for the admin API (DOMAIN.md §1, §3): one page of a filtered
search; segments decided in SQL as of `today`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.domain.segments import PhotoWindow
from app.services.catalog import photo_window
from app.store.segment_sql import USAGE_SEGMENTS
from app.store.subscriber_search import SubscriberFilter, search_subscribers
from app.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class SubscriberSummary:
    """What a search lists; the record itself is `GET /v1/subscribers/{msisdn}`."""

    id: int
    msisdn: str
    brand: str
    status: str
    vip_level: str | None
    vip_source: str | None
    account_manager: str | None
    opened_on: date
    balance_fen: int


def find_subscribers(
    uow_factory: Callable[[], UnitOfWork],
    wanted: SubscriberFilter,
    today: date,
    after: int,
    limit: int,
) -> list[SubscriberSummary]:
    """A page of subscribers matching `wanted`; a usage segment needs the
    catalog's photo window (CatalogError without one)."""
    with uow_factory() as uow:
        assert uow.session is not None
        photo: PhotoWindow | None = None
        if wanted.segment in USAGE_SEGMENTS:
            photo = photo_window(uow)
        rows = search_subscribers(uow.session, wanted, today, photo, after, limit)
        return [
            SubscriberSummary(
                r.id,
                r.msisdn,
                r.brand,
                r.status,
                r.vip_level,
                r.vip_source,
                r.account_manager,
                r.opened_on,
                r.balance_fen,
            )  # fmt: skip
            for r in rows
        ]
