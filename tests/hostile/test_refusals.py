"""A 422 names the field and quotes a short, encodable excerpt; a lone surrogate
in an MO text is answered (issue 11, finding 2)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from app.runtime import Runtime
from app.store.models import InboundMessageRow
from tests.conftest import auth
from tests.hostile.helpers import count, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

WHEN = "2026-11-22T10:00:00+08:00"


def raw_json(client, body: str):  # type: ignore[no-untyped-def]
    """A JSON body as bytes, so that `\\ud83d` reaches the server as written."""
    headers = {**auth(), "Content-Type": "application/json"}
    return client.post("/v1/mo", content=body.encode(), headers=headers)


def test_lone_surrogate_in_text_is_answered(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    body = '{"from": "13800138000", "to": "10086", "text": "\\ud83dCXYE", "message_id": "s-1"}'
    response = raw_json(raw_client(runtime), body)
    assert response.status_code == 200, response.text
    assert response.json()["replies"][0]["text"]
    with runtime.uow_factory() as uow:
        row = uow.messages.find_inbound("http-json", "s-1")
        assert row is not None and row.text == "\ufffdCXYE"


def test_lone_surrogate_in_an_invalid_field_is_a_422_naming_it(runtime: Runtime) -> None:
    body = '{"from": "\\ud83d138", "to": "10086", "text": "CXYE", "message_id": "s-2"}'
    response = raw_json(raw_client(runtime), body)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "from" and "\ufffd138" in problem["input"]
    assert count(runtime, InboundMessageRow) == 0


def test_a_huge_invalid_value_is_not_echoed(runtime: Runtime) -> None:
    huge = "X" * 30_000
    body = {"from": "13800138000", "to": huge, "text": "CXYE", "message_id": "s-3"}
    response = raw_json(raw_client(runtime), json.dumps(body))
    assert response.status_code == 422
    assert len(response.content) < 1000
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "to" and problem["input"].endswith("…")


def test_a_surrogate_in_an_unknown_key_is_refused_cleanly(runtime: Runtime) -> None:
    body = '{"from": "13800138000", "to": "10086", "text": "x", "message_id": "s", "\\udc00": 1}'
    response = raw_json(raw_client(runtime), body)
    assert response.status_code == 422 and "\ufffd" in response.text


def test_ids_with_control_characters_are_refused_naming_them(runtime: Runtime) -> None:
    """NUL cannot be stored in PostgreSQL text: an id holding it was a 500 there."""
    runtime.settings = runtime.settings.model_copy(
        update={"kannel_token": SecretStr("hostile-kannel-token")}
    )
    client = raw_client(runtime)
    form = {"sessionId": "a\x00b", "serviceCode": "*10086#", "phoneNumber": "13800138000"}
    ussd = client.post("/v1/ussd", data=form, headers=auth())
    assert ussd.status_code == 422 and ussd.json()["detail"].startswith("sessionId:")
    query = "token=hostile-kannel-token&from=13800138000&to=10086&id=a%00b&text=CXYE"
    kannel = client.get(f"/v1/kannel/mo?{query}")
    assert kannel.status_code == 400 and kannel.json()["detail"].startswith("id:")
    body = {"from": "13800138000", "to": "10086", "text": "CXYE", "message_id": "a\x01b"}
    mo = client.post("/v1/mo", json=body, headers=auth())
    assert mo.status_code == 422 and mo.json()["detail"][0]["loc"][-1] == "message_id"
    assert count(runtime, InboundMessageRow) == 0
