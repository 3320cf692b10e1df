"""The service against the project's SMSC simulator (gateway_sim), over SMPP only.

The simulator is written independently of the gateway: its own codec,
segmentation and receipts. A long Chinese MO goes in through its control API;
the reply must come back to the handset, and its receipt must mark it delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from app.gateways.smpp.service import SmppService
from app.runtime import Runtime
from app.settings import SmppBind
from app.store.models import InboundMessageRow, OutboundMessageRow
from app.store.unit_of_work import UnitOfWork
from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread
from tests.support.polling import eventually

SUBSCRIBER = "13800138000"


@pytest.fixture
def simulator() -> Iterator[tuple[SimulatorThread, httpx.Client]]:
    scenario = from_dict({"receipts": {"delay": 0.05, "id_format": "dec"}, "seed": 7})
    thread = SimulatorThread(scenario).start()
    client = httpx.Client(base_url=thread.http_url, timeout=15)
    yield thread, client
    client.close()
    thread.stop()


@pytest.fixture
def service(
    runtime: Runtime, simulator: tuple[SimulatorThread, httpx.Client]
) -> Iterator[SmppService]:
    thread, _ = simulator
    bind = SmppBind(
        name="sim", host="127.0.0.1", port=thread.smpp_port, system_id="smshall",
        password=SecretStr("secret"), mode="rx+tx", tps=0, reconnect_base=0.05,
    )  # fmt: skip
    settings = runtime.settings.model_copy(
        update={"smpp_binds": [bind], "outbox_poll_interval": 0.05, "outbox_retry_base": 0.05}
    )
    svc = SmppService(Runtime(settings, runtime.engine, runtime.sessions))
    svc.start()
    eventually(lambda: svc.health()["bound"] == 2, "receiver and transmitter bound")
    yield svc
    svc.stop()


def latest_reply(uow_factory: Callable[[], UnitOfWork]) -> OutboundMessageRow | None:
    with uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.scalar(select(OutboundMessageRow).order_by(OutboundMessageRow.id.desc()))
        uow.session.expunge_all()
        return row


def test_long_chinese_mo_is_answered_through_the_simulator(
    service: SmppService,
    simulator: tuple[SimulatorThread, httpx.Client],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    _, client = simulator
    text = "请问我这个月的话费还剩多少，另外流量套餐还有多少没有用完，谢谢您的帮助" * 3
    body: dict[str, Any] = {"from": SUBSCRIBER, "to": "10086", "text": text}
    response = client.post("/api/mo", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["segments"] >= 2
    reply = eventually(lambda: latest_reply(uow_factory), "a queued reply")
    mt = client.get("/api/mt", params={"to": SUBSCRIBER, "wait": 10}).json()["mt"]
    assert mt, "no MT reached the handset"
    assert mt[-1]["text"] == reply.text
    eventually(lambda: latest_reply(uow_factory).state == "delivered", "delivered")  # type: ignore[union-attr]
    with uow_factory() as uow:
        assert uow.session is not None
        [inbound] = uow.session.scalars(select(InboundMessageRow)).all()
        assert inbound.text == text and inbound.gateway == "smpp:sim"
