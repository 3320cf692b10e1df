"""The tables. Alembic (`migrations/`) is the only way the schema changes.

Money is integer fen, timestamps are UTC, phone numbers are 11 national digits.
The message tables are in `app/store/message_tables.py`, imported here too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    extract,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.states import ActivationState
from app.store.base import NAMING, Base, WideKey, table_of
from app.store.message_tables import (
    InboundMessageRow,
    OutboundMessageRow,
    OutboundPartRow,
    PendingReceiptRow,
)
from app.store.types import UtcDateTime

__all__ = [
    "NAMING",
    "ActivationRow",
    "Base",
    "BundleRow",
    "CampaignRow",
    "CatalogRevisionRow",
    "CatalogSettingRow",
    "InboundMessageRow",
    "MonthlyUsageRow",
    "NoticeRow",
    "OutboundMessageRow",
    "OutboundPartRow",
    "PendingPromptRow",
    "PendingReceiptRow",
    "SubscriberRow",
    "TenureCreditRow",
    "WideKey",
    "table_of",
]


class SubscriberRow(Base):
    """DOMAIN.md §1, every field."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(11), unique=True)
    brand: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    opened_on: Mapped[date] = mapped_column(Date)
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str | None] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(8))
    birthday: Mapped[date | None] = mapped_column(Date)
    mailing_address: Mapped[str | None] = mapped_column(String(300))
    account_manager: Mapped[str | None] = mapped_column(String(100), index=True)
    vip_type: Mapped[str | None] = mapped_column(String(16))
    vip_level: Mapped[str | None] = mapped_column(String(16))
    vip_source: Mapped[str | None] = mapped_column(String(16))
    vip_card_no: Mapped[str | None] = mapped_column(String(32))
    vip_valid_from: Mapped[date | None] = mapped_column(Date)
    vip_valid_to: Mapped[date | None] = mapped_column(Date)
    contact_method: Mapped[str] = mapped_column(String(8), default="sms")
    contact_window: Mapped[str | None] = mapped_column(String(11))
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    # Beyond DOMAIN.md §1, what the campaign rules need (§3 fixed mid-to-high-end,
    # §4.3 earlier bundling offer, §4.4 prerequisites, §6 opt-out).
    plan_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    guaranteed_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bundle_ends_on: Mapped[date | None] = mapped_column(Date)
    cmmb_handset: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mobile_payment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # §9: when the account manager last contacted and last visited the subscriber.
    last_contacted_on: Mapped[date | None] = mapped_column(Date)
    last_visited_on: Mapped[date | None] = mapped_column(Date)


# The birthday greeting's day (DOMAIN.md §4.6): the job asks for one month and day,
# never a scan of the base. The expressions are what `extract` compiles to on each
# database, so the planner matches the job's query to the index on both.
Index(
    "ix_subscribers_birth_month_day",
    extract("month", SubscriberRow.birthday),
    extract("day", SubscriberRow.birthday),
)


