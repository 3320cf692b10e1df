"""Kannel's wire conventions, without a database: charsets, times, DLR types, sendsms calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from app.gateways.http.kannel_sender import dlr_url, sendsms_params
from app.gateways.http.kannel_wire import (
    KannelRequestError,
    content_charset,
    decode_text,
    dlr_error,
    dlr_type,
    parse_coding,
    parse_time,
    query_bytes,
)
from app.services.outbox import ClaimedReply
from app.settings import Settings

# What Kannel 1.4.5 sent for a UCS-2 MO "查上 话费" (上 is 4E 0A) without mo-recode.
RAW_UCS2_QUERY = b"from=13800138000&text=g%E5N%0A%00+%8B%DD%8D9&coding=2&charset=UTF-16BE"
# The same MO with mo-recode = true.
RECODED_QUERY = b"text=%E6%9F%A5%E4%B8%8A+%E8%AF%9D%E8%B4%B9&coding=0&charset=UTF-8"


def test_raw_utf16be_is_decoded_by_charset_not_as_utf8() -> None:
    params = query_bytes(RAW_UCS2_QUERY)
    assert decode_text(params["text"], 2, "UTF-16BE") == "查上 话费"
    # %c alone is enough when %C is left out of the URL.
    assert decode_text(params["text"], parse_coding("2"), None) == "查上 话费"


def test_mo_recode_utf8() -> None:
    params = query_bytes(RECODED_QUERY)
    assert decode_text(params["text"], 0, "UTF-8") == "查上 话费"
    assert decode_text(params["text"], None, None) == "查上 话费"


@pytest.mark.parametrize(
    ("data", "coding", "charset", "text"),
    [
        (b"CXYE", 0, "UTF-8", "CXYE"),
        (b"\xff\xfeCXYE", 1, "8-BIT", "\ufffd\ufffdCXYE"),
        (b"caf\xe9", 0, "ISO-8859-1", "café"),
        ("话费".encode("utf-16-be") + b"\x00", 2, "UTF-16BE", "话费\ufffd"),  # odd byte
        (b"\xe8\xaf", 0, '"UTF-8"', "\ufffd"),  # truncated UTF-8, quoted charset
    ],
)
def test_garbage_bytes_are_replaced_not_refused(
    data: bytes, coding: int, charset: str, text: str
) -> None:
    assert decode_text(data, coding, charset) == text


def test_unknown_charset_is_named() -> None:
    with pytest.raises(KannelRequestError, match="charset: unknown charset 'KLINGON'"):
        decode_text(b"x", 0, "KLINGON")


def test_bad_coding_is_named() -> None:
    with pytest.raises(KannelRequestError, match="coding"):
        parse_coding("ucs2")


def test_first_of_repeated_parameter_wins_and_blanks_are_kept() -> None:
    assert query_bytes(b"a=1&a=2&b=&c") == {"a": b"1", "b": b"", "c": b""}


@pytest.mark.parametrize("value", ["2026-11-23 09:33:16", "2026-11-23T09:33:16", "1795426396"])
def test_kannel_times_are_utc(value: str) -> None:
    assert parse_time(value) == datetime(2026, 11, 23, 9, 33, 16, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01 00:00:00", "99999999999999999999"])
def test_bad_time_is_named(value: str) -> None:
    with pytest.raises(KannelRequestError, match="time"):
        parse_time(value)


def test_charset_from_content_type() -> None:
    assert content_charset('text/plain; charset="UTF-16BE"') == "UTF-16BE"
    assert content_charset("text/plain;charset=utf-8") == "utf-8"
    assert content_charset("text/plain") is None
    assert content_charset(None) is None


@pytest.mark.parametrize(
    ("kind", "state"), [("1", "delivered"), ("2", "failed"), ("4", None), ("8", None),
                        ("16", "failed"), ("32", None)]
)  # fmt: skip
def test_dlr_types(kind: str, state: str | None) -> None:
    assert dlr_type(kind)[1] == state


@pytest.mark.parametrize("kind", ["", "3", "delivered", None])
def test_unknown_dlr_type_is_named(kind: str | None) -> None:
    with pytest.raises(KannelRequestError, match="type"):
        dlr_type(kind)


def test_dlr_error_prefers_the_receipt_err_field() -> None:
    assert dlr_error("id:42 sub:001 dlvrd:000 stat:UNDELIV err:034 text:x") == "034"
    assert dlr_error("NACK/0x00000045/Submit failed") == "NACK/0x00000045/Submit failed"


def _settings(**fields: object) -> Settings:
    return Settings(
        kannel_sendsms_username="tester",
        kannel_sendsms_password=SecretStr("foobar"),
        _env_file=None,  # type: ignore[call-arg]
        **fields,
    )


def test_sendsms_asks_ucs2_for_chinese_only() -> None:
    chinese = sendsms_params(_settings(), ClaimedReply(7, "13800138000", "10086", "余额8元", 1))
    latin = sendsms_params(_settings(), ClaimedReply(8, "13800138000", "10086", "Balance", 1))
    assert (chinese["coding"], chinese["charset"]) == ("2", "UTF-8")
    assert "coding" not in latin and latin["charset"] == "UTF-8"
    assert (latin["username"], latin["password"], latin["from"], latin["to"]) == (
        "tester", "foobar", "10086", "13800138000")  # fmt: skip
    assert "dlr-url" not in latin  # no kannel_dlr_url: no reports asked for


def test_dlr_url_names_the_reply_and_keeps_kannel_escapes() -> None:
    settings = _settings(
        kannel_dlr_url="http://127.0.0.1:8000/v1/kannel/dlr",
        kannel_token=SecretStr("t&k-0123456789abc"),
        kannel_dlr_mask=27,
        kannel_smsc="sim",
    )
    params = sendsms_params(settings, ClaimedReply(7, "13800138000", "10086", "hi", 1))
    assert params["dlr-mask"] == "27" and params["smsc"] == "sim"
    assert params["dlr-url"] == (
        "http://127.0.0.1:8000/v1/kannel/dlr?reply=7&token=t%26k-0123456789abc&type=%d&answer=%A&smsc_id=%F"
    )
    with_query = _settings(kannel_dlr_url="http://h/dlr?x=1")
    assert dlr_url(with_query, 9).startswith("http://h/dlr?x=1&reply=9&type=%d")
