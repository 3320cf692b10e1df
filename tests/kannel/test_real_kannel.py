"""End to end through a real Kannel: handset (fakesmsc) → bearerbox → smsbox get-url → the
service → the reply (answer body, or sendsms) → the handset; in sendsms mode the DLR
comes back to `/v1/kannel/dlr` and the reply becomes `delivered`.

The UCS-2 MO reaches the service as raw UTF-16BE: this Kannel runs without `mo-recode`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from app.store.models import InboundMessageRow, OutboundMessageRow
from tests.kannel.conftest import KANNEL_TOKEN
from tests.kannel.real_kannel import (
    Handset,
    Kannel,
    free_port,
    installed,
    kannel_marks,
    running,
    serving,
    wait_until,
)

pytestmark = kannel_marks(
    installed(),
    "Kannel is not installed (scripts/ensure-services installs Debian's kannel "
    "and kannel-extras; here that was not possible)",
)

REPLY_WAIT = 15.0


@pytest.fixture(scope="module")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kannel]:
    directory: Path = tmp_path_factory.mktemp("kannel")
    box = Kannel(directory, *(free_port() for _ in range(5)), token=KANNEL_TOKEN)
    with running(box):
        yield box


@pytest.fixture(params=["body", "sendsms"])
def service(request: pytest.FixtureRequest, kannel: Kannel, runtime: Runtime) -> Iterator[Runtime]:
    """The service on Kannel's get-url port, in one reply mode, on the test database."""
    with serving(runtime, kannel, request.param) as served:
        yield served


def exchange(kannel: Kannel, msisdn: str, fakesmsc_mo: str) -> str:
    handset = Handset(kannel, f"{msisdn} 10086 {fakesmsc_mo}")
    try:
        return handset.reply_to(msisdn, REPLY_WAIT)
    finally:
        handset.close()


def recorded(runtime: Runtime, msisdn: str) -> tuple[InboundMessageRow, OutboundMessageRow]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (inbound,) = uow.session.scalars(
            select(InboundMessageRow).where(InboundMessageRow.msisdn == msisdn)
        ).all()
        (reply,) = uow.messages.replies_to(inbound.id)
        uow.session.expunge_all()
        return inbound, reply


def ucs2(text: str) -> str:
    return "ucs2 " + quote(text.encode("utf-16-be"), safe="")


CASES = [  # msisdn, what fakesmsc sends, the text the service must receive
    ("13800138001", "text IWJZS 2", "IWJZS 2"),
    ("13800138002", "text CXYE", "CXYE"),
    ("13800138003", ucs2("查 余额"), "查 余额"),  # not a command: the Chinese help answers
    ("13800138004", ucs2("余额"), "余额"),
    ("13800138005", "text kpost CXYE", "CXYE"),  # by post-url
]


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(("msisdn", "sent", "received"), CASES)
def test_reply_reaches_the_handset(
    kannel: Kannel,
    service: Runtime,
    add_subscriber: Callable,
    msisdn: str,
    sent: str,
    received: str,
) -> None:
    add_subscriber(msisdn, balance_fen=8650)
    got = exchange(kannel, msisdn, sent)
    inbound, reply = recorded(service, msisdn)
    assert (inbound.gateway, inbound.text, inbound.short_code) == ("kannel", received, "10086")
    assert len(inbound.gateway_message_id) == 36  # Kannel's %I, a UUID
    assert got == reply.text and any("\u4e00" <= ch <= "\u9fff" for ch in got)
    if received == "CXYE":
        assert "余额为86.50元" in got
    if service.settings.kannel_reply_mode == "body":
        assert reply.channel == "http_response"
        return
    assert reply.channel == "kannel"

    def delivered() -> bool:
        return recorded(service, msisdn)[1].state == "delivered"

    # fakesmsc's SMSC acknowledges (DLR 8) and reports delivery (DLR 1) at once.
    wait_until(delivered, REPLY_WAIT, "the DLR made the reply delivered", kannel.logs)
