"""Numbers already in national form skip the full parse; the answer is the same."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.msisdn import InvalidMsisdn, normalise_msisdn, parse_msisdn


def outcome(normalise: object, raw: str) -> str:
    try:
        return normalise(raw)  # type: ignore[operator]
    except InvalidMsisdn as error:
        return f"refused: {error}"


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"1[0-9]{10}", fullmatch=True) | st.text(min_size=10, max_size=12))
def test_the_fast_path_agrees_with_the_full_parse(raw: str) -> None:
    assert outcome(normalise_msisdn, raw) == outcome(parse_msisdn, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("17400012345", "17400012345"),  # 1740[0-5]: mobile
    ],
)
def test_common_forms(raw: str, expected: str) -> None:
    assert normalise_msisdn(raw) == expected


@pytest.mark.parametrize(
    "raw", ["17406012345", "12345678901", "01012345678", "１３８００１３８０００"]
)
def test_not_mobile_numbers_are_refused_either_way(raw: str) -> None:
    if raw.isascii():
        with pytest.raises(InvalidMsisdn):
            normalise_msisdn(raw)
    assert outcome(normalise_msisdn, raw) == outcome(parse_msisdn, raw)
