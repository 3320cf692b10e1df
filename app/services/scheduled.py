"""The messages the service starts itself, and what comes due with them
(DOMAIN.md §4.1, §4.3, §4.6, §5, §7a): `run_scheduled` runs every duty once.

- reminders before a free period ends (a `Y` within the confirmation window
  after one has left keeps the service, app/services/keeping.py) and lapses of
  free experiences not kept, with a short notice (app/services/free_period_notices.py);
- birthday greetings to the birthday campaign's targets and tenure-reward credits,
  once per contract month whose usage row is imported
  (app/services/reward_notices.py).

Every service process runs it (app/gateways/scheduled_timer.py), and cron may
too: on PostgreSQL one process runs each tick, the others find its advisory lock
taken and skip it. Idempotent all the same: each item is one short transaction
that first locks the subscriber's row (PostgreSQL FOR UPDATE; SQLite
transactions are exclusive anyway), then checks and writes the `NoticeRow` /
`TenureCreditRow` whose unique constraint is the final guard. Notices go to the
outbox, `queued` until the time `domain.notices.schedule` allows, and are
checked again when they leave (`domain.held_notices`): one that no longer
applies is dropped, never sent. Opted-out subscribers get no notice; the lapse
and the credit still happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.sql import Select

from app.catalog.schema import campaign_from_terms
from app.domain.birthday import BirthdayCampaign
from app.services import free_period_notices, reward_notices
from app.services.notice_queue import ScheduledReport, ScheduledRun
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

__all__ = ["ScheduledReport", "run_scheduled"]

log = logging.getLogger(__name__)
UowFactory = Callable[[], UnitOfWork]
Handle = Callable[[UnitOfWork, int], None]


def run_scheduled(uow_factory: UowFactory, now: datetime, settings: Settings) -> ScheduledReport:
    """Everything due at `now` (an aware instant); returns what was done. A tick
    another process is running already is skipped: nothing done."""
    report = ScheduledReport()
    with uow_factory() as tick:
        if not tick.notices.hold_tick():
            log.info("scheduled run skipped: another process runs this tick")
            return report
        _run(uow_factory, _scheduled_run(uow_factory, now, settings), report)
    return report


def _scheduled_run(uow_factory: UowFactory, now: datetime, settings: Settings) -> ScheduledRun:
    with uow_factory() as uow:
        rows = uow.catalog.campaigns(include_closed=True)
        campaigns = {row.code: campaign_from_terms(row.terms) for row in rows}
    return ScheduledRun(
        now=now.astimezone(UTC),
        local=now.astimezone(settings.zone),
        language=settings.language,
        channel=settings.notice_channel,
        sender=settings.short_code,
        cap=settings.notice_daily_cap,
        days_before=settings.notice_reminder_days_before,
        batch=settings.scheduled_batch_size,
        campaigns=campaigns,
        confirm_hours=settings.confirm_hours,
    )


def _run(uow_factory: UowFactory, run: ScheduledRun, report: ScheduledReport) -> None:
    def with_report(duty: Callable[..., None]) -> Handle:
        return lambda uow, item: duty(uow, run, item, report)

    # Reminders first: under the daily cap, the one asking for consent matters most.
    duties: list[tuple[Select[Any], Handle]] = [
        (free_period_notices.reminder_candidates(run), with_report(free_period_notices.remind)),
        (free_period_notices.lapse_candidates(run), with_report(free_period_notices.lapse)),
        (reward_notices.credit_candidates(run), with_report(reward_notices.credit)),
    ]
    for campaign in run.campaigns.values():
        if isinstance(campaign, BirthdayCampaign) and campaign.is_open_on(run.on):
            greet = reward_notices.greeter(run, campaign, report)
            duties.append((reward_notices.birthday_candidates(run), greet))
    for candidates, handle in duties:
        _each(uow_factory, run, candidates, handle)


def _each(
    uow_factory: UowFactory, run: ScheduledRun, candidates: Select[Any], handle: Handle
) -> None:
    """Read candidate ids a batch at a time; handle each in its own transaction."""
    for ids in _batches(uow_factory, candidates, run.batch):
        for item in ids:
            with uow_factory() as uow:
                handle(uow, item)
                uow.commit()


def _batches(uow_factory: UowFactory, candidates: Select[Any], size: int) -> Iterator[list[int]]:
    after = 0
    while True:
        with uow_factory() as uow:
            ids = uow.notices.next_due(candidates, after, size)
        if not ids:
            return
        yield ids
        if len(ids) < size:
            return
        after = ids[-1]
