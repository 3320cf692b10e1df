"""Whole tables out of the subscriber store as the CSV files the import reads:
on PostgreSQL one `COPY (SELECT …) TO STDOUT`, on SQLite one streamed SELECT.
Exporting, importing into an empty store and exporting again gives the same
bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy.orm import Session

from app.store.bulk import is_postgresql

#: How each exported column is written: as the import reads it back.
_SUBSCRIBER_EXPORT = (
    ("msisdn", "text"), ("brand", "text"), ("status", "text"), ("opened_on", "date"),
    ("balance_fen", "yuan"), ("name", "text"), ("gender", "text"), ("birthday", "date"),
    ("mailing_address", "text"), ("account_manager", "text"), ("vip_type", "text"),
    ("vip_level", "text"), ("vip_source", "text"), ("vip_card_no", "text"),
    ("vip_valid_from", "date"), ("vip_valid_to", "date"), ("contact_method", "text"),
    ("contact_window", "text"), ("alert", "flag"), ("plan_fee_fen", "yuan"),
    ("guaranteed_spend_fen", "yuan"), ("bundle_ends_on", "date"), ("cmmb_handset", "flag"),
    ("mobile_payment", "flag"), ("last_contacted_on", "date"), ("last_visited_on", "date"),
)  # fmt: skip
_USAGE_EXPORT = (("msisdn", "text"), ("month", "month"), ("spend_fen", "yuan"), ("mou", "int"))

_SQL_FORMAT = {
    "text": "NULLIF({0}, '')",  # an empty text is written as an empty cell, like None
    "int": "{0}",
    "date": "to_char({0}, 'YYYY-MM-DD')",
    "month": "to_char({0}, 'YYYY-MM')",
    "yuan": "({0}::numeric / 100)::numeric(20, 2)",
    "flag": "CASE WHEN {0} THEN 'true' ELSE 'false' END",
}


def yuan_text(fen: int) -> str:
    """8650 → `86.50`, -5 → `-0.05`: the import's own format for money."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def _python_format(kind: str) -> Any:
    if kind == "yuan":
        return yuan_text
    if kind == "flag":
        return lambda value: "true" if value else "false"
    if kind == "month":
        return lambda value: str(value)[:7]
    if kind == "int":
        return str
    return lambda value: value or ""  # text, and dates (stored as ISO text in SQLite)


def export_subscribers(session: Session, out: IO[bytes], headers: tuple[str, ...]) -> int:
    """Every subscriber, by msisdn, as a CSV file the import reads back to the same
    store (`headers` name the columns). Returns the rows written."""
    return _export(session, out, headers, _SUBSCRIBER_EXPORT, "subscribers", "msisdn")


def export_usage(session: Session, out: IO[bytes], headers: tuple[str, ...]) -> int:
    """Every usage row, by msisdn and month, as the usage import reads it."""
    source = "monthly_usage JOIN subscribers ON subscribers.id = monthly_usage.subscriber_id"
    return _export(session, out, headers, _USAGE_EXPORT, source, "msisdn, month")


def _export(
    session: Session,
    out: IO[bytes],
    headers: tuple[str, ...],
    columns: tuple[tuple[str, str], ...],
    source: str,
    order: str,
) -> int:
    if is_postgresql(session):
        shown = ", ".join(
            f"{_SQL_FORMAT[kind].format(name)} AS {header}"
            for (name, kind), header in zip(columns, headers, strict=True)
        )
        query = f"SELECT {shown} FROM {source} ORDER BY {order}"
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER true)") as copy:
                for block in copy:
                    out.write(block)
            rows: int = max(cursor.rowcount, 0)
            return rows
    names = ", ".join(name for name, _ in columns)
    result = session.connection().exec_driver_sql(f"SELECT {names} FROM {source} ORDER BY {order}")
    formats = [_python_format(kind) for _, kind in columns]
    return _write_csv(
        out, headers, ([f(v) for f, v in zip(formats, row, strict=True)] for row in result)
    )


def _write_csv(out: IO[bytes], headers: tuple[str, ...], rows: Iterator[list[str]]) -> int:
    """CSV as PostgreSQL's COPY writes it: `\\n` line ends, quotes only where needed."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count
