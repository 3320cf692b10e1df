"""One number's conversation for support staff: every MO and every message sent
to it (replies and notices), newest first, with each reply's SMS parts and their
delivery receipts. Keyed by msisdn on both message tables' indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from app.store.models import InboundMessageRow, OutboundMessageRow, OutboundPartRow

MO, MT = "mo", "mt"


@dataclass(frozen=True, slots=True)
class PartView:
    part_no: int
    gateway: str
    message_id: str
    state: str
    receipt_stat: str | None
    receipt_error: str | None
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationEntry:
    """`direction` `mo` (what the subscriber sent: `outcome`, `detail`, `gateway`) or
    `mt` (what was sent to it: `in_reply_to` its MO, or none for a notice; `state`,
    `attempts`, `parts` with their receipts)."""

    direction: str
    id: int
    at: datetime
    text: str
    gateway: str | None = None
    outcome: str | None = None
    detail: str | None = None
    in_reply_to: int | None = None
    state: str | None = None
    attempts: int | None = None
    last_error: str | None = None
    drop_reason: str | None = None
    parts: list[PartView] = field(default_factory=list)


def conversation(session: Session, msisdn: str, offset: int, limit: int) -> list[ConversationEntry]:
    """A page of the number's messages, newest first; a reply just before its MO."""
    mo = select(
        literal(MO).label("direction"),
        InboundMessageRow.id.label("id"),
        InboundMessageRow.received_at.label("at"),
    ).where(InboundMessageRow.msisdn == msisdn)
    # A reply sorts at its MO's time, just before it (newest first): the pair stays together.
    mt = (
        select(
            literal(MT).label("direction"),
            OutboundMessageRow.id.label("id"),
            func.coalesce(InboundMessageRow.received_at, OutboundMessageRow.created_at).label("at"),
        )
        .outerjoin(InboundMessageRow, InboundMessageRow.id == OutboundMessageRow.inbound_message_id)
        .where(OutboundMessageRow.msisdn == msisdn)
    )
    timeline = union_all(mo, mt).subquery("timeline")
    page = list(
        session.execute(
            select(timeline.c.direction, timeline.c.id)
            .order_by(timeline.c.at.desc(), timeline.c.direction.desc(), timeline.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    inbound = _by_id(session, InboundMessageRow, [i for d, i in page if d == MO])
    outbound = _by_id(session, OutboundMessageRow, [i for d, i in page if d == MT])
    parts = _parts(session, list(outbound))
    entries = []
    for direction, row_id in page:
        if direction == MO:
            m = inbound[row_id]
            entries.append(
                ConversationEntry(MO, m.id, m.received_at, m.text, m.gateway, m.outcome, m.detail)
            )
        else:
            o = outbound[row_id]
            entries.append(
                ConversationEntry(
                    MT,
                    o.id,
                    o.created_at,
                    o.text,
                    o.channel,
                    in_reply_to=o.inbound_message_id,
                    state=o.state,
                    attempts=o.attempts,
                    last_error=o.last_error,
                    drop_reason=o.drop_reason,
                    parts=parts.get(o.id, []),
                )
            )
    return entries


def _by_id(session: Session, model: type[Any], ids: Sequence[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _parts(session: Session, ids: Sequence[int]) -> dict[int, list[PartView]]:
    found: dict[int, list[PartView]] = {}
    if not ids:
        return found
    query = (
        select(OutboundPartRow)
        .where(OutboundPartRow.outbound_message_id.in_(ids))
        .order_by(OutboundPartRow.outbound_message_id, OutboundPartRow.part_no)
    )
    for p in session.scalars(query):
        found.setdefault(p.outbound_message_id, []).append(
            PartView(
                p.part_no,
                p.gateway,
                p.gateway_message_id,
                p.state,
                p.receipt_stat,
                p.receipt_error,
                p.submitted_at,
                p.updated_at,
            )
        )
    return found
