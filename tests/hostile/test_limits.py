"""A body limit on every HTTP route (413) and an MO text limit per channel
(issue 11, finding 4): nothing oversized is read whole or stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from app.gateways.smpp import pdus
from app.runtime import Runtime
from app.store.models import InboundMessageRow
from tests.conftest import ADMIN_TOKEN, auth
from tests.hostile.helpers import count, deliver_sm, deliveries, outbox, post_mo, raw_client, rows

pytestmark = pytest.mark.usefixtures("catalog")

KANNEL_TOKEN = "hostile-kannel-token"
WHEN = "2026-11-22T10:00:00+08:00"


@pytest.fixture
def kannel_runtime(runtime: Runtime) -> Runtime:
    runtime.settings = runtime.settings.model_copy(update={"kannel_token": SecretStr(KANNEL_TOKEN)})
    return runtime


def test_a_10_mb_kannel_body_is_413_and_not_stored(kannel_runtime: Runtime) -> None:
    client = raw_client(kannel_runtime)
    url = f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=big&from=13800138000&to=10086"
    response = client.post(url, content=b"A" * 10_000_000)
    assert response.status_code == 413
    assert "SMSHALL_MAX_BODY_BYTES" in response.json()["detail"]
    assert count(kannel_runtime, InboundMessageRow) == 0


def test_a_chunked_body_is_cut_off_at_the_limit(kannel_runtime: Runtime) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"A" * 10_000

    client = raw_client(kannel_runtime)
    url = f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=big&from=13800138000&to=10086"
    response = client.post(url, content=chunks())
    assert response.status_code == 413
    assert count(kannel_runtime, InboundMessageRow) == 0


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/v1/mo", auth()), ("/v1/ussd", auth()), ("/v1/campaigns", auth(ADMIN_TOKEN))],
)
def test_every_route_has_the_limit(runtime: Runtime, path: str, headers: dict) -> None:
    response = raw_client(runtime).post(path, content=b"{" * 100_000, headers=headers)
    assert response.status_code == 413


def test_json_text_over_the_limit_is_422_naming_text(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    client = raw_client(runtime)
    response = post_mo(client, "A" * 2001, "t-1", received_at=WHEN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "text"
    assert count(runtime, InboundMessageRow) == 0
    runtime.settings = runtime.settings.model_copy(update={"max_mo_chars": 3000})
    assert post_mo(client, "A" * 2001, "t-1", received_at=WHEN).status_code == 200


def test_kannel_text_over_the_limit_is_400_naming_text(kannel_runtime: Runtime) -> None:
    client = raw_client(kannel_runtime)
    url = f"/v1/kannel/mo?token={KANNEL_TOKEN}&id=k&from=13800138000&to=10086&text={'A' * 2001}"
    response = client.get(url)
    assert response.status_code == 400 and response.json()["detail"].startswith("text:")
    assert count(kannel_runtime, InboundMessageRow) == 0


def test_ussd_text_over_the_limit_is_422_naming_text(runtime: Runtime) -> None:
    form = {"sessionId": "s", "serviceCode": "*10086#", "phoneNumber": "13800138000",
            "text": "1*" * 300}  # fmt: skip
    response = raw_client(runtime).post("/v1/ussd", data=form, headers=auth())
    assert response.status_code == 422 and "text" in response.json()["detail"]
    assert count(runtime, InboundMessageRow) == 0


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize("extra", [0, 1])
def test_an_smpp_mo_past_the_limit_is_acknowledged_and_kept_cut(
    runtime: Runtime, add_subscriber: Callable, extra: int
) -> None:
    """A refusal would only bring the deliver_sm again: at the limit it is kept
    whole, one character past it is kept cut to it; both are answered."""
    add_subscriber("13800138000")
    limited = runtime.with_settings(max_mo_chars=200)
    pdu = deliver_sm(1, "", data_coding=0)
    pdu.short_message = b""
    pdu.message_payload = ("CXYE " + "Y" * (195 + extra)).encode()
    [handled] = deliveries(limited).handle_many([("main", pdu)])
    assert handled.status == pdus.ROK
    [text] = [row.text for row in rows(limited, InboundMessageRow)]
    assert len(text) == 200 and text.startswith("CXYE ")
    assert len(outbox(limited)) == 1
