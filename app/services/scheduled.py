"""The messages the service starts itself, and what comes due with them
(DOMAIN.md §4.1, §4.3, §4.6, §5, §7a): `run_scheduled` runs every part once.

- reminders before a free period ends (`details["reminded_on"]` lets a `Y` keep it);
- lapses of free experiences not kept, with a short notice;
- birthday greetings to the birthday campaign's targets (SMS contacts only: voice
  contacts are on their account manager's worklist instead, app/services/worklists.py);
- tenure-reward credits, once per contract month whose usage row is imported.

Idempotent, also under concurrent runs (every service process runs it): each
item is one short transaction that first locks the subscriber's row (PostgreSQL
FOR UPDATE; SQLite transactions are exclusive anyway), then checks and writes
the `NoticeRow` / `TenureCreditRow` whose unique constraint is the final guard.
Notices go to the outbox, `queued` until the time `domain.notices.schedule`
allows, and are checked again when they leave (`domain.held_notices`): one that
no longer applies is dropped, never sent. Opted-out subscribers get no notice; the lapse and the credit still happen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, extract, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.catalog.schema import campaign_from_terms
from app.domain import held_notices, notices
from app.domain.birthday import BirthdayCampaign, benefit
from app.domain.campaigns import Campaign
from app.domain.notices import BIRTHDAY, CREDIT, LAPSE, REMINDER
from app.domain.replies import Language, day, render, with_opt_out_hint, yuan
from app.domain.sign_up_replies import service_name
from app.domain.subscriber import Month
from app.metrics import jobs as job_metrics
from app.services.clock import utc_now
from app.services.keeping import REMINDED
from app.services.outbox import outbox_row
from app.services.segmentation import segments_on
from app.settings import Settings
from app.store.models import (
    ActivationRow,
    MonthlyUsageRow,
    NoticeRow,
    SubscriberRow,
    TenureCreditRow,
)
from app.store.subscribers import subscriber_from_row
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
UowFactory = Callable[[], UnitOfWork]

FREE_EXPERIENCE, TENURE_REWARD = "free_experience", "tenure_reward"


@dataclass
class ScheduledReport:
    reminders: int = 0
    lapsed: int = 0
    lapse_notices: int = 0
    birthdays: int = 0
    credits: int = 0  # contract months that earned minutes
    credit_notices: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class _Run:
    now: datetime  # UTC
    local: datetime  # the same instant in operator time
    language: Language
    channel: str
    sender: str
    cap: int
    days_before: int
    batch: int
    campaigns: dict[str, Campaign]  # by code, closed ones too (their services still end)

    @property
    def on(self) -> date:
        return self.local.date()

    @property
    def zh(self) -> bool:
        return self.language is Language.ZH


def run_scheduled(uow_factory: UowFactory, now: datetime, settings: Settings) -> ScheduledReport:
    """Everything due at `now` (an aware instant); returns what was done."""
    with uow_factory() as uow:
        rows = uow.catalog.campaigns(include_closed=True)
        campaigns = {row.code: campaign_from_terms(row.terms) for row in rows}
    run = _Run(
        now=now.astimezone(UTC),
        local=now.astimezone(settings.zone),
        language=settings.language,
        channel=settings.notice_channel,
        sender=settings.short_code,
        cap=settings.notice_daily_cap,
        days_before=settings.notice_reminder_days_before,
        batch=settings.scheduled_batch_size,
        campaigns=campaigns,
    )
    report = ScheduledReport()
    # Reminders first: under the daily cap, the one asking for consent matters most.
    _each(uow_factory, run, _reminder_candidates(run), lambda s, i: _remind(s, run, i, report))
    _each(uow_factory, run, _lapse_candidates(run), lambda s, i: _lapse(s, run, i, report))
    _each(uow_factory, run, _credit_candidates(run), lambda s, i: _credit(s, run, i, report))
    for campaign in campaigns.values():
        if isinstance(campaign, BirthdayCampaign) and campaign.is_open_on(run.on):
            _each(uow_factory, run, _birthday_candidates(run), _greeter(run, campaign, report))
    return report


def _greeter(
    run: _Run, campaign: BirthdayCampaign, report: ScheduledReport
) -> Callable[[UnitOfWork, int], None]:
    def greet(uow: UnitOfWork, subscriber_id: int) -> None:
        _greet(uow, run, campaign, subscriber_id, report)

    return greet


# --- batching ---------------------------------------------------------------


def _each(
    uow_factory: UowFactory,
    run: _Run,
    candidates: Select[Any],
    handle: Callable[[UnitOfWork, int], None],
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
        # The due rows first, through the index their conditions name, then the next
        # batch of them by id. Asked in one go, the planner may walk the whole table
        # in id order instead, expecting to meet `size` due rows early.
        due = candidates.where(candidates.selected_columns[0] > after)
        due_ids = due.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
        key = due_ids.c[0]
        with uow_factory() as uow:
            session = _session(uow)
            ids = list(session.scalars(select(key).order_by(key).limit(size)))
        if not ids:
            return
        yield ids
        if len(ids) < size:
            return
        after = ids[-1]


def _session(uow: UnitOfWork) -> Session:
    assert uow.session is not None
    return uow.session


def _no_notice(kind: str, subject: Any) -> Any:
    return ~exists().where(
        NoticeRow.msisdn == SubscriberRow.msisdn,
        NoticeRow.kind == kind,
        NoticeRow.subject == subject,
    )


# --- notices ----------------------------------------------------------------


def _locked_subscriber(session: Session, subscriber_id: int) -> SubscriberRow:
    """Serialises everything one subscriber's notices decide (the daily cap too)."""
    query = select(SubscriberRow).where(SubscriberRow.id == subscriber_id).with_for_update()
    row = session.scalar(query)
    assert row is not None
    return row


