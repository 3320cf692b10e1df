"""`/v1/kannel/mo` as Kannel calls it: get-url, post-url, charsets, duplicates, auth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.runtime import Runtime
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from tests.kannel.conftest import KANNEL_TOKEN
from tests.support import store

pytestmark = pytest.mark.usefixtures("catalog")

MSISDN = "13800138000"
# A get-url as the README configures it: "...?from=%p&to=%P&text=%b&id=%I&time=%t&coding=%c&charset=%C"
BASE = {"token": KANNEL_TOKEN, "from": "8613800138000", "to": "10086",
        "time": "2026-11-22 02:00:00", "coding": "0", "charset": "UTF-8"}  # fmt: skip


def mo(client: TestClient, text: str | bytes, **params: str) -> Any:
    """GET as Kannel sends it: text bytes percent-encoded as they are."""
    data = text.encode() if isinstance(text, str) else text
    query = {**BASE, "id": "k-1", **params}
    encoded = "&".join(f"{k}={v}" for k, v in _quoted(query).items())
    return client.get(f"/v1/kannel/mo?{encoded}&text={_quote(data)}")


def _quote(data: bytes) -> str:
    return "".join(chr(b) if chr(b).isalnum() else f"%{b:02X}" for b in data)


def _quoted(query: dict[str, str]) -> dict[str, str]:
    return {k: _quote(v.encode()) for k, v in query.items()}


def count(runtime: Runtime, model: type) -> int:
    return store.count(runtime.uow_factory, model)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    # No lifespan: nothing runs in the background.
    yield TestClient(create_app(runtime=runtime), client=("127.0.0.1", 50000))


def test_iwjzs_answer_is_the_reply_sms(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN)
    response = mo(client, "IWJZS 2")
    assert response.status_code == 200
    assert response.headers["content-type"].lower() == "text/plain; charset=utf-8"
    assert "9个月" in response.text and "2026年12月1日" in response.text
    assert response.headers["x-kannel-coding"] == "2"
    assert response.headers["x-kannel-from"] == "10086"


def test_gsm_reply_is_coding_0(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.language = "en"  # type: ignore[assignment]
    response = mo(client, "HELP")
    assert response.status_code == 200 and response.text.startswith("Commands:")
    assert response.headers["x-kannel-coding"] == "0"


def test_cxye_over_raw_ucs2_without_mo_recode(
    client: TestClient, add_subscriber: Callable, runtime: Runtime
) -> None:
    """Kannel without mo-recode: raw UTF-16BE, %c=2, %C=UTF-16BE."""
    add_subscriber(MSISDN, balance_fen=8650)
    response = mo(client, "余额".encode("utf-16-be"), coding="2", charset="UTF-16BE")
    assert "余额为86.50元" in response.text
    with runtime.uow_factory() as uow:
        row = uow.messages.find_inbound("kannel", "k-1")
        assert row is not None and row.text == "余额" and row.outcome == "balance"
        assert (row.msisdn, row.short_code) == (MSISDN, "10086")


def test_utf16_byte_that_is_whitespace_survives(client: TestClient, runtime: Runtime) -> None:
    # 上 is 4E 0A: %a would have turned 0A into a space; %b keeps it.
    mo(client, "上网".encode("utf-16-be"), coding="2", charset="UTF-16BE")
    with runtime.uow_factory() as uow:
        row = uow.messages.find_inbound("kannel", "k-1")
        assert row is not None and row.text == "上网"


@pytest.mark.parametrize("coding", ["-1", ""])  # Kannel's DC_UNDEF, or no %c at all
def test_an_undefined_coding_is_read_by_the_charset(client: TestClient, coding: str) -> None:
    response = mo(client, "余额", coding=coding, charset="UTF-8")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("to", ["+10086", "10086"])
def test_a_short_code_typed_international_is_the_short_code(client: TestClient, to: str) -> None:
    response = mo(client, "HELP", to=to)
    assert response.status_code == 200, response.text


def test_same_kannel_id_twice_answers_the_same(
    client: TestClient, add_subscriber: Callable, runtime: Runtime
) -> None:
    add_subscriber(MSISDN)
    first, second = mo(client, "IWJZS 2"), mo(client, "IWJZS 2")
    assert first.text == second.text and "9个月" in second.text
    assert count(runtime, ActivationRow) == 1 and count(runtime, InboundMessageRow) == 1


def test_without_id_a_retry_is_recognised_by_time_and_text(
    client: TestClient, add_subscriber: Callable, runtime: Runtime
) -> None:
    add_subscriber(MSISDN)
    mo(client, "IWJZS 2", id="")
    mo(client, "IWJZS 2", id="")
    assert count(runtime, InboundMessageRow) == 1
    mo(client, "IWJZS 2", id="", time="2026-11-22 02:00:01")  # another second: another MO
    assert count(runtime, InboundMessageRow) == 2 and count(runtime, ActivationRow) == 1


def test_without_id_or_time_each_request_is_new(client: TestClient, runtime: Runtime) -> None:
    for _ in range(2):
        assert mo(client, "CD", id="", time="").status_code == 200
    assert count(runtime, InboundMessageRow) == 2


def test_epoch_time_is_accepted(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN)
    assert "9个月" in mo(client, "IWJZS 2", time="1795312800").text  # 2026-11-22 02:00 UTC


def test_post_url_with_kannel_headers(
    client: TestClient, add_subscriber: Callable, runtime: Runtime
) -> None:
    add_subscriber(MSISDN)
    headers = {  # as Kannel 1.4.5 sent them with send-sender = true
        "Content-Type": 'text/plain; charset="UTF-16BE"',
        "X-Kannel-From": "+8613800138000",
        "X-Kannel-To": "10086",
        "X-Kannel-Time": "2026-11-22 02:00:00",
        "X-Kannel-Coding": "2",
        "X-Kannel-Service": "^[ ]*(default)[ ]*",
    }
    body = "iwjzs 2".encode("utf-16-be")
    url = f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=p-1"
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 200 and "9个月" in response.text
    assert response.headers["x-kannel-coding"] == "2"
    with runtime.uow_factory() as uow:
        row = uow.messages.find_inbound("kannel", "p-1")
        assert row is not None and row.text == "iwjzs 2" and row.msisdn == MSISDN


def test_post_url_without_send_sender_says_so(client: TestClient) -> None:
    response = client.post(
        f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=p-2",
        content=b"CXYE",
        headers={"X-Kannel-To": "10086", "Content-Type": "text/plain"},
    )
    assert response.status_code == 400 and "from: missing" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": ""}, "from"),
        ({"from": "12345"}, "from"),
        ({"to": "10086abc"}, "to"),
        ({"to": ""}, "to"),
        ({"time": "yesterday"}, "time"),
        ({"coding": "ucs2"}, "coding"),
        ({"coding": "-2"}, "coding"),
        ({"coding": "3"}, "coding"),
        ({"to": "++10086"}, "to"),
        ({"to": "+"}, "to"),
        ({"charset": "KLINGON"}, "charset"),
        ({"id": "x" * 129}, "id"),
    ],
)
def test_malformed_mo_gets_400_naming_the_field(
    client: TestClient, runtime: Runtime, change: dict[str, str], field: str
) -> None:
    response = mo(client, "CXYE", **change)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")
    assert count(runtime, InboundMessageRow) == 0


def test_missing_text_is_named(client: TestClient) -> None:
    query = "&".join(f"{k}={v}" for k, v in _quoted({**BASE, "id": "k-9"}).items())
    response = client.get(f"/v1/kannel/mo?{query}")
    assert response.status_code == 400 and response.json()["detail"].startswith("text:")


@pytest.mark.parametrize(
    ("token", "headers"),
    [("", {}), ("wrong", {}), ("", {"Authorization": "Bearer wrong"})],
)
def test_token_is_required(
    client: TestClient, runtime: Runtime, token: str, headers: dict[str, str]
) -> None:
    response = client.get(
        "/v1/kannel/mo", params={**BASE, "token": token, "id": "a", "text": "CXYE"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 401
    assert count(runtime, InboundMessageRow) == 0


def test_token_in_a_bearer_header_works(client: TestClient) -> None:
    params = {k: v for k, v in BASE.items() if k != "token"}
    response = client.get(
        "/v1/kannel/mo",
        params={**params, "id": "b", "text": "CD"},
        headers={"Authorization": f"Bearer {KANNEL_TOKEN}"},
    )
    assert response.status_code == 200


def test_nothing_configured_refuses_everyone(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"kannel_token": None})
    client = TestClient(create_app(runtime=runtime), client=("127.0.0.1", 50000))
    response = client.get("/v1/kannel/mo", params={**BASE, "id": "c", "text": "CD"})
    assert response.status_code == 401 and "no Kannel credentials" in response.json()["detail"]
    assert count(runtime, InboundMessageRow) == 0


@pytest.mark.parametrize(
    ("token", "peer", "status"),
    [
        (None, "127.0.0.1", 200),
        (None, "10.1.2.3", 403),
        (None, "192.168.7.9", 200),
        (KANNEL_TOKEN, "10.1.2.3", 403),  # both configured: both required
        ("wrong", "127.0.0.1", 401),
    ],
)
def test_address_allowlist(runtime: Runtime, token: str | None, peer: str, status: int) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"kannel_allowed_ips": ["127.0.0.1", "192.168.7.0/24", "not-an-address"]}
    )
    if token is None:
        runtime.settings = runtime.settings.model_copy(update={"kannel_token": None})
    client = TestClient(create_app(runtime=runtime), client=(peer, 50000))
    params = {**BASE, "id": "d", "text": "CD"}
    params.pop("token")
    if token is not None:
        params["token"] = token
    assert client.get("/v1/kannel/mo", params=params).status_code == status
    assert count(runtime, InboundMessageRow) == (1 if status == 200 else 0)


def test_sendsms_mode_answers_empty_and_queues_the_reply(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber(MSISDN)
    runtime.settings = runtime.settings.model_copy(update={"kannel_reply_mode": "sendsms"})
    client = TestClient(create_app(runtime=runtime), client=("127.0.0.1", 50000))
    first, second = mo(client, "IWJZS 2"), mo(client, "IWJZS 2")
    assert (first.status_code, first.text, second.text) == (200, "", "")
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (row,) = uow.session.scalars(select(OutboundMessageRow)).all()
        assert (row.channel, row.state, row.msisdn, row.sender) == (
            "kannel", "queued", MSISDN, "10086")  # fmt: skip
        assert "9个月" in row.text
