"""Building blocks for the scheduled-job tests: services held, runs, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import app.services.outbox as outbox_service
from app.domain.held_notices import NoticeRules
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.scheduled import ScheduledReport, run_scheduled
from app.settings import Settings
from app.store.models import ActivationRow, NoticeRow, OutboundMessageRow

SH = ZoneInfo("Asia/Shanghai")
MSISDN = "13800138000"


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def add_activation(
    runtime: Runtime,
    subscriber_id: int,
    ends_on: date,
    *,
    kind: str = "free_experience",
    campaign_code: str = "IWJZS",
    package_code: str = "2",
    key: str | None = None,
    starts_on: date = date(2026, 12, 1),
    fee_fen: int = 26_00,
    details: dict[str, Any] | None = None,
) -> int:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = ActivationRow(
            subscriber_id=subscriber_id,
            campaign_code=campaign_code,
            kind=kind,
            service_code=campaign_code,
            exclusivity_key=key or campaign_code,
            package_code=package_code,
            monthly_fee_fen=fee_fen,
            free_months=9,
            activated_on=date(2026, 11, 23),
            starts_on=starts_on,
            ends_on=ends_on,
            state="active",
            details=details or {},
            created_at=utc_now(),
        )
        uow.session.add(row)
        uow.commit()
        return row.id


def run(runtime: Runtime, at: datetime, settings: Settings | None = None) -> ScheduledReport:
    return run_scheduled(runtime.uow_factory, at, settings or runtime.settings)


def deliver(runtime: Runtime, at: datetime, channel: str = "smpp") -> int:
    """A sender claims the notices due at `at` and its link accepts them at `at`
    (their `sent_at`); how many left."""
    with patch.object(outbox_service, "utc_now", lambda: at.astimezone(UTC)):
        claimed = outbox_service.claim_replies(runtime.uow_factory, channel, "t", 100, 60)
        sent = [(r.id, [outbox_service.SentPart("test", f"m{r.id}")]) for r in claimed]
        outbox_service.mark_sent_many(runtime.uow_factory, sent)
    return len(claimed)


def outbox(runtime: Runtime, msisdn: str | None = None) -> list[OutboundMessageRow]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        query = select(OutboundMessageRow).order_by(OutboundMessageRow.id)
        if msisdn:
            query = query.where(OutboundMessageRow.msisdn == msisdn)
        rows = list(uow.session.scalars(query))
        uow.session.expunge_all()  # readable after the unit of work rolls back
        return rows


def notices(runtime: Runtime) -> list[NoticeRow]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = list(uow.session.scalars(select(NoticeRow).order_by(NoticeRow.id)))
        uow.session.expunge_all()
        return rows


def activation(runtime: Runtime, activation_id: int) -> ActivationRow:
    with runtime.uow_factory() as uow:
        row = uow.activations.get(activation_id)
        assert row is not None and uow.session is not None
        uow.session.expunge_all()
        return row


@dataclass
class Clock:
    """The instant the outbox service takes as now: claims are decided as of it."""

    now: datetime


def outbox_clock(monkeypatch: pytest.MonkeyPatch, start: datetime) -> Clock:
    clock = Clock(start)
    monkeypatch.setattr(outbox_service, "utc_now", lambda: clock.now.astimezone(UTC))
    return clock


def claim(
    runtime: Runtime,
    clock: Clock,
    at: datetime,
    channel: str = "smpp",
    limit: int = 20,
    rules: NoticeRules = outbox_service.DEFAULT_RULES,
) -> list[Any]:
    """What a sender of `channel` claims at `at`."""
    clock.now = at
    return outbox_service.claim_replies(
        runtime.uow_factory, channel, "sender", limit=limit, lease=60, rules=rules
    )