class MonthlyUsageRow(Base):
    """One calendar month of a subscriber's spend (fen) and outgoing minutes."""

    __tablename__ = "monthly_usage"
    __table_args__ = (UniqueConstraint("subscriber_id", "month"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        WideKey, ForeignKey("subscribers.id", ondelete="CASCADE")
    )
    month: Mapped[date] = mapped_column(Date, index=True)  # the first day of the month
    spend_fen: Mapped[int] = mapped_column(BigInteger)
    mou: Mapped[int] = mapped_column(Integer)


class BundleRow(Base):
    """A sticky-service bundle a subscriber holds (DOMAIN.md §8): its kind and
    validity, `valid_to` open (None) while it runs."""

    __tablename__ = "subscriber_bundles"
    __table_args__ = (UniqueConstraint("subscriber_id", "kind", "valid_from"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        WideKey, ForeignKey("subscribers.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))  # app/domain/kpi.py, BundleKind
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class CampaignRow(Base):
    """A catalog entry: the campaign's kind picks the rules, `terms` holds its data."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CatalogSettingRow(Base):
    """Programme-wide catalog data, such as the photo window."""

    __tablename__ = "catalog_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class CatalogRevisionRow(Base):
    """One change to a catalog entry: who made it, when, its body before and after.

    `subject` is a campaign code or `photo_window` (codes are upper case, so
    they never clash); `number` counts per subject from 1, and the unique
    constraint stops two writers from taking the same one.
    """

    __tablename__ = "catalog_revisions"
    __table_args__ = (UniqueConstraint("subject", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create, replace, load, close, ...
    actor: Mapped[str] = mapped_column(String(16))  # admin (the API), load (the CLI)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None: it was new
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    restored: Mapped[int | None] = mapped_column(Integer)  # a rollback: the number restored
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ActivationRow(Base):
    """A service a subscriber holds through a campaign.

    `exclusivity_key` carries "one per subscriber, ever" into the schema: the
    unique constraint makes a second activation fail even when two messages
    race (DOMAIN.md §4.1).
    """

    __tablename__ = "activations"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "exclusivity_key"),
        # The scheduled jobs' reminders, lapses and credits: the due rows of a kind.
        Index(None, "kind", "state", "ends_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        WideKey, ForeignKey("subscribers.id", ondelete="CASCADE")
    )
    campaign_code: Mapped[str] = mapped_column(String(32))
    exclusivity_key: Mapped[str] = mapped_column(String(64))
    package_code: Mapped[str] = mapped_column(String(16))
    monthly_fee_fen: Mapped[int] = mapped_column(BigInteger)
    free_months: Mapped[int] = mapped_column(Integer)
    activated_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)  # first free day
    ends_on: Mapped[date] = mapped_column(Date)  # last free day
    state: Mapped[str] = mapped_column(String(16), default=ActivationState.ACTIVE.value)
    # The MO that placed the order: kept as long as the activation (the consent, §5);
    # indexed for the retention's check and the foreign key's on delete.
    inbound_message_id: Mapped[int | None] = mapped_column(
        WideKey, ForeignKey("inbound_messages.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The campaign kind, and the code a subscriber cancels with (`QX` + code).
    kind: Mapped[str] = mapped_column(String(32), server_default="free_experience")
    service_code: Mapped[str] = mapped_column(String(32), server_default="")
    # Kind-specific terms: pre-store and rebate, contract months, insured person.
    # May hold PII (the insured's name): never logged.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    ended_on: Mapped[date | None] = mapped_column(Date)  # cancelled, lapsed or kept


class PendingPromptRow(Base):
    """The one question a subscriber may answer next (DOMAIN.md §5, §6).

    A paid order waiting for `Y`, a "did you mean" question, a numbered menu
    (10 minutes) or a `0000` list (2 hours): a new question replaces the old,
    as on a phone the latest message is the one answered.
    """

    __tablename__ = "pending_prompts"

    # Few rows, but each question asked is an upsert that draws a new id.
    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(11), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NoticeRow(Base):
    """A message the service starts itself (DOMAIN.md §7a), once per subject.

    The unique constraint makes the scheduled job idempotent: run it twice and
    the second run finds every notice already there.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("msisdn", "kind", "subject"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(11))
    kind: Mapped[str] = mapped_column(String(32))  # reminder, birthday, lapse, credit
    subject: Mapped[str] = mapped_column(String(64))  # e.g. the activation id, the year
    local_day: Mapped[date] = mapped_column(Date, index=True)  # the day it goes out
    outbound_message_id: Mapped[int | None] = mapped_column(
        WideKey, ForeignKey("outbound_messages.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What a held notice is checked against when it leaves (app/domain/held_notices.py):
    # the service it speaks of (reminder, lapse, credit), and when it stops applying.
    activation_id: Mapped[int | None] = mapped_column(
        ForeignKey("activations.id", ondelete="SET NULL"), index=True
    )
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TenureCreditRow(Base):
    """Free minutes granted for one month of a tenure-reward contract (§4.3)."""

    __tablename__ = "tenure_credits"
    __table_args__ = (UniqueConstraint("activation_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activation_id: Mapped[int] = mapped_column(ForeignKey("activations.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the contract month whose spend earned it
    minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
