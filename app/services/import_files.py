"""Reading and checking an import file, fast: the rows of a subscribers or usage
CSV as tuples ready for the store, in chunks, or the file's problems as
`line N, column C: why` (up to 20).

The checks are the import's rules (README "Data in"; DOMAIN.md §1 for the
subscriber record), each cell checked in the order the rows' columns are
listed below, so that a row with several bad cells always names the same one.
Every check has a fast path for text that is already in the stored form (an
11-digit number, `gotone`, `86.50`, `2015-03-12`) and falls back to the full
check, which alone words the refusals.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import operator
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import accumulate, chain
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import String

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
from app.domain.text import excerpt
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.store.models import SubscriberRow, table_of

SUBSCRIBER_COLUMNS = (
    "msisdn", "brand", "status", "opened_on", "balance_yuan", "name", "gender", "birthday",
    "mailing_address", "account_manager", "vip_type", "vip_level", "vip_source", "vip_card_no",
    "vip_valid_from", "vip_valid_to", "contact_method", "contact_window", "alert",
    "plan_fee_yuan", "guaranteed_spend_yuan", "bundle_ends_on", "cmmb_handset", "mobile_payment",
    "last_contacted_on", "last_visited_on",
)  # fmt: skip
SUBSCRIBER_REQUIRED = ("msisdn", "brand", "status", "opened_on")
USAGE_COLUMNS = ("msisdn", "month", "spend_yuan", "mou")
MAX_REPORTED = 20
#: Rows handed to the store at a time: a step of the progress bar.
CHUNK_ROWS = 10_000
#: Bytes of the file read at a time; its lines are checked a block at a time.
BLOCK_BYTES = 1 << 20

#: The largest amount a cell may hold, in yuan: far above any real balance or
#: spend, far below what a BIGINT of fen holds (`1e30` once overflowed it).
MAX_YUAN = Decimal(10) ** 10
#: Whole minutes of use in a month: a month has 44,640; an INTEGER holds more.
MAX_MOU = 10_000_000
#: A line longer than this is not a subscriber record (and `csv` refuses fields
#: past 131,072 characters with an error that names no column).
MAX_LINE_CHARS = 4096
#: The longest text the store holds, per column.
MAX_TEXT: dict[str, int] = {
    column: int(cast(String, table_of(SubscriberRow).c[column].type).length or 0)
    for column in ("name", "mailing_address", "account_manager", "vip_card_no")
}
_NAME_MAX, _ADDRESS_MAX, _MANAGER_MAX, _CARD_MAX = MAX_TEXT.values()


class ImportFailed(ValueError):
    """The file was refused; `problems` has one `line N, column C: why` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _BadCell(ValueError):
    def __init__(self, column: str, why: str) -> None:
        super().__init__(why)
        self.column = column


# -- one cell: the full checks, which word every refusal -------------------------------


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


def _fen(column: str, text: str) -> int:
    """Yuan text (not empty) to fen: `86.5` → 8650. A plain amount (up to ten ASCII
    digits, then up to two decimals) is read here as `_yuan_to_fen` would read it;
    anything else goes to it."""
    whole, _, cents = text.partition(".")
    if (
        len(whole) <= 10
        and whole.isdigit()
        and whole.isascii()
        and (not cents or (len(cents) <= 2 and cents.isdigit() and cents.isascii()))
    ):
        if not cents:
            return int(whole) * 100
        return int(whole + cents) * (10 if len(cents) == 1 else 1)
    return _yuan_to_fen(column, text)


