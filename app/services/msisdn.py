"""Phone numbers are normalised once, at the edge (DOMAIN.md §1, DESIGN.md Data)."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from app.domain.text import excerpt


class InvalidMsisdn(ValueError):
    pass


_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _fast_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """phonenumbers' own patterns for China: its mobile ranges, and the carrier
    prefixes its parser may strip from the front of a national number."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.mobile is not None
    mobile = metadata.mobile.national_number_pattern
    assert mobile is not None
    return re.compile(mobile), re.compile(metadata.national_prefix_for_parsing or "(?!)")


_MOBILE_RANGE, _STRIPPED_PREFIX = _fast_patterns()
#: Seven-digit blocks (`1380013`: China allocates mobile numbers in blocks of
#: 10,000, and phonenumbers' ranges are no finer) whose numbers the patterns
#: took: the next number of a block is checked with a set lookup.
_MOBILE_BLOCKS: set[str] = set()


def _shown(raw: str) -> str:
    """The input quoted in an error: short, so a refusal never repeats a huge value."""
    return repr(excerpt(raw, 32))


def normalise_msisdn(raw: str) -> str:
    """`+86 138-0013-8000`, `8613800138000`, `008613800138000` → `13800138000`.

    phonenumbers knows which Chinese ranges are mobile, so `12345` or a
    landline is refused here rather than creating a subscriber nobody can text.
    """
    if len(raw) == 11 and raw.isdigit() and raw.isascii():
        # Already normalised (every row of an operator's export): the answer the
        # parser below would give, without its cost (tests/services/test_bulk_import.py).
        if raw[:7] in _MOBILE_BLOCKS:
            return raw
        if _MOBILE_RANGE.fullmatch(raw) and not _STRIPPED_PREFIX.match(raw):
            _MOBILE_BLOCKS.add(raw[:7])  # at most the 10**6 blocks of 1XX-XXXX
            return raw
    return parse_msisdn(raw)


def parse_msisdn(raw: str) -> str:
    """`normalise_msisdn` by phonenumbers' full parse, whatever the input's form."""
    text = raw.strip()
    if not text:
        raise InvalidMsisdn("empty phone number")
    if text.startswith("0086"):
        text = "+86" + text[4:]
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException as error:
        raise InvalidMsisdn(f"not a phone number: {_shown(raw)}") from error
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise InvalidMsisdn(f"not a valid Chinese mobile number: {_shown(raw)}")
    if phonenumbers.number_type(number) not in _MOBILE:
        raise InvalidMsisdn(f"not a mobile number: {_shown(raw)}")
    return str(number.national_number)
