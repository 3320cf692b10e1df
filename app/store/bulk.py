"""Whole files into the subscriber store, set-based: a constant number
of statements whatever the file's size (DESIGN.md, "Batches, not messages").

PostgreSQL: the checked rows are streamed with COPY into a TEMP staging table
and merged with one `INSERT … SELECT … ON CONFLICT DO UPDATE`, in the caller's
transaction. SQLite: the rows go in with an executemany of the same upsert
(usage through a TEMP table, for the join to subscriber ids). Exports:
`app/store/csv_export.py`.

Rows arrive as the tuples `app/services/import_files.py` makes, each ending with
its line in the file: subscribers in `SUBSCRIBER_FIELDS` order, usage in
`USAGE_FIELDS` order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    false,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from app.store.models import MonthlyUsageRow, SubscriberRow, table_of
from app.store.types import UtcDateTime

SUBSCRIBER_FIELDS = (
    "msisdn", "brand", "status", "opened_on", "balance_fen", "name", "gender", "birthday",
    "mailing_address", "account_manager", "vip_type", "vip_level", "vip_source", "vip_card_no",
    "vip_valid_from", "vip_valid_to", "contact_method", "contact_window", "alert",
    "plan_fee_fen", "guaranteed_spend_fen", "bundle_ends_on", "cmmb_handset", "mobile_payment",
    "last_contacted_on", "last_visited_on",
)  # fmt: skip
USAGE_FIELDS = ("msisdn", "month", "spend_fen", "mou")


def file_column(field: str) -> str:
    """The import file's name of a stored field: money in yuan, `balance_fen` →
    `balance_yuan`."""
    return field.removesuffix("_fen") + "_yuan" if field.endswith("_fen") else field


Chunks = Iterable[list[tuple[Any, ...]]]

_subscribers = table_of(SubscriberRow)
_usage = table_of(MonthlyUsageRow)


@dataclass(frozen=True, slots=True)
class Merged:
    rows: int
    inserted: int
    updated: int


class UnknownSubscribers(LookupError):
    """Usage rows name numbers the store has no subscriber for (the first few,
    in the file's order)."""

    def __init__(self, msisdns: list[str]) -> None:
        super().__init__(", ".join(msisdns))
        self.msisdns = msisdns


def _staging(name: str, columns: list[Column[Any]]) -> Table:
    """A TEMP table for one import: the rows as checked, and their line numbers."""
    return Table(
        name, MetaData(), *columns, Column("line", Integer),
        prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
    )  # fmt: skip


def _subscriber_staging() -> Table:
    return _staging(
        "import_subscribers", [Column(f, _subscribers.c[f].type) for f in SUBSCRIBER_FIELDS]
    )


def _usage_staging() -> Table:
    return _staging(
        "import_usage",
        [Column("msisdn", String(11)), *(Column(f, _usage.c[f].type) for f in USAGE_FIELDS[1:])],
    )


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# -- importing ---------------------------------------------------------------------------


def merge_subscribers(
    session: Session, chunks: Chunks, now: datetime, header: Sequence[str] | None = None
) -> Merged:
    """Insert or update the subscribers by msisdn. A subscriber already stored gets
    the columns of the file set, and nothing else: a column the file does not have
    (`header`, the file's column names, known by the time the first chunk is read;
    None: every column) keeps what it held, so a file of balances alone changes
    balances alone. An opt-out (`opted_out`) is the subscriber's and is never
    changed by an import (DOMAIN.md §6)."""

    def fields() -> tuple[str, ...]:
        if header is None:
            return SUBSCRIBER_FIELDS
        return tuple(f for f in SUBSCRIBER_FIELDS if file_column(f) in header)

    if is_postgresql(session):
        staging = _subscriber_staging()
        session.execute(CreateTable(staging))
        rows = _copy_in(session, staging, chunks)
        return _merge_postgresql(session, _subscriber_merge(staging, now, fields()), rows)
    return _upsert_sqlite(session, chunks, now, fields)


def merge_usage(session: Session, chunks: Chunks, report_unknown: int) -> Merged:
    """Insert or update monthly usage by (subscriber, month). Raises
    `UnknownSubscribers` (up to `report_unknown` numbers) and writes nothing
    when a row names a number with no subscriber."""
    staging = _usage_staging()
    postgres = is_postgresql(session)
    if not postgres:
        session.connection().exec_driver_sql("DROP TABLE IF EXISTS temp.import_usage")
    session.execute(CreateTable(staging))
    if postgres:
        staged = _copy_in(session, staging, chunks)
    else:
        sql = str(staging.insert().compile(dialect=session.get_bind().dialect))
        connection = session.connection()
        staged = 0
        for chunk in chunks:
            connection.exec_driver_sql(sql, chunk)
            staged += len(chunk)
    unknown = select(staging.c.msisdn).where(
        ~exists().where(_subscribers.c.msisdn == staging.c.msisdn)
    )
    missing = list(session.scalars(unknown.order_by(staging.c.line).limit(report_unknown)))
    if missing:
        raise UnknownSubscribers(missing)
    rows = select(_subscribers.c.id, *(staging.c[f] for f in USAGE_FIELDS[1:])).join_from(
        staging, _subscribers, _subscribers.c.msisdn == staging.c.msisdn
    )
    # WHERE true: SQLite would read ON CONFLICT as the join's ON without it. Sorted
    # by the key, as for subscribers.
    rows = rows.where(true()).order_by(_subscribers.c.id, staging.c.month)
    if postgres:
        return _merge_postgresql(session, _usage_upsert(postgresql.insert, rows), staged)
    before = _count(session, _usage)
    session.execute(_usage_upsert(sqlite.insert, rows))
    session.connection().exec_driver_sql("DROP TABLE temp.import_usage")
    inserted = _count(session, _usage) - before
    return Merged(staged, inserted, staged - inserted)


def _changed_only(table: Table, statement: Any, key: list[str], fields: Sequence[str]) -> Any:
    """An upsert that sets `fields` from the file, and leaves a row whose fields
    already hold the file's values as it is: no new row version, no index entries
    to write (a re-import of an unchanged base costs reads only)."""
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={f: statement.excluded[f] for f in fields},
        where=tuple_(*(table.c[f] for f in fields if f != "updated_at")).is_distinct_from(
            tuple_(*(statement.excluded[f] for f in fields if f != "updated_at"))
        ),
    )


