"""The message tables: MOs, replies and notices in the outbox, their parts and
receipts waiting for them. Money is integer fen, timestamps are UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, WideKey
from app.store.types import UtcDateTime


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
    # redelivered to a process that never saw this one is found (app/gateways/links/dedupe.py).
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
    # Indexed: the senders' sweep looks at the last minutes only, the purge at the oldest.
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
