"""Digits `str.isdigit()` accepts but `int()` refuses (`፩`, `²`) are answered on
every path: JSON, USSD over HTTP, SMPP deliver_sm (issue 11, finding 1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.domain.cancellation import chosen_numbers
from app.domain.commands import parse
from app.domain.text import choice_number, clean, excerpt, is_digits
from app.gateways.smpp import pdus
from app.runtime import Runtime
from tests.conftest import auth
from tests.hostile.helpers import deliver_sm, deliveries, outbox, post_mo, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

WHEN = "2026-11-22T10:00:00+08:00"


@pytest.mark.parametrize(
    ("word", "number"),
    [("1", 1), ("０３", 3), ("²", 2), (" 2 ", 2), ("\u1369", None), ("١", None), ("", None),
     ("1_0", None), ("9" * 5000, None), ("12345", None)],
)  # fmt: skip
def test_choice_number_counts_only_ascii_digits_after_nfkc(word: str, number: int | None) -> None:
    assert choice_number(word) == number


def test_is_digits_and_the_list_reply() -> None:
    assert is_digits("0123") and not is_digits("١٠") and not is_digits("²") and not is_digits("")
    assert chosen_numbers(("\u1369",), 3) is None and chosen_numbers(("２", "1"), 3) == [2, 1]
    assert parse("\u1369").known is False


def test_clean_and_excerpt() -> None:
    assert clean("\ud83dCXYE\x00") == "\ufffdCXYE\ufffd" and clean("\ud83d\ude00") == "😀"
    assert excerpt("A" * 100, 10) == "A" * 9 + "…" and excerpt("short") == "short"


@pytest.mark.parametrize(("first", "then"), [("CD", "\u1369"), ("0000", "፩"), ("CD", "9" * 1999)])
def test_odd_digits_after_a_menu_or_list_get_an_answer(
    runtime: Runtime, add_subscriber: Callable, first: str, then: str
) -> None:
    add_subscriber("13800138000")
    client = raw_client(runtime)
    assert post_mo(client, first, "m-1", received_at=WHEN).status_code == 200
    response = post_mo(client, then, "m-2", received_at=WHEN)
    assert response.status_code == 200, response.text
    assert response.json()["replies"][0]["text"]


def test_ussd_superscript_two_is_two(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    client = raw_client(runtime)
    form = {"sessionId": "s-1", "serviceCode": "*10086#", "phoneNumber": "13800138000"}
    by_two = client.post("/v1/ussd", data={**form, "text": "2"}, headers=auth())
    by_sup = client.post("/v1/ussd", data={**form, "sessionId": "s-2", "text": "²"}, headers=auth())
    assert by_sup.status_code == 200, by_sup.text
    assert by_sup.text == by_two.text
    odd = client.post("/v1/ussd", data={**form, "sessionId": "s-3", "text": "፩"}, headers=auth())
    assert odd.status_code == 200 and odd.text.startswith("CON ")


def test_smpp_odd_digits_are_acknowledged_and_answered(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    handler = deliveries(runtime)
    batch = [("main", deliver_sm(1, "CD")), ("main", deliver_sm(2, "\u1369"))]
    assert [h.status for h in handler.handle_many(batch)] == [pdus.ROK, pdus.ROK]
    assert len(outbox(runtime)) == 2
