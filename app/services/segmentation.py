"""A subscriber's segments on a day, loading only the usage months the rules read."""

from __future__ import annotations

from datetime import date

from app.domain.segments import PhotoWindow, Segment, latest_complete_months, segments_of
from app.domain.subscriber import Month, Subscriber
from app.services.catalog import photo_window
from app.store.models import SubscriberRow
from app.store.unit_of_work import UnitOfWork


def usage_from(photo: PhotoWindow | None, on: date) -> Month:
    """The first usage month DOMAIN.md §3 reads as of `on`: the photo window's
    first, or the first of the latest six complete months if earlier."""
    latest = latest_complete_months(on).first
    return latest if photo is None else min(photo.first, latest)


def segments_on(
    uow: UnitOfWork,
    row: SubscriberRow,
    subscriber: Subscriber,
    on: date,
    photo: PhotoWindow | None = None,
) -> frozenset[Segment]:
    """DOMAIN.md §3 as of `on`: the photo window (read from the store unless
    given) and the latest six complete months."""
    photo = photo or photo_window(uow)
    usage = uow.subscribers.usage_since(row.id, usage_from(photo, on))
    return segments_of(subscriber, usage, photo, on)