def _usage_upsert(insert: Any, rows: Any) -> Any:
    statement = insert(_usage).from_select(["subscriber_id", *USAGE_FIELDS[1:]], rows)
    return _changed_only(_usage, statement, ["subscriber_id", "month"], USAGE_FIELDS[1:])


def _subscriber_merge(staging: Table, now: datetime, fields: Sequence[str]) -> Any:
    """New subscribers take every column; stored ones the file's `fields`."""
    # Sorted by the key: the unique index is filled in order (a fifth faster at 1 M rows).
    rows = select(*(staging.c[f] for f in SUBSCRIBER_FIELDS), literal(now, UtcDateTime()))
    statement = postgresql.insert(_subscribers).from_select(
        [*SUBSCRIBER_FIELDS, "updated_at"], rows.order_by(staging.c.msisdn)
    )
    return _changed_only(_subscribers, statement, ["msisdn"], (*fields[1:], "updated_at"))


def _merge_postgresql(session: Session, upsert: Any, rows: int) -> Merged:
    """Run the upsert and count the rows it inserted, in the same statement: a row
    version an INSERT made has no xmax, one an ON CONFLICT UPDATE made has the
    updater's. Every other row of the file was there already (updated, or left
    as it was when nothing changed)."""
    merged = upsert.returning(literal_column("xmax = 0", Boolean).label("inserted")).cte("merged")
    counted = select(func.count().filter(merged.c.inserted)).select_from(merged)
    inserted = session.execute(counted).scalar_one()
    return Merged(rows, inserted, rows - inserted)


#: psycopg's types for the Python values of staged rows (dates travel as ISO text).
_COPY_TYPES = {String: "text", Date: "text", BigInteger: "int8", Integer: "int4", Boolean: "bool"}


def _copy_type(column: Column[Any]) -> str:
    return next(name for kind, name in _COPY_TYPES.items() if isinstance(column.type, kind))


def _copy_in(session: Session, staging: Table, chunks: Chunks) -> int:
    """Stream the rows into the staging table: one COPY, written a chunk at a time
    as the file is read, on the session's own connection and transaction. Returns
    the rows written."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    names = ", ".join(c.name for c in staging.columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {staging.name} ({names}) FROM STDIN") as copy,
    ):
        copy.set_types([_copy_type(c) for c in staging.columns])
        write_row = copy.write_row
        rows = 0
        for chunk in chunks:
            for row in chunk:
                write_row(row)
            rows += len(chunk)
    return rows


def _upsert_sqlite(
    session: Session, chunks: Chunks, now: datetime, present: Callable[[], Sequence[str]]
) -> Merged:
    """One executemany of the upsert per chunk, on the driver's own parameters
    (ISO text dates, bools), which skips the ORM's per-row processing. The file's
    columns (`present`) are known once its first chunk is read."""
    dialect = session.get_bind().dialect
    chunks = iter(chunks)
    first = next(chunks, None)
    chunks = itertools.chain([] if first is None else [first], chunks)
    fields = [*SUBSCRIBER_FIELDS, "updated_at"]
    statement = sqlite.insert(_subscribers)
    upsert = _changed_only(_subscribers, statement, ["msisdn"], [*present()[1:], "updated_at"])
    # Numbered parameters, one per field; a new subscriber has not opted out. Every
    # other column is named, or SQLAlchemy would add a parameter for its default.
    values: dict[str, Any] = {f: literal_column(f"?{i}") for i, f in enumerate(fields, 1)}
    compiled = upsert.values({**values, "opted_out": false()}).compile(dialect=dialect)
    assert not compiled.positiontup, compiled.positiontup
    sql = str(compiled)
    stamp = UtcDateTime().bind_processor(dialect)
    stored_now = stamp(now) if stamp else now
    before = _count(session, _subscribers)
    rows = 0
    connection = session.connection()
    for chunk in chunks:
        connection.exec_driver_sql(sql, [(*row[:-1], stored_now) for row in chunk])
        rows += len(chunk)
    inserted = _count(session, _subscribers) - before
    return Merged(rows, inserted, rows - inserted)


def _count(session: Session, table: Table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0
