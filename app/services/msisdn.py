"""Phone numbers are normalised once, at the edge (DOMAIN.md §1, DESIGN.md Data)."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberType

from app.domain.text import excerpt


class InvalidMsisdn(ValueError):
    pass


_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
#: phonenumbers' own pattern of Chinese mobile numbers, compiled once: an input that is
#: already 11 national digits and matches it needs no full parse (most MOs, every
#: import row). Anything else takes the full parse and its precise refusal.
_CN_MOBILE = PhoneMetadata.metadata_for_region("CN").mobile  # type: ignore[union-attr]
_NATIONAL_MOBILE = re.compile(f"(?:{_CN_MOBILE.national_number_pattern})")


def _shown(raw: str) -> str:
    """The input quoted in an error: short, so a refusal never repeats a huge value."""
    return repr(excerpt(raw, 32))


def normalise_msisdn(raw: str) -> str:
    """`+86 138-0013-8000`, `8613800138000`, `008613800138000` → `13800138000`.

    phonenumbers knows which Chinese ranges are mobile, so `12345` or a
    landline is refused here rather than creating a subscriber nobody can text.
    """
    if len(raw) == 11 and raw.isascii() and _NATIONAL_MOBILE.fullmatch(raw):
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
