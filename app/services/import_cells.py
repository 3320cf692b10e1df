"""Checking the cells of an import file's rows: one row of a subscribers or usage
CSV as a tuple ready for the store, or the first bad cell as `_BadCell`.

The checks are the import's rules (README "Data in"; DOMAIN.md §1 for the
subscriber record), each cell checked in the order the rows' columns are
listed, so that a row with several bad cells always names the same one. Every
check has a fast path for text that is already in the stored form (an 11-digit
number, `gotone`, `86.50`, `2015-03-12`) and falls back to the full check,
which alone words the refusals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from operator import itemgetter
from typing import Any, cast

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
from app.store.bulk import SUBSCRIBER_FIELDS, USAGE_FIELDS, file_column
from app.store.models import SubscriberRow, table_of

#: The columns of the files: the store's fields, money in yuan (`*_yuan`, not `*_fen`).
SUBSCRIBER_COLUMNS = tuple(map(file_column, SUBSCRIBER_FIELDS))
SUBSCRIBER_REQUIRED = SUBSCRIBER_COLUMNS[:4]
USAGE_COLUMNS = tuple(map(file_column, USAGE_FIELDS))

#: The largest amount a cell may hold, in yuan: far above any real balance or
#: spend, far below what a BIGINT of fen holds (`1e30` once overflowed it).
MAX_YUAN = Decimal(10) ** 10
#: Whole minutes of use in a month: a month has 44,640; an INTEGER holds more.
MAX_MOU = 10_000_000
#: The longest text the store holds, per column.
MAX_TEXT: dict[str, int] = {
    column: int(cast(String, table_of(SubscriberRow).c[column].type).length or 0)
    for column in ("name", "mailing_address", "account_manager", "vip_card_no")
}
_NAME_MAX, _ADDRESS_MAX, _MANAGER_MAX, _CARD_MAX = MAX_TEXT.values()


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


#: `HH:MM-HH:MM` in operator time; a window may end at 24:00, at no later minute.
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$")
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

    Each cell is checked in the order of the three steps below, the stored
    spelling by a lookup inline and anything else by the full check (which
    words the refusal)."""
    msisdn, brand, status, opened_on = _identity(cells)
    (balance_fen, birthday, valid_from, valid_to, method, alert_on, plan_fee_fen, guaranteed_fen,
     bundle_ends, cmmb_on, payment_on, contacted, visited) = _dates_money_flags(cells)  # fmt: skip
    name, gender, address, manager, vip_type, vip_level, vip_source, card_no = _profile(cells)
    # ISO dates of four-digit years order as text does.
    if valid_from and valid_to and valid_to < valid_from:
        raise _BadCell("vip_valid_to", "ends before vip_valid_from")
    return (
        msisdn, brand, status, opened_on, balance_fen, name or None, gender or None,
        birthday or None, address or None, manager or None, vip_type or None,
        vip_level or None, vip_source or None, card_no or None, valid_from or None,
        valid_to or None, method, cells[17] or None, alert_on, plan_fee_fen, guaranteed_fen,
        bundle_ends or None, cmmb_on, payment_on, contacted or None, visited or None, line,
    )  # fmt: skip


def _identity(cells: Sequence[str]) -> tuple[str, str, str, str]:
    """The required cells (and the contact window, checked first as it always was)."""
    msisdn, brand, status, opened_on = cells[:4]
    if not (msisdn and brand and status and opened_on):
        for column, text in zip(SUBSCRIBER_REQUIRED, cells, strict=False):
            if not text:
                raise _BadCell(column, "required")
    window = cells[17]
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
    opened_on = _DATES.get(opened_on) or _date_of("opened_on", opened_on)
    return msisdn, brand, status, opened_on


#: The cells `_dates_money_flags` checks.
_DATED = itemgetter(4, 7, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25)


def _dates_money_flags(cells: Sequence[str]) -> tuple[Any, ...]:
    """Money, dates, the contact method and the flags, in the file's column order."""
    (balance, birthday, valid_from, valid_to, method, alert, plan_fee, guaranteed, bundle_ends,
     cmmb, payment, contacted, visited) = _DATED(cells)  # fmt: skip
    dates, flags = _DATES, _FLAGS
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
    return (balance_fen, birthday, valid_from, valid_to, method, alert_on, plan_fee_fen,
            guaranteed_fen, bundle_ends, cmmb_on, payment_on, contacted, visited)  # fmt: skip


def _profile(cells: Sequence[str]) -> tuple[str, ...]:
    """The free texts (by length) and the optional choices."""
    name, gender, _, address, manager, vip_type, vip_level, vip_source, card_no = cells[5:14]
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
    return name, gender, address, manager, vip_type, vip_level, vip_source, card_no


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