def _noticed(session: Session, msisdn: str, kind: str, subject: str) -> bool:
    query = select(NoticeRow.id).where(
        NoticeRow.msisdn == msisdn, NoticeRow.kind == kind, NoticeRow.subject == subject
    )
    return session.scalar(query) is not None


def _sent_per_day(session: Session, msisdn: str, since: date) -> dict[date, int]:
    query = (
        select(NoticeRow.local_day, func.count())
        .where(NoticeRow.msisdn == msisdn, NoticeRow.local_day >= since)
        .where(NoticeRow.outbound_message_id.is_not(None))
        .group_by(NoticeRow.local_day)
    )
    return {day_: count for day_, count in session.execute(query)}


def _notice(
    session: Session,
    run: _Run,
    subscriber: SubscriberRow,
    kind: str,
    subject: str,
    text: str | None,
    latest_day: date | None = None,
    about: ActivationRow | None = None,
) -> date | None:
    """Record the notice and queue its text (None: record only, nothing sent).

    Returns the local day it goes out, or None when it was already recorded
    or cannot go out by `latest_day`. A notice held past `latest_day` (by a
    sender down, say) stops applying then; one `about` a service is checked
    against it when it leaves (app/domain/held_notices.py).
    """
    if _noticed(session, subscriber.msisdn, kind, subject):
        return None
    at: datetime | None = run.local
    if text is not None:
        window = notices.parse_window(subscriber.contact_window)
        sent = _sent_per_day(session, subscriber.msisdn, run.on)
        at = notices.schedule(run.local, window, sent, run.cap, latest_day)
        if at is None:
            return None
    assert at is not None
    created = utc_now()
    until = None
    if latest_day is not None:
        zone = run.local.tzinfo
        assert zone is not None  # the run's local time is always zoned
        until = held_notices.valid_until(latest_day, zone).astimezone(UTC)
    try:
        with session.begin_nested():
            outbound = None
            if text is not None:
                outbound = outbox_row(
                    subscriber.msisdn,
                    run.sender,
                    with_opt_out_hint(text, run.language),
                    run.channel,
                    send_at=at.astimezone(UTC),
                )
                session.add(outbound)
                session.flush()
            session.add(
                NoticeRow(
                    msisdn=subscriber.msisdn,
                    kind=kind,
                    subject=subject,
                    local_day=at.date(),
                    outbound_message_id=outbound.id if outbound else None,
                    created_at=created,
                    activation_id=about.id if about else None,
                    valid_until=until,
                )
            )
            session.flush()
    except IntegrityError:
        return None  # a concurrent run recorded it first
    job_metrics.notice_queued(kind, outbound, deferred=at > run.local)
    return at.date()


