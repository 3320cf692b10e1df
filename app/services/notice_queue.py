"""What every duty of the scheduled job shares (app/services/scheduled.py): the
run's settings and tally, and recording a notice with its text queued in the
outbox for the time DOMAIN.md §7a allows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from app.domain import held_notices, notices
from app.domain.campaigns import Campaign
from app.domain.replies import Language, with_opt_out_hint
from app.domain.sign_up_replies import service_name
from app.metrics import jobs as job_metrics
from app.services.clock import utc_now
from app.services.outbox_rows import outbox_row
from app.store.models import ActivationRow, NoticeRow, SubscriberRow
from app.store.unit_of_work import UnitOfWork


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
class ScheduledRun:
    """One run's instant and settings, and the catalog as it stood then."""

    now: datetime  # UTC
    local: datetime  # the same instant in operator time
    language: Language
    channel: str
    sender: str
    cap: int
    days_before: int
    batch: int
    campaigns: dict[str, Campaign]  # by code, closed ones too (their services still end)
    #: Hours in which the `Y` to a reminder keeps the service (DOMAIN.md §5), as it says.
    confirm_hours: int = 24

    @property
    def on(self) -> date:
        return self.local.date()

    @property
    def zh(self) -> bool:
        return self.language is Language.ZH


@dataclass(frozen=True)
class Notice:
    """A notice to record: its kind and subject (unique per number), its text
    (None: record only, nothing sent), the last local day it may go out, and
    the service it speaks `about` (checked again when it leaves)."""

    kind: str
    subject: str
    text: str | None
    latest_day: date | None = None
    about: ActivationRow | None = None


def queue_notice(
    uow: UnitOfWork, run: ScheduledRun, subscriber: SubscriberRow, notice: Notice
) -> date | None:
    """Record the notice and queue its text; the local day it goes out.

    None when it was already recorded or cannot go out by `latest_day`. A notice
    held past `latest_day` (by a sender down, say) stops applying then; one
    `about` a service is checked against it when it leaves
    (app/domain/held_notices.py).
    """
    if uow.notices.noticed(subscriber.msisdn, notice.kind, notice.subject):
        return None
    at = _send_at(uow, run, subscriber, notice)
    if at is None:
        return None
    outbound = None
    if notice.text is not None:
        text = with_opt_out_hint(notice.text, run.language)
        outbound = outbox_row(
            subscriber.msisdn, run.sender, text, run.channel, send_at=at.astimezone(UTC)
        )
    row = NoticeRow(
        msisdn=subscriber.msisdn,
        kind=notice.kind,
        subject=notice.subject,
        local_day=at.date(),
        created_at=utc_now(),
        activation_id=notice.about.id if notice.about else None,
        valid_until=_valid_until(run, notice.latest_day),
    )
    if not uow.notices.record(row, outbound):
        return None  # a concurrent run recorded it first
    job_metrics.notice_queued(notice.kind, outbound, deferred=at > run.local)
    return at.date()


def _send_at(
    uow: UnitOfWork, run: ScheduledRun, subscriber: SubscriberRow, notice: Notice
) -> datetime | None:
    """When the notice goes out: now if nothing is sent, else in the subscriber's
    window under the daily cap (§7a); None if not by `latest_day`."""
    if notice.text is None:
        return run.local
    window = notices.parse_window(subscriber.contact_window)
    sent = uow.notices.sent_per_day(subscriber.msisdn, run.on)
    return notices.schedule(run.local, window, sent, run.cap, notice.latest_day)


def _valid_until(run: ScheduledRun, latest_day: date | None) -> datetime | None:
    if latest_day is None:
        return None
    zone = run.local.tzinfo
    assert zone is not None  # the run's local time is always zoned
    return held_notices.valid_until(latest_day, zone).astimezone(UTC)


def names(run: ScheduledRun, activation: ActivationRow) -> dict[str, str]:
    """The campaign and package a notice about `activation` names."""
    campaign = run.campaigns.get(activation.campaign_code)
    if campaign is None:
        return {"campaign": activation.campaign_code, "package": activation.package_code}
    return {
        "campaign": campaign.name(run.zh),
        "package": service_name(campaign, activation.package_code, run.language),
    }
