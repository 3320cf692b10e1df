"""What support staff see of one subscriber: the record, segments today, services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from app.domain.segments import service_level
from app.domain.tenure import tenure_months
from app.services.segmentation import segments_on
from app.store.subscribers import subscriber_from_row
from app.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ServiceHeld:
    campaign: str
    package: str
    free_months: int
    activated_on: date
    starts_on: date
    ends_on: date
    state: str


@dataclass(frozen=True, slots=True)
class SubscriberView:
    subscriber: dict[str, Any]
    tenure_months: int
    segments: list[str]
    service_level: str | None
    services: list[ServiceHeld]


def view_subscriber(
    uow_factory: Callable[[], UnitOfWork], msisdn: str, today: date
) -> SubscriberView | None:
    with uow_factory() as uow:
        row = uow.subscribers.get(msisdn)
        if row is None:
            return None
        subscriber = subscriber_from_row(row)
        segments = segments_on(uow, row, subscriber, today)
        services = [
            ServiceHeld(
                a.campaign_code,
                a.package_code,
                a.free_months,
                a.activated_on,
                a.starts_on,
                a.ends_on,
                a.state,
            )
            for a in uow.activations.of_subscriber(row.id)
        ]
        level = service_level(segments)
        return SubscriberView(
            subscriber=asdict(subscriber),
            tenure_months=tenure_months(subscriber.opened_on, today),
            segments=sorted(segments),
            service_level=None if level is None else str(level),
            services=services,
        )
