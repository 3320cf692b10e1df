"""`smshall import subscribers|usage FILE.csv`: validate the whole file, then
upsert it by msisdn in one transaction. A bad row names its line and column,
and nothing of that file is imported.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.subscriber import (
    Brand,
    ContactMethod,
    Gender,
    Month,
    Status,
    VipLevel,
    VipSource,
    VipType,
)
from app.domain.text import excerpt, is_digits
from app.services.clock import utc_now
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.store.models import MonthlyUsageRow, SubscriberRow
from app.store.unit_of_work import UnitOfWork
from app.store.upsert import upsert

SUBSCRIBER_COLUMNS = (
    "msisdn", "brand", "status", "opened_on", "balance_yuan", "name", "gender", "birthday",
    "mailing_address", "account_manager", "vip_type", "vip_level", "vip_source", "vip_card_no",
    "vip_valid_from", "vip_valid_to", "contact_method", "contact_window", "alert",
    "plan_fee_yuan", "guaranteed_spend_yuan", "bundle_ends_on", "cmmb_handset", "mobile_payment",
    "last_contacted_on", "last_visited_on",
)  # fmt: skip
SUBSCRIBER_REQUIRED = ("msisdn", "brand", "status", "opened_on")
USAGE_COLUMNS = ("msisdn", "month", "spend_yuan", "mou")
BATCH = 1000
MAX_REPORTED = 20

Progress = Callable[[int, int], None]


class ImportFailed(ValueError):
    """The file was refused; `problems` has one `line N, column C: why` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    inserted: int
    updated: int


class _BadCell(ValueError):
    def __init__(self, column: str, why: str) -> None:
        super().__init__(why)
        self.column = column


#: The largest amount a cell may hold, in yuan: far above any real balance or
#: spend, far below what a BIGINT of fen holds (`1e30` once overflowed it).
MAX_YUAN = Decimal(10) ** 10
#: Whole minutes of use in a month: a month has 44,640; an INTEGER holds more.
MAX_MOU = 10_000_000
#: A line longer than this is not a subscriber record (and `csv` refuses fields
#: past 131,072 characters with an error that names no column).
MAX_LINE_CHARS = 4096


def _shown(text: str) -> str:
    return repr(excerpt(text, 40))


