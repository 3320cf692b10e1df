"""INSERT … ON CONFLICT on both backends (SQLite and PostgreSQL spell it alike)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
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
        session.execute(statement, list(rows))


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