def _names(run: _Run, activation: ActivationRow) -> dict[str, str]:
    campaign = run.campaigns.get(activation.campaign_code)
    if campaign is None:
        return {"campaign": activation.campaign_code, "package": activation.package_code}
    return {
        "campaign": campaign.name(run.zh),
        "package": service_name(campaign, activation.package_code, run.language),
    }


# --- (a) reminders ----------------------------------------------------------


def _reminder_candidates(run: _Run) -> Select[Any]:
    return (
        select(ActivationRow.id)
        .join(SubscriberRow, SubscriberRow.id == ActivationRow.subscriber_id)
        .where(ActivationRow.kind == FREE_EXPERIENCE, ActivationRow.state == "active")
        .where(ActivationRow.ends_on.between(run.on, run.on + timedelta(days=run.days_before)))
        .where(SubscriberRow.opted_out.is_(False))
        .where(_no_notice(REMINDER, cast(ActivationRow.id, String)))
    )


def _remind(uow: UnitOfWork, run: _Run, activation_id: int, report: ScheduledReport) -> None:
    session = _session(uow)
    activation = session.get(ActivationRow, activation_id)
    assert activation is not None
    subscriber = _locked_subscriber(session, activation.subscriber_id)
    session.refresh(activation, with_for_update=True)
    if (
        subscriber.opted_out
        or activation.state != "active"
        or not notices.reminder_due(activation.ends_on, run.on, run.days_before)
    ):
        return
    text = render(
        "notice.reminder",
        run.language,
        **_names(run, activation),
        ends_on=day(activation.ends_on, run.language),
        fee=yuan(activation.monthly_fee_fen),
    )
    # A reminder arriving after the last free day could no longer be answered.
    sent_on = _notice(
        session, run, subscriber, REMINDER, str(activation.id), text, activation.ends_on, activation
    )
    if sent_on is not None:
        activation.details = {**activation.details, REMINDED: sent_on.isoformat()}
        report.reminders += 1


# --- (b) lapses -------------------------------------------------------------


def _lapse_candidates(run: _Run) -> Select[Any]:
    return (
        select(ActivationRow.id)
        .where(ActivationRow.kind == FREE_EXPERIENCE, ActivationRow.state == "active")
        .where(ActivationRow.ends_on < run.on)
    )


def _lapse(uow: UnitOfWork, run: _Run, activation_id: int, report: ScheduledReport) -> None:
    session = _session(uow)
    activation = session.get(ActivationRow, activation_id)
    assert activation is not None
    subscriber = _locked_subscriber(session, activation.subscriber_id)
    session.refresh(activation, with_for_update=True)
    if activation.state != "active" or not notices.lapse_due(activation.ends_on, run.on):
        return  # kept by a `Y`, cancelled, or lapsed by a concurrent run
    activation.state, activation.ended_on = "lapsed", activation.ends_on
    report.lapsed += 1
    text = None
    if not subscriber.opted_out:
        text = render(
            "notice.lapsed",
            run.language,
            **_names(run, activation),
            ends_on=day(activation.ends_on, run.language),
        )
    if (
        _notice(session, run, subscriber, LAPSE, str(activation.id), text, about=activation)
        and text
    ):
        report.lapse_notices += 1


# --- (c) birthdays ----------------------------------------------------------


def _birthday_candidates(run: _Run) -> Select[Any]:
    on = run.on
    days = [(on.month, on.day)]
    if (on.month, on.day) == (2, 28) and notices.birthday_today(date(2000, 2, 29), on):
        days.append((2, 29))  # §4.6: 29 February is kept on 28 February in common years
    same_day = or_(
        *(
            and_(
                extract("month", SubscriberRow.birthday) == month,
                extract("day", SubscriberRow.birthday) == day_,
            )
            for month, day_ in days
        )
    )
    return (
        select(SubscriberRow.id)
        .where(SubscriberRow.birthday.is_not(None), same_day)
        .where(SubscriberRow.status == "active", SubscriberRow.opted_out.is_(False))
        .where(SubscriberRow.contact_method == "sms")  # voice: the manager calls (worklists)
        .where(_no_notice(BIRTHDAY, str(on.year)))
    )


