"""`/health` in sendsms mode: 503 naming Kannel once its sendsms has taken no
reply for `SMSHALL_HEALTH_SENDSMS_GRACE` seconds, 200 again once it takes one.
Over real sockets: a port nothing listens on, then an HTTP server there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.gateways.http.kannel_sender import KannelSender
from app.main import create_app
from app.runtime import Runtime
from app.store.models import OutboundMessageRow
from tests.kannel.test_mo import mo
from tests.support.polling import eventually
from tests.support.ports import LOOPBACK, free_port

pytestmark = pytest.mark.usefixtures("catalog")


class Sendsms(BaseHTTPRequestHandler):
    """Kannel's sendsms as far as its status goes."""

    status = 202

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        body = b"0: Accepted for delivery" if self.status == 202 else b"refused"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def sendsms_answering(port: int, status: int) -> Iterator[None]:
    handler = type("Answering", (Sendsms,), {"status": status})
    server = ThreadingHTTPServer((LOOPBACK, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def port() -> Iterator[int]:
    yield free_port()


def sendsms_app(runtime: Runtime, port: int, grace: float) -> TestClient:
    settings = dict(
        kannel_reply_mode="sendsms", kannel_sendsms_url=f"http://{LOOPBACK}:{port}/cgi-bin/sendsms",
        kannel_sendsms_timeout=2.0, health_sendsms_grace=grace, outbox_poll_interval=0.05,
        outbox_retry_base=0.2, scheduled_interval=0,
    )  # fmt: skip
    return TestClient(create_app(runtime=runtime.with_settings(**settings)), client=(LOOPBACK, 1))


def test_unreachable_sendsms_makes_the_service_unhealthy_until_it_takes_a_reply(
    runtime: Runtime, add_subscriber: Callable, port: int
) -> None:
    add_subscriber("13800138000")
    with sendsms_app(runtime, port, grace=0) as client:
        assert client.get("/health").status_code == 200  # nothing sent yet: nothing failed
        assert mo(client, "CXYE").status_code == 200  # the reply waits for sendsms
        eventually(lambda: client.get("/health").status_code == 503, "unhealthy")
        (problem,) = client.get("/health").json()["problems"]
        assert problem.startswith("Kannel sendsms has taken no reply for ")
        assert "unreachable: ConnectError" in problem

        with sendsms_answering(port, 202):
            eventually(lambda: client.get("/health").status_code == 200, "healthy again", 20)


@pytest.mark.parametrize(("failing", "named"), [(29.9, False), (30.1, True)])
def test_the_grace_before_health_names_it(runtime: Runtime, failing: float, named: bool) -> None:
    sender = KannelSender(runtime.uow_factory, runtime.settings)
    sender.failing_since, sender.failing_why = time.monotonic() - failing, "HTTP 503"
    problem = sender.problem(grace=30.0)
    assert (problem is not None) is named
    if named:
        assert problem == "Kannel sendsms has taken no reply for 30 s (HTTP 503)"
    sender.client.close()


@pytest.mark.parametrize(
    ("status", "unhealthy"),
    [(400, False), (404, False), (403, True), (503, True), (500, True)],
)
def test_which_answers_refuse_every_reply(
    runtime: Runtime, add_subscriber: Callable, port: int, status: int, unhealthy: bool
) -> None:
    """A 4xx refuses one reply (a bad number, say): Kannel works. A refused login,
    503 and other 5xx refuse them all."""
    add_subscriber("13800138000")
    with sendsms_answering(port, status), sendsms_app(runtime, port, grace=0) as client:
        mo(client, "CXYE")
        eventually(lambda: runtime_reply_tried(runtime), "the reply tried")
        assert (client.get("/health").status_code == 503) is unhealthy


def runtime_reply_tried(runtime: Runtime) -> bool:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        return bool(uow.session.scalar(select(func.count()).where(OutboundMessageRow.attempts > 0)))
