"""Activations for the admin API and its CSV export: filtered by campaign, package,
state and sign-up day, in id order a page at a time (keyset: `after` an id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import ActivationRow, SubscriberRow


@dataclass(frozen=True, slots=True)
class ActivationFilter:
    campaign: str | None = None
    package: str | None = None
    state: str | None = None
    activated_from: date | None = None  # inclusive
    activated_to: date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class ActivationView:
    """A service granted; its `details` (which may name an insured person) left out."""

    id: int
    msisdn: str
    campaign: str
    package: str
    kind: str
    service_code: str
    monthly_fee_fen: int
    free_months: int
    activated_on: date
    starts_on: date
    ends_on: date
    state: str
    ended_on: date | None


def list_activations(
    session: Session, wanted: ActivationFilter, after: int, limit: int
) -> list[ActivationView]:
    query = (
        select(ActivationRow, SubscriberRow.msisdn)
        .join(SubscriberRow, SubscriberRow.id == ActivationRow.subscriber_id)
        .where(ActivationRow.id > after)
    )
    if wanted.campaign is not None:
        query = query.where(ActivationRow.campaign_code == wanted.campaign)
    if wanted.package is not None:
        query = query.where(ActivationRow.package_code == wanted.package)
    if wanted.state is not None:
        query = query.where(ActivationRow.state == wanted.state)
    if wanted.activated_from is not None:
        query = query.where(ActivationRow.activated_on >= wanted.activated_from)
    if wanted.activated_to is not None:
        query = query.where(ActivationRow.activated_on <= wanted.activated_to)
    rows = session.execute(query.order_by(ActivationRow.id).limit(limit))
    return [
        ActivationView(
            a.id,
            msisdn,
            a.campaign_code,
            a.package_code,
            a.kind,
            a.service_code,
            a.monthly_fee_fen,
            a.free_months,
            a.activated_on,
            a.starts_on,
            a.ends_on,
            a.state,
            a.ended_on,
        )  # fmt: skip
        for a, msisdn in rows
    ]
