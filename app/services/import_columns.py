"""Checking an import file a chunk at a time (`CheckedRows`: the problems, the
repeats), each chunk column by column when it can be: one set or dict lookup per
distinct value instead of a function call per cell, for a chunk whose every
cell is already in the stored form (an operator's export: 11-digit numbers,
`gotone`, `86.50`, `2015-03-12`, `true`).

A chunk with anything else (a `+86` number, `MZone`, a padded cell, a bad
cell) gives None, and its rows are checked one at a time by
`app/services/import_cells.py`, which alone words the refusals and converts the
other spellings. Both give the same rows for a chunk this module takes
(tests/services/test_import_columns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.domain.subscriber import Month
from app.services.import_cells import (
    _BRANDS,
    _DATES,
    _FLAGS,
    _GENDERS,
    _METHODS,
    _MONTHS,
    _STATUSES,
    _VIP_LEVELS,
    _VIP_SOURCES,
    _VIP_TYPES,
    _WINDOW,
    MAX_MOU,
    MAX_TEXT,
    _BadCell,
    _date_of,
    _fen,
)
from app.services.msisdn import _MOBILE_BLOCKS, InvalidMsisdn, normalise_msisdn

Rows = Sequence[Sequence[str]]
ChunkConvert = Callable[[list[list[str]], list[int]], list[tuple[Any, ...]] | None]
MAX_REPORTED = 20

#: Amounts seen (`86.50` → 8650; an empty cell is 0), as `_DATES` for dates.
_FENS: dict[str, int] = {"": 0}
#: Contact windows seen that match `_WINDOW`.
_WINDOWS: set[str] = {""}
_OPTIONAL = frozenset({""})


def subscriber_chunk(rows: Rows, lines: Sequence[int]) -> list[tuple[Any, ...]] | None:
    """The rows as `subscriber_values` gives them, each with its line appended; or
    None if any cell is not in its stored form."""
    columns = list(zip(*rows, strict=True))
    (msisdn, brand, status, opened_on, balance, name, gender, birthday, address, manager,
     vip_type, vip_level, vip_source, card_no, valid_from, valid_to, method, window, alert,
     plan_fee, guaranteed, bundle_ends, cmmb, payment, contacted, visited) = columns  # fmt: skip
    if not (
        _stored_numbers(msisdn)
        and set(brand) <= _BRANDS and set(status) <= _STATUSES
        and set(method) <= _METHODS | _OPTIONAL and set(gender) <= _GENDERS | _OPTIONAL
        and set(vip_type) <= _VIP_TYPES | _OPTIONAL and set(vip_level) <= _VIP_LEVELS | _OPTIONAL
        and set(vip_source) <= _VIP_SOURCES | _OPTIONAL
        and all(set(flags) <= _FLAGS.keys() for flags in (alert, cmmb, payment))
        and _short(name, "name") and _short(address, "mailing_address")
        and _short(manager, "account_manager") and _short(card_no, "vip_card_no")
        and "" not in opened_on and _windows(window)
    ):  # fmt: skip
        return None
    try:
        dates = [_dates(c) for c in (opened_on, birthday, valid_from, valid_to, bundle_ends,
                                     contacted, visited)]  # fmt: skip
        fens = [_fens(balance), _fens(plan_fee), _fens(guaranteed)]
    except _BadCell:
        return None
    opened, birthdays, starts, ends, bundles, contacts, visits = dates
    if min(fens[1]) < 0 or min(fens[2]) < 0:
        return None
    # ISO dates of four-digit years order as text does.
    if any(start and end and end < start for start, end in zip(starts, ends, strict=True)):
        return None
    flag = _FLAGS.__getitem__
    return list(
        zip(
            msisdn, brand, status, opened, fens[0], _or_none(name), _or_none(gender), birthdays,
            _or_none(address), _or_none(manager), _or_none(vip_type), _or_none(vip_level),
            _or_none(vip_source), _or_none(card_no), starts, ends, [m or "sms" for m in method],
            _or_none(window), list(map(flag, alert)), fens[1], fens[2], bundles,
            list(map(flag, cmmb)), list(map(flag, payment)), contacts, visits, lines,
            strict=True,
        )
    )  # fmt: skip


def usage_chunk(rows: Rows, lines: Sequence[int]) -> list[tuple[Any, ...]] | None:
    """The rows as `usage_values` gives them, each with its line appended; or None
    if any cell is not in its stored form."""
    msisdn, month, spend, mou = zip(*rows, strict=True)
    joined = "".join(mou)
    if not (
        _stored_numbers(msisdn) and "" not in month and "" not in spend and "" not in mou
        and joined.isdigit() and joined.isascii()
    ):  # fmt: skip
        return None
    minutes = list(map(int, mou))
    try:
        first_days = _first_days(month)
        spend_fen = _fens(spend)
    except (_BadCell, ValueError):
        return None
    if max(minutes) > MAX_MOU or min(spend_fen) < 0:
        return None
    return list(zip(msisdn, first_days, spend_fen, minutes, lines, strict=True))


def _stored_numbers(numbers: Sequence[str]) -> bool:
    """Every number is 11 ASCII digits in a mobile block: a number as stored."""
    joined = "".join(numbers)
    if not (len(joined) == 11 * len(numbers) and joined.isdigit() and joined.isascii()):
        return False
    if set(map(len, numbers)) != {11}:
        return False
    blocks = {number[:7]: number for number in numbers}
    for block in blocks.keys() - _MOBILE_BLOCKS:
        try:
            normalise_msisdn(blocks[block])  # remembers the block if it is a mobile one
        except InvalidMsisdn:
            return False
        if block not in _MOBILE_BLOCKS:
            return False
    return True


def _short(texts: Sequence[str], column: str) -> bool:
    return max(map(len, texts)) <= MAX_TEXT[column]


def _windows(windows: Sequence[str]) -> bool:
    for window in set(windows) - _WINDOWS:
        if not _WINDOW.match(window):
            return False
        if len(_WINDOWS) < 10_000:
            _WINDOWS.add(window)
    return True


def _or_none(texts: Sequence[str]) -> list[str | None]:
    return [text or None for text in texts]


def _dates(texts: Sequence[str]) -> list[str | None]:
    """Each date as stored, an empty cell None; `_BadCell` for a bad one."""
    known = _DATES
    for text in set(texts).difference(known):
        if text:
            _date_of("", text)
            if text not in known:  # the memo is full
                raise _BadCell("", "not remembered")
    return [known[text] if text else None for text in texts]


def _fens(texts: Sequence[str]) -> list[int]:
    """Each amount in fen (an empty cell 0); `_BadCell` for a bad one."""
    known = _FENS
    if len(known) > 1_000_000:  # a bound, so a file of distinct amounts cannot grow it forever
        known.clear()
        known[""] = 0
    for text in set(texts).difference(known):
        known[text] = _fen("", text)
    return list(map(known.__getitem__, texts))


def _first_days(months: Sequence[str]) -> list[str]:
    """Each `YYYY-MM` as its first day; ValueError for a bad one."""
    known = _MONTHS
    for text in set(months).difference(known):
        first_day = Month.parse(text).first_day().isoformat()
        if text.strip() != text or len(known) >= 100_000:
            raise ValueError(text)
        known[text] = first_day
    return list(map(known.__getitem__, months))


class CheckedRows:
    """The rows of a file checked a chunk at a time, and the problems found."""

    def __init__(
        self,
        convert: Callable[[Sequence[str], int], tuple[Any, ...]],
        convert_chunk: ChunkConvert | None,
        key_width: int,
    ) -> None:
        self.convert, self.convert_chunk, self.key_width = convert, convert_chunk, key_width
        self.problems: list[str] = []
        self.seen: dict[Any, int] = {}  # each key's line

    def chunk(self, lines: list[int], rows: list[list[str]]) -> list[tuple[Any, ...]]:
        """The chunk's rows converted; empty once the file has a problem. A chunk in
        the stored form is converted column by column, any other row by row."""
        fast = self.convert_chunk
        converted = fast(rows, lines) if fast is not None and rows else None
        if converted is None:
            return self._row_by_row(lines, rows)
        width, seen, problems = self.key_width, self.seen, self.problems
        for values, line in zip(converted, lines, strict=True):
            key = values[0] if width == 1 else values[:width]
            before = seen.setdefault(key, line)
            if before != line:
                self._problem(f"line {line}, column msisdn: repeats line {before}")
                seen[key] = line
                if len(problems) > MAX_REPORTED:
                    break
        return [] if problems else converted

    def _row_by_row(self, lines: list[int], rows: list[list[str]]) -> list[tuple[Any, ...]]:
        convert, width, seen = self.convert, self.key_width, self.seen
        converted: list[tuple[Any, ...]] = []
        for line, row in zip(lines, rows, strict=True):
            try:
                values = convert(row, line)
            except _BadCell as bad:
                self._problem(f"line {line}, column {bad.column}: {bad}")
            else:
                key = values[0] if width == 1 else values[:width]
                before = seen.setdefault(key, line)
                if before != line:
                    self._problem(f"line {line}, column msisdn: repeats line {before}")
                    seen[key] = line
                elif not self.problems:
                    converted.append(values)
            if len(self.problems) > MAX_REPORTED:
                break
        return [] if self.problems else converted

    def _problem(self, problem: str) -> None:
        self.problems.append(problem)
        if len(self.problems) == MAX_REPORTED:
            self.problems.append(f"(stopped after {MAX_REPORTED} problems)")
