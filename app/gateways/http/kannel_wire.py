"""What Kannel puts on the wire: escape values as bytes, its charset rules, times, DLR types.

Kannel URL-encodes the message bytes as it holds them: UTF-8 for GSM text and,
with `mo-recode = true`, for UCS-2; without `mo-recode` a UCS-2 MO arrives as
raw UTF-16BE with `%c` = 2 and `%C` = UTF-16BE. So the query is read as bytes
and decoded by charset, never assumed to be UTF-8. `%a` rebuilds the text from
its words joined by `+`, which turns a UTF-16BE byte 0x09-0x0D into a space
(上 is 4E 0A); `%b`, the message as received, keeps every byte.
"""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from app.domain.delivery_receipts import parse_fields
from app.domain.states import ReplyState
from app.domain.text import excerpt, is_digits

UCS2 = 2


class KannelRequestError(ValueError):
    """A request Kannel (or whoever poses as it) got wrong; the message names the field."""


def shown(value: str | None) -> str:
    """A parameter quoted in a refusal: short, and escaped (`repr`) so it always encodes."""
    return repr(excerpt(value or "", 40))


def query_bytes(raw_query: bytes) -> dict[str, bytes]:
    """Query parameters, percent-decoded to bytes; the first of a repeated name wins."""
    pairs = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    params: dict[str, bytes] = {}
    for name, value in pairs:
        params.setdefault(name, value.encode("latin-1"))
    return params


def parse_coding(value: str | None) -> int | None:
    """`%c`: 0 GSM/7-bit, 1 8-bit, 2 UCS-2; empty or -1 means unknown (Kannel's
    DC_UNDEF, what it prints for an MO whose SMSC named no coding, e.g. `smsc = http`)."""
    if value is None or not value.strip() or value.strip() == "-1":
        return None
    if value.strip() not in ("0", "1", "2"):
        raise KannelRequestError(
            f"coding: expected Kannel's %c (-1, 0, 1 or 2), got {shown(value)}"
        )
    return int(value.strip())


def text_codec(coding: int | None, charset: str | None) -> str:
    """The codec of the text bytes, by Kannel's `%C` rules; `%c` only when `%C` is absent."""
    name = (charset or "").strip().strip('"').strip()
    if name.upper() == "8-BIT":
        name = ""  # binary data: read as UTF-8, what an application would have sent
    if not name:
        name = "utf-16-be" if coding == UCS2 else "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        info = None
    # `hex`, `base64`, `rot13` are Python codecs, but not of bytes to text.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise KannelRequestError(f"charset: unknown charset {shown(name)}")
    return info.name


def decode_text(data: bytes, coding: int | None, charset: str | None) -> str:
    """Garbage bytes become U+FFFD: every message is answered, none refused for its bytes.
    A codec that cannot replace (`idna`, `punycode`) refuses the charset, naming it."""
    codec = text_codec(coding, charset)
    try:
        return data.decode(codec, errors="replace")
    except (UnicodeError, ValueError, TypeError) as error:
        raise KannelRequestError(f"charset: cannot decode the text as {codec}: {error}") from None


def parse_time(value: str) -> datetime:
    """`%t` (`YYYY-MM-DD HH:MM:SS`, UTC: Kannel formats it with gmtime) or `%T` (epoch)."""
    text = value.strip()
    try:
        if is_digits(text):
            return datetime.fromtimestamp(int(text), UTC)
        return datetime.strptime(text.replace("T", " "), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise KannelRequestError(
            f"time: expected Kannel's %t (YYYY-MM-DD HH:MM:SS, UTC) or %T (epoch), got {shown(value)}"
        ) from None


def content_charset(content_type: str | None) -> str | None:
    """`text/plain; charset="UTF-16BE"` → `UTF-16BE` (Kannel quotes it on post-url)."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


#: Kannel DLR types (`%d`) as receipt stat and reply state; None leaves the state alone.
DLR_TYPES: dict[int, tuple[str, str | None]] = {
    1: ("DELIVRD", ReplyState.DELIVERED),
    2: ("UNDELIV", ReplyState.FAILED),
    4: ("BUFFERED", None),
    8: ("SMSC_ACK", None),
    16: ("SMSC_REJECT", ReplyState.FAILED),
    32: ("ENROUTE", None),
}


def dlr_type(value: str | None) -> tuple[str, str | None]:
    try:
        return DLR_TYPES[int((value or "").strip())]
    except (ValueError, KeyError):
        known = ", ".join(str(t) for t in DLR_TYPES)
        raise KannelRequestError(
            f"type: expected Kannel's %d ({known}), got {shown(value)}"
        ) from None


def dlr_error(answer: str) -> str:
    """The error of a DLR from `%A`: an SMPP receipt's `err:`, else the SMSC's words."""
    fields = parse_fields(answer)
    return fields.get("err", "").split(" ")[0] or answer.strip()[:32]


def receipt_key(reply_id: int) -> str:
    """sendsms gives no message id, so a reply's receipts are matched by its outbox id."""
    return f"kannel-{reply_id}"
