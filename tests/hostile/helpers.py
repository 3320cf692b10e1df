"""Shared by the hostile-input tests: a client that shows a 500 as a response,
an SMPP deliveries handler, and what a test needs to see in the store."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.gateways.smpp import pdus
from app.gateways.smpp.deliveries import Deliveries
from app.gateways.smpp.gateway import SmppGateway
from app.main import create_app
from app.runtime import Runtime
from app.settings import SmppBind
from app.store.models import InboundMessageRow, OutboundMessageRow
from tests.conftest import auth
from tests.support import store

MSISDN = "13800138000"


def raw_client(runtime: Runtime) -> TestClient:
    """No lifespan, and a server error is a 500 response rather than a raise."""
    return TestClient(
        create_app(runtime=runtime), client=("127.0.0.1", 50000), raise_server_exceptions=False
    )


def post_mo(client: TestClient, text: str, message_id: str, **fields: Any) -> Any:
    body = {"from": MSISDN, "to": "10086", "text": text, "message_id": message_id, **fields}
    return client.post("/v1/mo", json=body, headers=auth())


def deliveries(runtime: Runtime) -> Deliveries:
    bind = SmppBind(name="main", host="127.0.0.1", system_id="smshall")
    return SmppGateway(runtime, [bind]).deliveries


def deliver_sm(
    sequence: int, text: str, source: str = MSISDN, destination: str = "10086", **fields: Any
) -> Any:
    """A deliver_sm as an SMSC sends it: UCS-2 unless told otherwise."""
    fields.setdefault("data_coding", 8)
    body = (
        text.encode("utf-16-be", "surrogatepass") if fields["data_coding"] == 8 else text.encode()
    )
    frame = pdus.build(
        "deliver_sm", sequence, source_addr=source, destination_addr=destination,
        short_message=body, **fields,
    )  # fmt: skip
    return pdus.parse(frame)


def count(runtime: Runtime, model: type = InboundMessageRow) -> int:
    return store.count(runtime.uow_factory, model)


def outbox(runtime: Runtime) -> list[OutboundMessageRow]:
    return rows(runtime, OutboundMessageRow)


def rows(runtime: Runtime, model: Any) -> list[Any]:
    """Every row of a table, oldest first, detached."""
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        found = list(uow.session.scalars(select(model).order_by(model.id)))
        uow.session.expunge_all()
        return found