def _greet(
    uow: UnitOfWork,
    run: _Run,
    campaign: BirthdayCampaign,
    subscriber_id: int,
    report: ScheduledReport,
) -> None:
    session = _session(uow)
    row = _locked_subscriber(session, subscriber_id)
    if row.opted_out or row.contact_method != "sms":
        return
    if not notices.birthday_today(row.birthday, run.on):
        return
    subscriber = subscriber_from_row(row)
    if not benefit(campaign, subscriber, segments_on(uow, row, subscriber, run.on), run.on).applies:
        return
    text = render("notice.birthday", run.language)
    # A greeting is for the day itself: never carried over to the next.
    if _notice(session, run, row, BIRTHDAY, str(run.on.year), text, run.on):
        report.birthdays += 1


# --- (d) tenure-reward credits ---------------------------------------------


def _credit_candidates(run: _Run) -> Select[Any]:
    this_month = Month.of(run.on).first_day()
    undecided = (
        select(MonthlyUsageRow.id)
        .where(MonthlyUsageRow.subscriber_id == ActivationRow.subscriber_id)
        .where(MonthlyUsageRow.month >= ActivationRow.starts_on)
        .where(
            MonthlyUsageRow.month <= func.coalesce(ActivationRow.ended_on, ActivationRow.ends_on)
        )
        .where(MonthlyUsageRow.month < this_month)
        .where(
            ~exists()
            .where(
                TenureCreditRow.activation_id == ActivationRow.id,
                TenureCreditRow.month == MonthlyUsageRow.month,
            )
            # Two levels down, auto-correlation would leave `activations` in this
            # subquery's FROM: a credit of any contract would decide the month for all.
            .correlate(ActivationRow, MonthlyUsageRow)
        )
    )
    return (
        select(ActivationRow.id)
        .where(ActivationRow.kind == TENURE_REWARD)
        .where(ActivationRow.starts_on < this_month)
        .where(undecided.exists())
    )


def _credit(uow: UnitOfWork, run: _Run, activation_id: int, report: ScheduledReport) -> None:
    session = _session(uow)
    activation = session.get(ActivationRow, activation_id)
    assert activation is not None
    subscriber = _locked_subscriber(session, activation.subscriber_id)
    # A contract cancelled early earns nothing for the months after it ended.
    last = min(activation.ends_on, activation.ended_on or activation.ends_on)
    usage = session.execute(
        select(MonthlyUsageRow.month, MonthlyUsageRow.spend_fen)
        .where(MonthlyUsageRow.subscriber_id == activation.subscriber_id)
        .where(MonthlyUsageRow.month.between(Month.of(activation.starts_on).first_day(), last))
    )
    spend = {Month.of(month): fen for month, fen in usage}
    decided = session.scalars(
        select(TenureCreditRow.month).where(TenureCreditRow.activation_id == activation.id)
    )
    due = notices.credits_due(
        activation.starts_on,
        last,
        activation.details,
        spend,
        [Month.of(m) for m in decided],
        run.on,
    )
    for decision in due:
        try:
            with session.begin_nested():
                session.add(
                    TenureCreditRow(
                        activation_id=activation.id,
                        month=decision.month.first_day(),
                        minutes=decision.minutes,
                        created_at=utc_now(),
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # a concurrent run decided this month
        if decision.minutes == 0:
            continue
        report.credits += 1
        if subscriber.opted_out:
            continue
        month = decision.month
        text = render(
            "notice.credit",
            run.language,
            month=f"{month.month}月" if run.zh else f"{month.year}-{month.month:02d}",
            minutes=decision.minutes,
        )
        subject = f"{activation.id}:{month.year}-{month.month:02d}"
        if _notice(session, run, subscriber, CREDIT, subject, text, about=activation):
            report.credit_notices += 1


# --- the in-service timer ---------------------------------------------------


class ScheduledTimer:
    """Runs `run_scheduled` every `settings.scheduled_interval` seconds in a
    daemon thread (0 disables it). The first run waits one interval, so a
    restart loop cannot hammer the database. Several processes may each run
    one: the job is idempotent."""

    def __init__(
        self,
        uow_factory: UowFactory,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory, self.settings, self.clock = uow_factory, settings, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self.settings.scheduled_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="smshall-scheduled", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.scheduled_interval):
            try:
                report = run_scheduled(self.uow_factory, self.clock(), self.settings)
                log.info("scheduled run: %s", report.as_dict())
            except Exception as error:  # keep the timer alive; no PII in the log line
                log.error("scheduled run failed: %s", type(error).__name__)
            self.runs += 1
