"""A subscriber's segments on a day, loading only the usage months the rules read."""

from __future__ import annotations

from datetime import date

from app.domain.segments import Segment, latest_complete_months, segments_of
from app.domain.subscriber import Subscriber
from app.services.catalog import photo_window
from app.store.models import SubscriberRow
from app.store.unit_of_work import UnitOfWork


def segments_on(
    uow: UnitOfWork, row: SubscriberRow, subscriber: Subscriber, on: date
) -> frozenset[Segment]:
    """DOMAIN.md §3 as of `on`: the photo window and the latest six complete months."""
    photo = photo_window(uow)
    first = min(photo.first, latest_complete_months(on).first)
    usage = uow.subscribers.usage_since(row.id, first)
    return segments_of(subscriber, usage, photo, on)
