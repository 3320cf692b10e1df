"""Reading an import file, fast: the rows of a subscribers or usage CSV as tuples
ready for the store, in chunks, or the file's problems as `line N, column C:
why` (up to 20). The cells are checked by `app/services/import_cells.py`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from pathlib import Path
from typing import Any, BinaryIO

from app.domain.text import excerpt
from app.services.import_cells import (
    SUBSCRIBER_COLUMNS,
    SUBSCRIBER_REQUIRED,
    USAGE_COLUMNS,
    _BadCell,
    _fen,
    _yuan_to_fen,
    subscriber_values,
    usage_values,
)

__all__ = [
    "SUBSCRIBERS",
    "USAGE",
    "FileKind",
    "ImportFailed",
    "_fen",
    "_yuan_to_fen",
    "count_lines",
    "read_chunks",
]

MAX_REPORTED = 20
#: Rows handed to the store at a time: a step of the progress bar.
CHUNK_ROWS = 10_000
#: Bytes of the file read at a time; its lines are checked a block at a time.
BLOCK_BYTES = 1 << 20
#: A line longer than this is not a subscriber record (and `csv` refuses fields
#: past 131,072 characters with an error that names no column).
MAX_LINE_CHARS = 4096


class ImportFailed(ValueError):
    """The file was refused; `problems` has one `line N, column C: why` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


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
    path: Path, kind: FileKind, chunk_rows: int | None = None, header: list[str] | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """The file's rows, converted, `chunk_rows` at a time, each row's line number
    appended as its last value; `header`, if given, is filled with the file's
    columns once they are read (before the first chunk).

    A file with problems yields nothing after its first problem and then raises
    `ImportFailed` with the first 20 (in line order) — so a store that writes the
    chunks as they come writes nothing it keeps, once the transaction is rolled
    back. A file that is not a readable CSV (not UTF-8, NUL bytes, an absurd
    line, broken quoting, an extra cell) is refused on its first such line with
    that one problem."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    problems: list[str] = []
    chunk: list[tuple[Any, ...]] = []
    with _collector_paused():
        for values in _checked_rows(path, kind, problems, [] if header is None else header):
            chunk.append(values)
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if problems:
        raise ImportFailed(problems)
    if chunk:
        yield chunk


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a file is read: its rows are
    lists and tuples of strings and numbers, never cycles, but with a chunk of
    them alive the collector walks them over and over (a quarter of the reading
    and checking time of a subscriber file, a third of a usage file's, measured)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _checked_rows(
    path: Path, kind: FileKind, problems: list[str], header: list[str]
) -> Iterator[tuple[Any, ...]]:
    """Each row converted, until the first problem; then only the problems are
    collected into `problems`, up to MAX_REPORTED."""
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
            for line, row in records:
                ended = line
                if not row:  # a blank line
                    continue
                if len(row) != width:  # a line cut short or run on: nothing to guess
                    more_or_fewer = "more" if len(row) > width else "fewer"
                    raise ImportFailed([f"line {line}: {more_or_fewer} cells than columns"])
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
                        yield values
                if len(problems) >= MAX_REPORTED:
                    problems.append(f"(stopped after {MAX_REPORTED} problems)")
                    break
        except csv.Error as error:  # quoting gone wrong: what csv says, where the record began
            raise ImportFailed([f"line {ended + 1}: not valid CSV ({error})"]) from None


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
