"""The tables that let any number of service processes share SMPP/CMPP links'
state (DESIGN.md "Where it runs"): long-MO parts that an SMSC spreads over the
binds of different processes, USSD dialogues whose steps may land on any of
them, and each process's word on the links it holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models import Base, WideKey
from app.store.types import UtcDateTime


class LongMoRow(Base):
    """A long MO being put back together, one row per (channel, sender, recipient,
    concatenation reference, part count). Its row is the lock its parts are
    added under, so the last two parts arriving at two processes at once are
    joined by exactly one of them."""

    __tablename__ = "long_mos"

    id: Mapped[int] = mapped_column(WideKey, primary_key=True)
    reference: Mapped[str] = mapped_column(String(160), unique=True)
    #: The bind (or CMPP link) its first part came in on: the whole MO is recorded under it.
    link: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(32))
    total: Mapped[int] = mapped_column(Integer)
    data_coding: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Joined, or answered with what arrived after the TTL; kept a TTL more, so a part
    #: the SMSC delivers again is known.
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LongMoPartRow(Base):
    __tablename__ = "long_mo_parts"

    long_mo_id: Mapped[int] = mapped_column(
        WideKey, ForeignKey("long_mos.id", ondelete="CASCADE"), primary_key=True
    )
    part_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    #: The gateway's own id of the part (CMPP's Msg_Id); SMPP has none.
    gateway_id: Mapped[str | None] = mapped_column(String(65))


class UssdDialogueRow(Base):
    """A USSD-over-SMPP dialogue: its next step may reach any process."""

    __tablename__ = "ussd_dialogues"

    #: Normalised number and the USSDC's correlation (`app/gateways/smpp/ussd.py`).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(11), index=True)
    dialogue_id: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[list[str]] = mapped_column(JSON)
    #: Sequence numbers seen: only a USSDC that moves them lets a repeat be spotted.
    sequences: Mapped[list[int]] = mapped_column(JSON)
    last_sequence: Mapped[int | None] = mapped_column(Integer)
    last_text: Mapped[str | None] = mapped_column(String(182))
    ended: Mapped[bool] = mapped_column(Boolean)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)


class LinkStatusRow(Base):
    """What a process last said of one of its SMPP binds or CMPP links, so that any
    process's console and API show every process's links (`app/services/link_status.py`)."""

    __tablename__ = "link_status"

    #: The reporting process (`Settings.process_name`).
    process: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: `smpp` or `cmpp`.
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    #: The link's view as `/v1/smpp/binds` or `/v1/cmpp/links` show it in its process.
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
