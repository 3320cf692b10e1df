"""sendsms mode: the sender's calls to Kannel and the DLRs that come back."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.gateways.http.kannel_sender import KannelSender
from app.main import create_app
from app.runtime import Runtime
from app.services.clock import utc_now
from app.store.models import OutboundMessageRow
from tests.kannel.conftest import KANNEL_TOKEN
from tests.kannel.test_mo import mo

pytestmark = pytest.mark.usefixtures("catalog")

MSISDN = "13800138000"
DLR_BASE = "http://127.0.0.1:8000/v1/kannel/dlr"


@pytest.fixture
def sendsms_runtime(runtime: Runtime, add_subscriber: Callable) -> Runtime:
    add_subscriber(MSISDN)
    runtime.settings = runtime.settings.model_copy(
        update={"kannel_reply_mode": "sendsms", "kannel_dlr_url": DLR_BASE}
    )
    return runtime


@pytest.fixture
def client(sendsms_runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime=sendsms_runtime), client=("127.0.0.1", 50000))


def sender(runtime: Runtime, answer: Callable[[httpx.Request], httpx.Response]) -> KannelSender:
    transport = httpx.MockTransport(answer)
    return KannelSender(runtime.uow_factory, runtime.settings, httpx.Client(transport=transport))


def the_reply(runtime: Runtime) -> OutboundMessageRow:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (row,) = uow.session.scalars(select(OutboundMessageRow)).all()
        uow.session.expunge(row)
        return row


def dlr(client: TestClient, reply_id: int, kind: int, answer: str = "") -> httpx.Response:
    params = {"token": KANNEL_TOKEN, "reply": str(reply_id), "type": str(kind), "answer": answer}
    return client.get("/v1/kannel/dlr", params=params)


def test_accepted_reply_is_sent_then_delivered(
    client: TestClient, sendsms_runtime: Runtime
) -> None:
    calls: list[httpx.Request] = []

    def kannel(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    mo(client, "IWJZS 2")
    assert sender(sendsms_runtime, kannel).send_due() == 1
    (call,) = calls
    query = {k: v[0] for k, v in parse_qs(urlsplit(str(call.url)).query).items()}
    row = the_reply(sendsms_runtime)
    assert (query["to"], query["from"], query["text"]) == (MSISDN, "10086", row.text)
    assert (query["coding"], query["charset"], query["dlr-mask"]) == ("2", "UTF-8", "31")
    assert query["dlr-url"].startswith(f"{DLR_BASE}?reply={row.id}&token=")
    assert row.state == "sent"

    assert dlr(client, row.id, 8, "ACK/").status_code == 200  # SMSC accepted: still sent
    assert the_reply(sendsms_runtime).state == "sent"
    assert dlr(client, row.id, 1).status_code == 200
    assert the_reply(sendsms_runtime).state == "delivered"


def test_smsc_reject_fails_the_reply(client: TestClient, sendsms_runtime: Runtime) -> None:
    mo(client, "CXYE")
    sender(sendsms_runtime, lambda r: httpx.Response(202, text="0: Accepted")).send_due()
    row_id = the_reply(sendsms_runtime).id
    dlr(client, row_id, 16, "NACK/0x00000045/Submit failed")
    row = the_reply(sendsms_runtime)
    assert row.state == "failed" and "NACK/0x00000045" in (row.last_error or "")


def test_dlr_before_the_202_is_applied_when_it_comes(
    client: TestClient, sendsms_runtime: Runtime
) -> None:
    mo(client, "CXYE")
    row_id = the_reply(sendsms_runtime).id

    def kannel(request: httpx.Request) -> httpx.Response:
        dlr(client, row_id, 1)  # the report overtakes sendsms's answer
        return httpx.Response(202, text="0: Accepted")

    sender(sendsms_runtime, kannel).send_due()
    assert the_reply(sendsms_runtime).state == "delivered"


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(503, text="Sender queue full"),
        lambda r: httpx.Response(403, text="Authorization failed for sendsms"),
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")),
    ],
)
def test_unavailable_kannel_is_retried_with_backoff(
    client: TestClient, sendsms_runtime: Runtime, answer: Callable
) -> None:
    mo(client, "CXYE")
    sender(sendsms_runtime, answer).send_due()
    row = the_reply(sendsms_runtime)
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.next_attempt_at is not None and row.next_attempt_at > utc_now()
    assert row.last_error
    # Not due yet: a second pass sends nothing.
    assert sender(sendsms_runtime, lambda r: httpx.Response(202)).send_due() == 0


def test_refused_request_fails_for_good(client: TestClient, sendsms_runtime: Runtime) -> None:
    mo(client, "CXYE")
    sender(sendsms_runtime, lambda r: httpx.Response(400, text="Missing receiver")).send_due()
    row = the_reply(sendsms_runtime)
    assert row.state == "failed" and "Missing receiver" in (row.last_error or "")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"reply": "x", "type": "1"}, "reply"), ({"type": "1"}, "reply"),
     ({"reply": "1", "type": "3"}, "type"), ({"reply": "1"}, "type")],
)  # fmt: skip
def test_malformed_dlr_gets_400(client: TestClient, params: dict[str, str], field: str) -> None:
    response = client.get("/v1/kannel/dlr", params={"token": KANNEL_TOKEN, **params})
    assert response.status_code == 400 and response.json()["detail"].startswith(f"{field}:")


def test_dlr_needs_the_token(client: TestClient) -> None:
    assert client.get("/v1/kannel/dlr", params={"reply": "1", "type": "1"}).status_code == 401


def test_no_call_starts_that_could_outlive_the_claim(
    client: TestClient, sendsms_runtime: Runtime
) -> None:
    mo(client, "CXYE")
    sendsms_runtime.settings = sendsms_runtime.settings.model_copy(
        update={"kannel_sendsms_timeout": 30.0, "outbox_claim_lease": 10.0}
    )
    calls: list[httpx.Request] = []
    slow = sender(sendsms_runtime, lambda r: calls.append(r) or httpx.Response(202))
    assert slow.send_due() == 1 and calls == []
    row = the_reply(sendsms_runtime)
    assert row.state == "queued" and row.next_attempt_at is not None  # back after the lease