def _yuan_to_fen(column: str, text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _BadCell(column, f"not an amount in yuan: {_shown(text)}") from None
    # Checked before any arithmetic: `sNaN` raises on touch, `1e999999999` overflows.
    if not value.is_finite():
        raise _BadCell(column, f"not an amount in yuan: {_shown(text)}")
    if value.copy_abs() > MAX_YUAN:  # copy_abs: no context, so no Overflow
        raise _BadCell(column, f"more than {MAX_YUAN:,} yuan: {_shown(text)}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise _BadCell(column, f"at most two decimals: {_shown(text)}")
    return int(fen)


def _date(column: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _BadCell(column, f"not an ISO date (YYYY-MM-DD): {_shown(text)}") from None


def _choice(column: str, text: str, kind: type) -> str:
    allowed = [member.value for member in kind]
    if text.lower() not in allowed:
        raise _BadCell(column, f"{_shown(text)} is not one of {', '.join(allowed)}")
    return text.lower()


_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def _subscriber_values(cells: dict[str, str]) -> dict[str, Any]:
    def opt(column: str) -> str | None:
        return cells.get(column) or None

    def msisdn() -> str:
        try:
            return normalise_msisdn(cells["msisdn"])
        except InvalidMsisdn as error:
            raise _BadCell("msisdn", str(error)) from None

    for column in SUBSCRIBER_REQUIRED:
        if not cells.get(column):
            raise _BadCell(column, "required")
    window = opt("contact_window")
    if window is not None and not _WINDOW.match(window):
        raise _BadCell("contact_window", f"expected HH:MM-HH:MM, got {window!r}")

    def flag(column: str) -> bool:
        text = (opt(column) or "false").lower()
        if text not in _TRUE | _FALSE:
            raise _BadCell(column, f"expected true or false, got {text!r}")
        return text in _TRUE

    def money(column: str) -> int:
        fen = _yuan_to_fen(column, opt(column) or "0")
        if fen < 0:
            raise _BadCell(column, "must not be negative")
        return fen

    enums = {
        "gender": Gender, "vip_type": VipType, "vip_level": VipLevel, "vip_source": VipSource,
    }  # fmt: skip
    values: dict[str, Any] = {
        "msisdn": msisdn(),
        "brand": _choice("brand", cells["brand"], Brand),
        "status": _choice("status", cells["status"], Status),
        "opened_on": _date("opened_on", cells["opened_on"]),
        "balance_fen": _yuan_to_fen("balance_yuan", opt("balance_yuan") or "0"),
        "name": opt("name"),
        "birthday": _date("birthday", c) if (c := opt("birthday")) else None,
        "mailing_address": opt("mailing_address"),
        "account_manager": opt("account_manager"),
        "vip_card_no": opt("vip_card_no"),
        "vip_valid_from": _date("vip_valid_from", c) if (c := opt("vip_valid_from")) else None,
        "vip_valid_to": _date("vip_valid_to", c) if (c := opt("vip_valid_to")) else None,
        "contact_method": _choice("contact_method", opt("contact_method") or "sms", ContactMethod),
        "contact_window": window,
        "alert": flag("alert"),
        "plan_fee_fen": money("plan_fee_yuan"),
        "guaranteed_spend_fen": money("guaranteed_spend_yuan"),
        "bundle_ends_on": _date("bundle_ends_on", c) if (c := opt("bundle_ends_on")) else None,
        "cmmb_handset": flag("cmmb_handset"),
        "mobile_payment": flag("mobile_payment"),
        "last_contacted_on": _date("last_contacted_on", c)
        if (c := opt("last_contacted_on"))
        else None,
        "last_visited_on": _date("last_visited_on", c) if (c := opt("last_visited_on")) else None,
    }
    for column in ("name", "mailing_address", "account_manager", "vip_card_no"):
        longest = SubscriberRow.__table__.c[column].type.length
        if values[column] is not None and len(values[column]) > longest:
            raise _BadCell(column, f"longer than {longest} characters")
    for column, kind in enums.items():
        values[column] = _choice(column, c, kind) if (c := opt(column)) else None
    valid_from, valid_to = values["vip_valid_from"], values["vip_valid_to"]
    if valid_from and valid_to and valid_to < valid_from:
        raise _BadCell("vip_valid_to", "ends before vip_valid_from")
    return values


def _text_lines(handle: BinaryIO, header: list[str]) -> Iterator[str]:
    """The file's lines as text, each checked before `csv` sees it: a line that is
    not UTF-8 (a GBK export), holds NUL (a binary file) or is absurdly long is
    reported by line and column, never as a decoding traceback."""
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            line = raw.decode("utf-8")
            why, at = "", -1
        except UnicodeDecodeError as error:
            line = raw.decode("utf-8", "replace")
            why = "not UTF-8 text (save the file as UTF-8)"
            at = len(raw[: error.start].decode("utf-8", "replace"))
        if not why and "\x00" in line:
            why, at = "holds NUL bytes: not a CSV text file", line.index("\x00")
        if not why and len(line) > MAX_LINE_CHARS:
            why, at = f"longer than {MAX_LINE_CHARS} characters", MAX_LINE_CHARS
        if why:
            raise ImportFailed([f"line {number}, column {_column_at(line, at, header)}: {why}"])
        yield line


def _column_at(line: str, at: int, header: list[str]) -> str:
    """The header name of the cell that holds character `at` of `line` (its number
    while the header is not read yet)."""
    before = line[:at].replace("\x00", "")
    index = len(next(csv.reader([before]), [""])) - 1 if before else 0
    return header[index] if 0 <= index < len(header) else str(index + 1)


def _rows(
    path: Path, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells) for each data row; the header is line 1."""
    known: list[str] = []
    with path.open("rb") as handle:
        reader = csv.DictReader(_text_lines(handle, known), strict=True)
        try:
            yield from _read(reader, known, columns, required)
        except csv.Error as error:  # quoting gone wrong: what csv says, where it says
            raise ImportFailed([f"line {reader.line_num}: not valid CSV ({error})"]) from None


def _read(
    reader: csv.DictReader,
    known: list[str],
    columns: Sequence[str],
    required: Sequence[str],
) -> Iterator[tuple[int, dict[str, str]]]:
    """Check the header, then yield each data row (see `_rows`)."""
    header = [h.strip() for h in (reader.fieldnames or [])]
    known.extend(header)
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    if unknown or missing:
        why = []
        if missing:
            why.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            why.append(f"unknown columns: {', '.join(excerpt(u, 40) for u in unknown[:5])}")
        raise ImportFailed([f"line 1: {'; '.join(why)}"])
    reader.fieldnames = header
    for cells in reader:
        if None in cells:
            raise ImportFailed([f"line {reader.line_num}: more cells than columns"])
        yield reader.line_num, {k: (v or "").strip() for k, v in cells.items()}


def _validate(
    path: Path, columns: Sequence[str], required: Sequence[str],
    convert: Callable[[dict[str, str]], dict[str, Any]],
) -> list[dict[str, Any]]:  # fmt: skip
    good: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[Any, int] = {}
    for line, cells in _rows(path, columns, required):
        try:
            values = convert(cells)
        except _BadCell as bad:
            problems.append(f"line {line}, column {bad.column}: {bad}")
        else:
            key = (values["msisdn"], values.get("month"))
            if key in seen:
                problems.append(f"line {line}, column msisdn: repeats line {seen[key]}")
            seen[key] = line
            good.append(values)
        if len(problems) >= MAX_REPORTED:
            problems.append("(stopped after 20 problems)")
            break
    if problems:
        raise ImportFailed(problems)
    return good


def _existing_ids(session: Session, msisdns: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(msisdns), BATCH):
        chunk = msisdns[start : start + BATCH]
        query = select(SubscriberRow.msisdn, SubscriberRow.id).where(
            SubscriberRow.msisdn.in_(chunk)
        )
        found.update({m: i for m, i in session.execute(query)})
    return found


def import_subscribers(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    rows = _validate(path, SUBSCRIBER_COLUMNS, SUBSCRIBER_REQUIRED, _subscriber_values)
    now = utc_now()
    with uow_factory() as uow:
        session = uow.session
        assert session is not None
        existing = _existing_ids(session, [r["msisdn"] for r in rows])
        for start in range(0, len(rows), BATCH):
            batch = [dict(r, updated_at=now) for r in rows[start : start + BATCH]]
            upsert(session, SubscriberRow.__table__, batch, ["msisdn"])
            if progress:
                progress(min(start + BATCH, len(rows)), len(rows))
        uow.commit()
    updated = sum(1 for r in rows if r["msisdn"] in existing)
    return ImportReport(len(rows), len(rows) - updated, updated)


def _usage_values(cells: dict[str, str]) -> dict[str, Any]:
    for column in USAGE_COLUMNS:
        if not cells.get(column):
            raise _BadCell(column, "required")
    try:
        msisdn = normalise_msisdn(cells["msisdn"])
    except InvalidMsisdn as error:
        raise _BadCell("msisdn", str(error)) from None
    try:
        month = Month.parse(cells["month"])
    except ValueError as error:
        raise _BadCell("month", str(error)) from None
    spend = _yuan_to_fen("spend_yuan", cells["spend_yuan"])
    if spend < 0:
        raise _BadCell("spend_yuan", "must not be negative")
    if not is_digits(cells["mou"]) or int(cells["mou"]) > MAX_MOU:
        raise _BadCell(
            "mou", f"expected whole minutes up to {MAX_MOU:,}, got {_shown(cells['mou'])}"
        )
    return {
        "msisdn": msisdn,
        "month": month.first_day(),
        "spend_fen": spend,
        "mou": int(cells["mou"]),
    }


def import_usage(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    rows = _validate(path, USAGE_COLUMNS, USAGE_COLUMNS, _usage_values)
    with uow_factory() as uow:
        session = uow.session
        assert session is not None
        ids = _existing_ids(session, sorted({r["msisdn"] for r in rows}))
        unknown = [r["msisdn"] for r in rows if r["msisdn"] not in ids]
        if unknown:
            raise ImportFailed(
                [f"column msisdn: no such subscriber: {m}" for m in unknown[:MAX_REPORTED]]
            )
        table = MonthlyUsageRow.__table__
        before = {
            (s, m) for s, m in session.execute(
                select(table.c.subscriber_id, table.c.month)
                .where(table.c.subscriber_id.in_(set(ids.values())))
            )
        }  # fmt: skip
        records = [
            {
                "subscriber_id": ids[r["msisdn"]],
                "month": r["month"],
                "spend_fen": r["spend_fen"],
                "mou": r["mou"],
            }
            for r in rows
        ]
        for start in range(0, len(records), BATCH):
            upsert(session, table, records[start : start + BATCH], ["subscriber_id", "month"])
            if progress:
                progress(min(start + BATCH, len(records)), len(records))
        uow.commit()
    updated = sum(1 for r in records if (r["subscriber_id"], r["month"]) in before)
    return ImportReport(len(records), len(records) - updated, updated)
