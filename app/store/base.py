"""What every table shares: the declarative base, its naming convention, wide keys."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

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
