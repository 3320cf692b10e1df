"""One inbound message being answered: what every handler needs, loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from app.domain.campaigns import Campaign, Held
from app.domain.segments import PhotoWindow, Segment
from app.domain.subscriber import Subscriber
from app.services.answers import ReplyContext
from app.services.segmentation import segments_on
from app.store.models import ActivationRow, InboundMessageRow, SubscriberRow
from app.store.subscribers import subscriber_from_row
from app.store.unit_of_work import UnitOfWork


@dataclass
class Turn:
    uow: UnitOfWork
    msisdn: str
    short_code: str
    now: datetime
    on: date  # the operator-local day of `now`: every decision is taken as of it
    inbound: InboundMessageRow | None  # the MO being answered, written with it
    context: ReplyContext
    campaigns: dict[str, Campaign] = field(default_factory=dict)  # by keyword
    photo: PhotoWindow | None = None  # the catalog's, read once per batch; else when needed

    @cached_property
    def row(self) -> SubscriberRow | None:
        return self.uow.subscribers.get(self.msisdn)

    @cached_property
    def subscriber(self) -> Subscriber:
        assert self.row is not None
        return subscriber_from_row(self.row)

    @cached_property
    def segments(self) -> frozenset[Segment]:
        assert self.row is not None
        return segments_on(self.uow, self.row, self.subscriber, self.on, self.photo)

    @property
    def chinese(self) -> bool:
        return self.context.language == "zh"

    def campaign(self, code: str) -> Campaign | None:
        return next((c for c in self.campaigns.values() if c.code == code), None)

    def held(self, exclusivity_key: str) -> ActivationRow | None:
        assert self.row is not None
        return self.uow.activations.find(self.row.id, exclusivity_key)


def held_of(row: ActivationRow | None) -> Held | None:
    return None if row is None else Held(row.package_code, row.starts_on, row.ends_on)
