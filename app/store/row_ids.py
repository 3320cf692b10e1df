"""Ids for new rows of the message tables, taken a batch at a time before a flush.

With its ids given, the ORM writes all new rows of a table in one statement
(an executemany). Without them it must read each id
back, which on SQLite means an INSERT … RETURNING per row: a statement per
message on the hot path. So every flush takes the ids of its new rows first,
one statement per table: PostgreSQL draws them from the column's sequence (as
its default would), SQLite counts on from the largest id, which is safe because
every transaction there holds the one write lock (`app/store/database.py`).
The message tables' ids are 64-bit on both (BIGINT sequences on PostgreSQL,
SQLite's rowid). SQLite may hand out an id again only once the purge
(`app/store/retention.py`) has emptied a table up to its newest row, which it
never does inside the retention window: nothing still points at such an id.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.store.models import (
    ActivationRow,
    InboundMessageRow,
    OutboundMessageRow,
    PendingReceiptRow,
)

_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"
)

#: The tables a batch adds many rows to.
NUMBERED = (InboundMessageRow, OutboundMessageRow, ActivationRow, PendingReceiptRow)


def number_new_rows(session: Session, *_: Any) -> None:
    """`before_flush`: give the new rows of `NUMBERED` tables their ids, where a
    table has several."""
    waiting: dict[type, list[Any]] = defaultdict(list)
    for row in session.new:
        if isinstance(row, NUMBERED) and row.id is None:
            waiting[type(row)].append(row)
    for model, rows in waiting.items():
        if len(rows) < 2:
            continue  # one row is one INSERT … RETURNING its id anyway
        for row, new_id in zip(rows, take_ids(session, model, len(rows)), strict=True):
            row.id = new_id


def take_ids(session: Session, model: Any, count: int) -> list[int]:
    """`count` new ids for rows of `model`'s table, in one statement."""
    if count < 1:
        return []
    table = model.__table__
    connection = session.connection()  # Core: no ORM execution around a plain query
    if connection.dialect.name == "postgresql":
        return list(connection.scalars(_NEXT_IDS, {"table": table.name, "count": count}))
    largest = connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(largest + 1, largest + 1 + count))
