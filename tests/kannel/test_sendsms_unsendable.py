"""A reply that can never become a sendsms request fails alone, at once
(issue 11, finding 5): before, httpx's InvalidURL escaped the sender, the row
was claimed again every lease forever and held up the rest of its batch."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.runtime import Runtime
from app.store.models import OutboundMessageRow
from tests.kannel.test_mo import mo
from tests.kannel.test_outbound import client, sender, sendsms_runtime  # noqa: F401

pytestmark = pytest.mark.usefixtures("catalog")


def states(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.scalars(select(OutboundMessageRow).order_by(OutboundMessageRow.id))
        return [(r.state, r.last_error or "") for r in rows]


def test_a_reply_past_the_url_limit_fails_alone(
    client: TestClient,  # noqa: F811
    sendsms_runtime: Runtime,  # noqa: F811
) -> None:
    mo(client, "CXYE", id="k-1")
    mo(client, "HELP", id="k-2")
    with sendsms_runtime.uow_factory() as uow:
        assert uow.session is not None
        first = uow.session.scalars(select(OutboundMessageRow).order_by(OutboundMessageRow.id))
        next(iter(first)).text = "余" * 30_000  # 270 KB once percent-encoded
        uow.commit()
    calls: list[httpx.Request] = []

    def kannel(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    kannel_sender = sender(sendsms_runtime, kannel)
    assert kannel_sender.send_due() == 2
    (failed, failed_error), (sent, _) = states(sendsms_runtime)
    assert (failed, sent) == ("failed", "sent") and "sendsms" in failed_error
    assert len(calls) == 1 and kannel_sender.counters["failed"] == 1
    assert kannel_sender.send_due() == 0  # nothing comes back
