"""Text as phones and gateways send it, made safe and comparable in one place.

Every path that reads what a subscriber typed (SMS over SMPP, JSON and
Kannel HTTP, USSD menus) goes through these functions, so `２`, `²` and `2`
mean the same everywhere and nothing that `str.isdigit()` accepts can reach
`int()` and fail there: `isdigit()` is also true for `፩` (Ethiopic) or `²`,
and `١` (Arabic-Indic) would be read as a number nobody on a Chinese handset
meant. After NFKC (DOMAIN.md §7, step 1) only ASCII 0-9 count as digits.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"
ELLIPSIS = "…"
#: A menu or list number has a few digits; a longer run is text, not a choice
#: (and `int()` refuses runs of more than 4300 digits outright).
MAX_CHOICE_DIGITS = 4
#: How much of what the subscriber typed a reply may quote back (DOMAIN.md §6):
#: enough to recognise it, never enough to turn one MO into many SMS.
ECHO_CHARS = 24


def clean(text: str) -> str:
    """Garbage is answered, not refused: lone surrogates (a broken UCS-2
    decode, a JSON `\\ud83d`) and NUL, which neither UTF-8 nor PostgreSQL text
    can carry, become U+FFFD. A surrogate pair becomes the character it encodes."""
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def fold(text: str) -> str:
    """NFKC: full-width letters and digits, `＋`, U+3000, `²` become their plain forms."""
    return unicodedata.normalize("NFKC", text)


def is_digits(word: str) -> bool:
    """A non-empty run of ASCII 0-9 (fold first: `２` counts, `፩` and `١` never)."""
    return word.isascii() and word.isdigit()


def choice_number(word: str) -> int | None:
    """The value of a menu or list choice (`1`, `０３`, `²`), or None when the
    word is not a short run of digits."""
    folded = fold(word).strip()
    if not is_digits(folded) or len(folded) > MAX_CHOICE_DIGITS:
        return None
    return int(folded)


def excerpt(text: str, limit: int = ECHO_CHARS) -> str:
    """At most `limit` characters of `text`, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def mask_msisdn(number: str) -> str:
    """`13800138000` → `138****8000` for a log line: enough for support to
    match a complaint, not enough to dial (DOMAIN.md §1: personal data)."""
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 8 else "****"


def has_control(text: str) -> bool:
    """Control characters or lone surrogates: never part of an id a gateway means
    (and NUL cannot even be stored in PostgreSQL text)."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)