def _date_text(column: str, text: str) -> str:
    """An ISO date, as the store keeps it (`YYYY-MM-DD`)."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise _BadCell(column, f"not an ISO date (YYYY-MM-DD): {_shown(text)}") from None


def _choice(column: str, text: str, kind: type[StrEnum]) -> str:
    allowed = [member.value for member in kind]
    if text.lower() not in allowed:
        raise _BadCell(column, f"{_shown(text)} is not one of {', '.join(allowed)}")
    return text.lower()


def _choices(kind: type[StrEnum], column: str) -> Callable[[str], str]:
    """A check of one enum column: a set lookup for the stored spelling."""
    stored = frozenset(member.value for member in kind)

    def check(text: str) -> str:
        return text if text in stored else _choice(column, text, kind)

    return check


_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}
#: Flags in their usual spellings; anything else goes through `_flag_text`.
_FLAGS = {"": False, **dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _flag_text(column: str, text: str) -> bool:
    text = (text or "false").lower()
    if text not in _TRUE | _FALSE:
        raise _BadCell(column, f"expected true or false, got {text!r}")
    return text in _TRUE


def _msisdn(text: str) -> str:
    try:
        return normalise_msisdn(text)
    except InvalidMsisdn as error:
        raise _BadCell("msisdn", str(error)) from None


# -- one row ------------------------------------------------------------------------------

_brand = _choices(Brand, "brand")
_status = _choices(Status, "status")
_method = _choices(ContactMethod, "contact_method")
_gender = _choices(Gender, "gender")
_vip_type = _choices(VipType, "vip_type")
_vip_level = _choices(VipLevel, "vip_level")
_vip_source = _choices(VipSource, "vip_source")
#: Dates seen, as stored: a file's dates repeat (a few thousand days), so each is
#: parsed once. Only good dates are kept, so the memo stays small.
_DATES: dict[str, str] = {}


def _date_of(column: str, text: str) -> str:
    stored = _DATES.get(text)
    if stored is None:
        stored = _date_text(column, text)
        if len(_DATES) < 1_000_000:  # every day of 27 centuries: a bound, never reached
            _DATES[text] = stored
    return stored


_BRANDS = frozenset(Brand)
_STATUSES = frozenset(Status)
_METHODS = frozenset(ContactMethod)
_GENDERS = frozenset(Gender)
_VIP_TYPES = frozenset(VipType)
_VIP_LEVELS = frozenset(VipLevel)
_VIP_SOURCES = frozenset(VipSource)


def subscriber_values(cells: Sequence[str], line: int) -> tuple[Any, ...]:
    """One subscriber row (cells in SUBSCRIBER_COLUMNS order, stripped) as the store
    takes it: the same columns with money in fen (`*_yuan` → `*_fen`), dates as
    ISO text, flags as bools, empty optional cells None; and then `line`.

    Each cell is checked in this order, the stored spelling by a lookup inline
    and anything else by the full check (which words the refusal)."""
    (msisdn, brand, status, opened_on, balance, name, gender, birthday, address, manager,
     vip_type, vip_level, vip_source, card_no, valid_from, valid_to, method, window, alert,
     plan_fee, guaranteed, bundle_ends, cmmb, payment, contacted, visited) = cells  # fmt: skip
    if not (msisdn and brand and status and opened_on):
        for column, text in zip(SUBSCRIBER_REQUIRED, cells, strict=False):
            if not text:
                raise _BadCell(column, "required")
    if window and not _WINDOW.match(window):
        raise _BadCell("contact_window", f"expected HH:MM-HH:MM, got {window!r}")
    try:
        msisdn = normalise_msisdn(msisdn)
    except InvalidMsisdn as error:
        raise _BadCell("msisdn", str(error)) from None
    if brand not in _BRANDS:
        brand = _brand(brand)
    if status not in _STATUSES:
        status = _status(status)
    dates = _DATES
    opened_on = dates.get(opened_on) or _date_of("opened_on", opened_on)
    balance_fen = _fen("balance_yuan", balance) if balance else 0
    if birthday:
        birthday = dates.get(birthday) or _date_of("birthday", birthday)
    if valid_from:
        valid_from = dates.get(valid_from) or _date_of("vip_valid_from", valid_from)
    if valid_to:
        valid_to = dates.get(valid_to) or _date_of("vip_valid_to", valid_to)
    if not method:
        method = "sms"
    elif method not in _METHODS:
        method = _method(method)
    flags = _FLAGS
    alert_on = flags.get(alert)
    if alert_on is None:
        alert_on = _flag_text("alert", alert)
    plan_fee_fen = _fen("plan_fee_yuan", plan_fee) if plan_fee else 0
    if plan_fee_fen < 0:
        raise _BadCell("plan_fee_yuan", "must not be negative")
    guaranteed_fen = _fen("guaranteed_spend_yuan", guaranteed) if guaranteed else 0
    if guaranteed_fen < 0:
        raise _BadCell("guaranteed_spend_yuan", "must not be negative")
    if bundle_ends:
        bundle_ends = dates.get(bundle_ends) or _date_of("bundle_ends_on", bundle_ends)
    cmmb_on = flags.get(cmmb)
    if cmmb_on is None:
        cmmb_on = _flag_text("cmmb_handset", cmmb)
    payment_on = flags.get(payment)
    if payment_on is None:
        payment_on = _flag_text("mobile_payment", payment)
    # The account manager's last call and visit (DOMAIN.md §9 worklists).
    if contacted:
        contacted = dates.get(contacted) or _date_of("last_contacted_on", contacted)
    if visited:
        visited = dates.get(visited) or _date_of("last_visited_on", visited)
    if (
        len(name) > _NAME_MAX or len(address) > _ADDRESS_MAX
        or len(manager) > _MANAGER_MAX or len(card_no) > _CARD_MAX
    ):  # fmt: skip
        for column, text in (
            ("name", name), ("mailing_address", address), ("account_manager", manager),
            ("vip_card_no", card_no),
        ):  # fmt: skip
            if len(text) > MAX_TEXT[column]:
                raise _BadCell(column, f"longer than {MAX_TEXT[column]} characters")
    if gender and gender not in _GENDERS:
        gender = _gender(gender)
    if vip_type and vip_type not in _VIP_TYPES:
        vip_type = _vip_type(vip_type)
    if vip_level and vip_level not in _VIP_LEVELS:
        vip_level = _vip_level(vip_level)
    if vip_source and vip_source not in _VIP_SOURCES:
        vip_source = _vip_source(vip_source)
    # ISO dates of four-digit years order as text does.
    if valid_from and valid_to and valid_to < valid_from:
        raise _BadCell("vip_valid_to", "ends before vip_valid_from")
    return (
        msisdn, brand, status, opened_on, balance_fen, name or None, gender or None,
        birthday or None, address or None, manager or None, vip_type or None,
        vip_level or None, vip_source or None, card_no or None, valid_from or None,
        valid_to or None, method, window or None, alert_on, plan_fee_fen, guaranteed_fen,
        bundle_ends or None, cmmb_on, payment_on, contacted or None, visited or None, line,
    )  # fmt: skip


#: Months seen (`2026-01` → `2026-01-01`), as `_DATES`.
_MONTHS: dict[str, str] = {}


def usage_values(cells: Sequence[str], line: int) -> tuple[Any, ...]:
    """One usage row (cells in USAGE_COLUMNS order, stripped): msisdn, the month's
    first day as ISO text, spend in fen, minutes; and then `line`."""
    msisdn, month, spend, mou = cells
    if not (msisdn and month and spend and mou):
        for column, text in zip(USAGE_COLUMNS, cells, strict=True):
            if not text:
                raise _BadCell(column, "required")
    msisdn = _msisdn(msisdn)
    first_day = _MONTHS.get(month)
    if first_day is None:
        try:
            parsed = Month.parse(month)
        except ValueError as error:  # `2026-13`, `2026-1`
            raise _BadCell("month", str(error)) from None
    spend_fen = _fen("spend_yuan", spend)
    if spend_fen < 0:
        raise _BadCell("spend_yuan", "must not be negative")
    if not (mou.isdigit() and mou.isascii()) or (minutes := int(mou)) > MAX_MOU:  # is_digits
        raise _BadCell("mou", f"expected whole minutes up to {MAX_MOU:,}, got {_shown(mou)}")
    if first_day is None:
        try:
            first_day = parsed.first_day().isoformat()
        except ValueError as error:  # year 0 has no first day (once a traceback)
            raise _BadCell("month", str(error)) from None
        if len(_MONTHS) < 100_000:
            _MONTHS[month] = first_day
    return msisdn, first_day, spend_fen, minutes, line


# -- the file -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileKind:
    """What a file of one kind holds and how one of its rows is checked."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    convert: Callable[[Sequence[str], int], tuple[Any, ...]]
    #: How many leading values of a converted row make its key (a repeat is refused).
    key_width: int


