"""USSD input a database key cannot hold (found by the fuzz run on PostgreSQL: a NUL
as the first input was a 500, the step's message id carrying it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.services.ussd import step_id
from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.mark.parametrize("text", ["\x00", "1*\x00", "\x00*1", "\ud83d", "1*\ud83d*2"])
def test_garbage_input_gets_a_screen(
    client: TestClient, add_subscriber: Callable[..., int], text: str
) -> None:
    add_subscriber("13800138000")
    session = uuid.uuid4().hex
    headers = {**auth(), "Content-Type": "application/x-www-form-urlencoded"}
    for step in ("", text, text):  # the menu, the garbage, the same request retried
        form = {"serviceCode": "*10086#", "phoneNumber": "13800138000", "text": step}
        body = urlencode({**form, "sessionId": session}, errors="surrogatepass").encode()
        answer = client.post("/v1/ussd", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.text.startswith(("CON ", "END "))


def test_a_clean_step_id_is_readable_and_a_dirty_one_is_a_stable_digest() -> None:
    assert step_id("13800138000", "s1", ("1", "2")) == "13800138000:s1:1*2"
    dirty = step_id("13800138000", "s1", ("\x00",))
    assert dirty == step_id("13800138000", "s1", ("\x00",))
    assert len(dirty) == 64 and dirty.isalnum()
    assert dirty != step_id("13800138000", "s1", ("\x01",))
    assert dirty != step_id("13900139000", "s1", ("\x00",))
