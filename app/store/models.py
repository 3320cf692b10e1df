"""The tables. Alembic (`migrations/`) is the only way the schema changes.

Money is integer fen, timestamps are UTC, phone numbers are 11 national digits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    extract,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as the `Table` it is (SQLAlchemy types `__table__` as
    any `FromClause`), for Core statements and multi-row writes."""
    return cast(Table, model.__table__)


#: 64-bit keys, for the tables that take rows per message (2^31 MOs and replies come
#: within a few years at thousands a second) and those an import upserts into (an
#: upsert draws an id from the sequence even when it updates: a daily import of
#: 10 M subscribers would use up 2^31 in seven months), and every column pointing
#: at them. SQLite's INTEGER PRIMARY KEY is 64-bit already and must stay INTEGER to
#: remain the rowid alias (ids without a sequence, `app/store/row_ids.py`).
WideKey = BigInteger().with_variant(Integer(), "sqlite")


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
    __table_args__ = (
        UniqueConstraint("subscriber_id", "month"),
        # The KPI report's pass reads each subscriber's months from the index alone.
        Index(None, "subscriber_id", "month", postgresql_include=["spend_fen", "mou"]),
    )

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
    state: Mapped[str] = mapped_column(String(16), default="active")
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


class InboundMessageRow(Base):
    """Every MO the service received, keyed by the gateway's own message id."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("gateway", "gateway_message_id"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_message_id: Mapped[str] = mapped_column(String(128))
    msisdn: Mapped[str] = mapped_column(String(11), index=True)
    short_code: Mapped[str] = mapped_column(String(21))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(64))
    # An MO without an id of its own (SMPP): a digest of its content, by which a copy
    # redelivered to a process that never saw this one is found (app/gateways/smpp/dedupe.py).
    mo_digest: Mapped[str | None] = mapped_column(String(24), index=True)
    # When the gateway acknowledged it (SMPP's deliver_sm_resp): a copy arriving later
    # is the subscriber sending again, not the SMSC redelivering.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboundMessageRow(Base):
    """The outbox: every reply and notice, written in the transaction that decided it.

    `channel` says who carries it: `http_response` rows travel in the HTTP
    answer itself; the others wait in state `queued` for a sender to claim them.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (Index(None, "channel", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        WideKey, ForeignKey("inbound_messages.id"), index=True
    )
    msisdn: Mapped[str] = mapped_column(String(11), index=True)
    sender: Mapped[str] = mapped_column(String(21))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    # queued, sent, delivered, failed, expired; dropped: a held notice that no longer applied
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gateway_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The sender holding the row while `next_attempt_at` (its lease) has not passed.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # The last SMPP command_status and whether it was worth retrying.
    last_status: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[str | None] = mapped_column(String(16))  # temporary, permanent
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why a `dropped` notice was not sent (app/domain/held_notices.py: opted_out, ...).
    drop_reason: Mapped[str | None] = mapped_column(String(32))


class OutboundPartRow(Base):
    """One submit_sm of a reply: its SMSC message id and delivery state.

    A long reply has several; receipts are matched part by part and the reply
    is `delivered` once every part is.
    """

    __tablename__ = "outbound_parts"
    __table_args__ = (UniqueConstraint("outbound_message_id", "part_no"),)

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    outbound_message_id: Mapped[int] = mapped_column(
        WideKey, ForeignKey("outbound_messages.id", ondelete="CASCADE")
    )
    part_no: Mapped[int] = mapped_column(Integer)
    gateway: Mapped[str] = mapped_column(String(32))
    # Normalised (lower case, no leading zeros) so hex/decimal variants can be looked up.
    gateway_message_id: Mapped[str] = mapped_column(String(65), index=True)
    state: Mapped[str] = mapped_column(String(16))  # sent, delivered, failed, expired
    receipt_stat: Mapped[str | None] = mapped_column(String(16))
    receipt_error: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PendingReceiptRow(Base):
    """A receipt whose message id is not known yet (it beat its submit_sm_resp)."""

    __tablename__ = "pending_receipts"

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    gateway_message_id: Mapped[str] = mapped_column(String(65), index=True)
    stat: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
