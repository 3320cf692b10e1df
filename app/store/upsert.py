"""INSERT … ON CONFLICT on both backends (SQLite and PostgreSQL spell it alike),
and the one-row insert that loses a race gracefully."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: list[str]) -> None:
    """Insert `rows`, updating every other column where `keys` already exist.

    One statement, so two transactions racing on the same key cannot both
    insert: the loser waits and updates instead of failing.
    """
    if not rows:
        return
    statement = _insert(session)(table)
    updates = {column: statement.excluded[column] for column in rows[0] if column not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), list(rows))


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: list[str]
) -> None:
    """Insert `rows`, leaving alone those whose `keys` exist already (DO NOTHING)."""
    if rows:
        statement = _insert(session)(table).on_conflict_do_nothing(index_elements=keys)
        session.connection().execute(statement, list(rows))  # Core: no ORM bookkeeping


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def add_first(session: Session, row: object) -> bool:
    """Insert `row` in a savepoint; False if a unique constraint says a concurrent
    transaction wrote it first. The savepoint lets the loser's transaction go on
    (to record its answer); on PostgreSQL the loser waits for the winner's commit."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True