SUBSCRIBERS = FileKind(SUBSCRIBER_COLUMNS, SUBSCRIBER_REQUIRED, subscriber_values, 1)
USAGE = FileKind(USAGE_COLUMNS, USAGE_COLUMNS, usage_values, 2)


def read_chunks(
    path: Path, kind: FileKind, chunk_rows: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """The file's rows, converted, `chunk_rows` at a time, each row's line number
    appended as its last value.

    A file with problems yields nothing after its first problem and then raises
    `ImportFailed` with the first 20 (in line order) — so a store that writes the
    chunks as they come writes nothing it keeps, once the transaction is rolled
    back. A file that is not a readable CSV (not UTF-8, NUL bytes, an absurd
    line, broken quoting, an extra cell) is refused on its first such line with
    that one problem."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    problems: list[str] = []
    header: list[str] = []
    spaced: set[int] = set()  # lines of the block being read with cells to strip
    with path.open("rb") as handle:
        records = _records(_text_blocks(handle, header, spaced), spaced)
        ended = 0  # the line the last record ended on
        try:
            ended, first = next(records, (1, []))
            header.extend(h.strip() for h in first)
            reorder = _reorder(header, kind)
            width = len(header)
            convert, key_width = kind.convert, kind.key_width
            seen: dict[Any, int] = {}
            chunk: list[tuple[Any, ...]] = []
            for line, row in records:
                ended = line
                if not row:  # a blank line
                    continue
                if len(row) != width:
                    if len(row) > width:
                        raise ImportFailed([f"line {line}: more cells than columns"])
                    row += [""] * (width - len(row))
                if reorder is not None:
                    row = reorder(row)
                try:
                    values = convert(row, line)
                except _BadCell as bad:
                    problems.append(f"line {line}, column {bad.column}: {bad}")
                else:
                    key = values[0] if key_width == 1 else values[:key_width]
                    before = seen.setdefault(key, line)
                    if before != line:
                        problems.append(f"line {line}, column msisdn: repeats line {before}")
                        seen[key] = line
                    elif not problems:
                        chunk.append(values)
                        if len(chunk) >= chunk_rows:
                            yield chunk
                            chunk = []
                if len(problems) >= MAX_REPORTED:
                    problems.append(f"(stopped after {MAX_REPORTED} problems)")
                    break
        except csv.Error as error:  # quoting gone wrong: what csv says, where the record began
            raise ImportFailed([f"line {ended + 1}: not valid CSV ({error})"]) from None
    if problems:
        raise ImportFailed(problems)
    if chunk:
        yield chunk


def _reorder(header: list[str], kind: FileKind) -> Callable[[list[str]], list[str]] | None:
    """Check the header; then None if its columns are the kind's, in order, or else a
    function from a row's cells to the kind's columns in their order ("" for a
    column the file lacks)."""
    unknown = [h for h in header if h not in kind.columns]
    missing = [c for c in kind.required if c not in header]
    if unknown or missing:
        why = []
        if missing:
            why.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            why.append(f"unknown columns: {', '.join(excerpt(u, 40) for u in unknown[:5])}")
        raise ImportFailed([f"line 1: {'; '.join(why)}"])
    if tuple(header) == kind.columns:
        return None
    # A column named twice: the last one counts, as it would in a dict of the row.
    where = {name: index for index, name in enumerate(header)}
    pick = operator.itemgetter(*(where.get(c, len(header)) for c in kind.columns))

    def reordered(row: list[str]) -> list[str]:
        return list(pick([*row, ""]))

    return reordered


#: Every character `str.isspace` calls white space but CR and LF.
SPACES = (
    " \t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _spaced_lines(lines: list[str], first: int) -> set[int]:
    """The numbers of the lines (the first being `first`) where a cell that is not
    quoted begins or ends with white space: white space after a line start or a
    comma, or before a comma or a line end. Found with `str.find`, one white
    space character at a time: most blocks have none of them, or a few."""
    text = "".join(lines)
    found: set[int] = set()
    ends: list[int] = []
    for space in SPACES:
        at = text.find(space)
        while at >= 0:
            if (text[at - 1] if at else "\n") in ",\n" or text[at + 1 : at + 2] in ",\r\n":
                ends = ends or list(accumulate(map(len, lines)))
                found.add(first + bisect_right(ends, at))
            at = text.find(space, at + 1)
    return found


def _records(blocks: Iterator[list[str]], spaced: set[int]) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record of the file, the header's too, each cell
    as `str.strip` leaves it; a blank line is a record of no cells. A record is
    numbered by the line it ends on.

    A line with no quote and no carriage return but its CRLF end (most lines) is
    a record of its own, its cells between commas: what `csv` would read, several
    times faster, and stripped only if it is one of the `spaced` lines of its
    block. `csv` reads the others, each record from its first line, taking as
    many lines as a quoted cell runs on (it reads no further than the record)."""
    lines = chain.from_iterable(blocks)
    strip = str.strip
    number = 0
    for line in lines:
        if '"' not in line:
            end = line.find("\r")
            if end < 0:
                end = -1 if line[-1:] == "\n" else len(line)
            elif line[end:] != "\r\n":
                end = -2  # a CR inside the line: csv's
            if end >= -1:
                number += 1
                row = line[:end].split(",") if line[:end] else []
                yield number, list(map(strip, row)) if number in spaced else row
                continue
        reader = csv.reader(chain((line,), lines), strict=True)
        row = next(reader)
        number += reader.line_num
        yield number, list(map(strip, row))


def _text_blocks(handle: BinaryIO, header: list[str], spaced: set[int]) -> Iterator[list[str]]:
    """The file's lines as text, a block at a time, each checked before `csv` sees
    it: a line that is not UTF-8 (a GBK export), holds NUL (a binary file) or is
    absurdly long is reported by line and column, never as a decoding traceback.

    A block that passes as a whole (the usual case) is decoded in one pass; one
    that does not is gone through line by line, and the bad line is reported
    only once `csv` has read every line before it (so the header is known).
    `spaced` holds, while a block is read, its lines that `_records` must strip."""
    number = 0
    while raws := handle.readlines(BLOCK_BYTES):
        if number == 0 and raws[0].startswith(codecs.BOM_UTF8):
            raws[0] = raws[0][len(codecs.BOM_UTF8) :]
        lines = None
        if max(map(len, raws)) <= MAX_LINE_CHARS and b"\x00" not in b"".join(raws):
            with contextlib.suppress(UnicodeDecodeError):  # found again line by line
                lines = list(map(bytes.decode, raws))
        spaced.clear()
        if lines is None:
            spaced.update(range(number + 1, number + len(raws) + 1))
            yield from _checked_lines(raws, number, header)
        else:
            spaced.update(_spaced_lines(lines, number + 1))
            yield lines
        number += len(raws)


def _checked_lines(raws: list[bytes], number: int, header: list[str]) -> Iterator[list[str]]:
    """`_text_blocks` line by line, for a block with a bad line in it."""
    good: list[str] = []
    for number, raw in enumerate(raws, start=number + 1):  # noqa: B020
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
            yield good  # csv reads these first: the header is known by the time we word it
            raise ImportFailed([f"line {number}, column {_column_at(line, at, header)}: {why}"])
        good.append(line)
    yield good


def _column_at(line: str, at: int, header: list[str]) -> str:
    """The header name of the cell that holds character `at` of `line` (its number
    while the header is not read yet)."""
    before = line[:at].replace("\x00", "")
    index = len(next(csv.reader([before]), [""])) - 1 if before else 0
    return header[index] if 0 <= index < len(header) else str(index + 1)


def count_lines(path: Path) -> int:
    """Lines in the file (a fast guess at its rows, for a progress bar)."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            lines += block.count(b"\n")
    return lines
