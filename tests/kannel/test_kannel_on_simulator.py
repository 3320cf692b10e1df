"""End to end over SMPP: the simulator (SMSC) ⇄ a real Kannel bound to it as a transceiver
⇄ the service. An MO injected through the simulator's control API reaches bearerbox as
`deliver_sm`, smsbox hands it to `/v1/kannel/mo`, and the reply comes back to the
simulator as `submit_sm` (UCS-2, split and UDH-concatenated by Kannel, reassembled by
the simulator).

In `sendsms` mode the service asks for a report (`dlr-mask`/`dlr-url`), so Kannel
submits with `registered_delivery` (on the first part of a split message only), the
simulator sends a receipt for it, and the report returns to `/v1/kannel/dlr`: the
reply becomes `delivered`. In `body` mode the
reply is smsbox's own and Kannel 1.4.5 has no `dlr-mask` for an `sms-service` (only the
`X-Kannel-DLR-*` answer headers, which the service does not send), so no receipt is
asked for; the test pins that.

Everything listens on 127.0.0.1; every wait is bounded; Kannel, the simulator and the
service are stopped in teardown.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.cli import DEMO_DIR
from app.runtime import Runtime
from app.services.importing import import_subscribers, import_usage
from app.store.models import InboundMessageRow, OutboundMessageRow
from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread
from tests.kannel.conftest import KANNEL_TOKEN
from tests.kannel.real_kannel import (
    BEARERBOX,
    SMSBOX,
    Kannel,
    SmppSmsc,
    boxes_installed,
    free_port,
    kannel_marks,
    log_tails,
    running,
    serving,
    wait_until,
)

pytestmark = kannel_marks(
    boxes_installed(),
    f"Kannel is not installed ({BEARERBOX} / {SMSBOX} missing; Debian's `kannel`)",
)

SYSTEM_ID, PASSWORD = "kannel", "kpass8"  # SMPP 3.4: password ≤ 8 octets
DEMO_MSISDN = "13800138000"  # app/demo/subscribers.csv: GoTone gold since 2015, ¥86.50
# The simulator marks every MO source_addr as international (TON 1), so the handset
# must be given with its country code: as "13800138000" Kannel would make it
# "+13800138000", which is no Chinese number (the service answers 400).
HANDSET = "86" + DEMO_MSISDN
REPLY_WAIT = 15.0
UCS2 = 8
UCS2_CHARS_PER_PART = 67  # 140 octets less Kannel's 6-octet UDH (05 00 03 ref total seq)


class Simulator:
    """The project's SMSC simulator in a thread, and its control API."""

    def __init__(self) -> None:
        scenario = {
            "accounts": [{"system_id": SYSTEM_ID, "password": PASSWORD}],
            "receipts": {"delay": 0.05},
            "enquire_link_interval": 30.0,
            "seed": 1234,
        }
        self.thread = SimulatorThread(from_dict(scenario)).start()
        self.http = httpx.Client(base_url=self.thread.http_url, timeout=REPLY_WAIT + 5)

    def api(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, path, **kw)
        assert response.status_code < 400, (response.status_code, response.text)
        return response.json()

    def kannel_bound(self) -> bool:
        binds = self.api("GET", "/api/binds")["binds"]
        return any(
            b["system_id"] == SYSTEM_ID and b["mode"] == "transceiver" and b["state"] == "bound"
            for b in binds
        )

    def send_mo(self, msisdn: str, text: str) -> int:
        """Inject an MO; the MT cursor to wait after."""
        return self.api("POST", "/api/mo", json={"from": msisdn, "to": "10086", "text": text})[
            "mt_cursor"
        ]

    def mt_to(self, numbers: set[str], after: int, timeout: float = REPLY_WAIT) -> dict[str, Any]:
        """The first complete MT to any of `numbers` after the cursor (long-polled, bounded)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            params = {"after": after, "wait": round(min(left, 10.0), 2)}
            found = self.api("GET", "/api/mt", params=params)
            for mt in found["mt"]:
                if mt["to"] in numbers and mt["complete"]:
                    return mt
            after = found["cursor"]
        raise AssertionError(f"no MT to {sorted(numbers)} within {timeout:.0f}s")

    def receipts_for(self, mt_id: str) -> list[dict[str, Any]]:
        return [r for r in self.api("GET", "/api/receipts")["receipts"] if r["mt_id"] == mt_id]

    def close(self) -> None:
        self.http.close()
        self.thread.stop()


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = Simulator()
    try:
        yield sim
    finally:
        sim.close()


@pytest.fixture(scope="module")
def kannel(tmp_path_factory: pytest.TempPathFactory, simulator: Simulator) -> Iterator[Kannel]:
    directory: Path = tmp_path_factory.mktemp("kannel-smpp")
    smsc = SmppSmsc(simulator.thread.smpp_port, SYSTEM_ID, PASSWORD)
    box = Kannel(directory, *(free_port() for _ in range(5)), token=KANNEL_TOKEN, smpp=smsc)
    with running(box):
        wait_until(simulator.kannel_bound, 15, "bearerbox bound to the simulator", box.logs)
        yield box


@pytest.fixture(params=["body", "sendsms"])
def service(request: pytest.FixtureRequest, kannel: Kannel, runtime: Runtime) -> Iterator[Runtime]:
    """The service on Kannel's get-url port, in one reply mode, on the test database."""
    with serving(runtime, kannel, request.param) as served:
        yield served


@pytest.fixture
def demo_subscribers(runtime: Runtime, catalog: None) -> None:
    import_subscribers(runtime.uow_factory, DEMO_DIR / "subscribers.csv")
    import_usage(runtime.uow_factory, DEMO_DIR / "usage.csv")


def recorded(
    runtime: Runtime, msisdn: str, text: str
) -> tuple[InboundMessageRow, OutboundMessageRow]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (inbound,) = uow.session.scalars(
            select(InboundMessageRow).where(
                InboundMessageRow.msisdn == msisdn, InboundMessageRow.text == text
            )
        ).all()
        (reply,) = uow.messages.replies_to(inbound.id)
        uow.session.expunge_all()
        return inbound, reply


def round_trip(
    simulator: Simulator, kannel: Kannel, runtime: Runtime, text: str
) -> tuple[dict[str, Any], InboundMessageRow, OutboundMessageRow]:
    """Send `text` from the demo handset; the MT the simulator got back, and the rows."""
    cursor = simulator.send_mo(HANDSET, text)
    try:
        mt = simulator.mt_to({HANDSET, DEMO_MSISDN}, cursor)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{log_tails(kannel.logs)}") from None
    inbound, reply = recorded(runtime, DEMO_MSISDN, text)
    assert (inbound.gateway, inbound.short_code) == ("kannel", "10086")
    assert len(inbound.gateway_message_id) == 36  # Kannel's %I, a UUID

    # What reached the handset is the service's reply: UCS-2, reassembled if Kannel split it.
    # body: Kannel answers the MO's sender (+86…, sent as TON 1 without the +);
    # sendsms: the service's national form.
    body = runtime.settings.kannel_reply_mode == "body"
    assert reply.channel == ("http_response" if body else "kannel")
    assert (mt["from"], mt["to"]) == (reply.sender, HANDSET if body else DEMO_MSISDN)
    assert reply.sender == "10086"
    assert mt["text"] == reply.text
    assert mt["data_coding"] == UCS2
    assert mt["segments"] == -(-len(reply.text) // UCS2_CHARS_PER_PART)
    if mt["segments"] > 1:
        assert mt["concat"] == "udh8" and mt["esm_class"] & 0x40
    return mt, inbound, reply


def assert_receipts(
    simulator: Simulator, kannel: Kannel, runtime: Runtime, mt: dict[str, Any], mo_text: str
) -> None:
    """sendsms mode asked for a report; body mode cannot (see the module docstring)."""
    if runtime.settings.kannel_reply_mode == "body":
        assert mt["registered_delivery"] & 0x03 == 0
        assert simulator.receipts_for(mt["id"]) == []
        return
    assert mt["registered_delivery"] & 0x03 == 1  # Kannel: dlr-mask 31 → "always"

    def receipts_sent() -> list[dict[str, Any]]:
        return [r for r in simulator.receipts_for(mt["id"]) if r["sent"]]

    wait_until(lambda: bool(receipts_sent()), REPLY_WAIT, "a receipt sent", kannel.logs)

    def delivered() -> bool:
        return recorded(runtime, DEMO_MSISDN, mo_text)[1].state == "delivered"

    wait_until(delivered, REPLY_WAIT, "the DLR made the reply delivered", kannel.logs)
    # Kannel 1.4.5 sets registered_delivery on the first part of a split message only
    # (the wire capture shows 0x11, then 0x00), so one receipt answers for all of it.
    (receipt,) = receipts_sent()
    assert receipt["message_id"] == mt["message_ids"][0]
    assert (receipt["stat"], receipt["err"], receipt["to"]) == ("DELIVRD", 0, DEMO_MSISDN)
    assert receipt["ack"] == 0  # Kannel acknowledged the deliver_sm


@pytest.mark.usefixtures("demo_subscribers")
def test_activation_reply_and_receipt_over_smpp(
    simulator: Simulator, kannel: Kannel, service: Runtime
) -> None:
    mt, inbound, reply = round_trip(simulator, kannel, service, "IWJZS 2")
    assert inbound.outcome == "activated"
    assert reply.text.startswith("【我家免费体验】") and "9个月" in reply.text
    assert mt["segments"] > 1  # long enough that Kannel had to split it
    assert_receipts(simulator, kannel, service, mt, "IWJZS 2")


@pytest.mark.usefixtures("demo_subscribers")
def test_balance_query_over_smpp(simulator: Simulator, kannel: Kannel, service: Runtime) -> None:
    mt, _, reply = round_trip(simulator, kannel, service, "CXYE")
    assert "余额为86.50元" in reply.text
    assert_receipts(simulator, kannel, service, mt, "CXYE")
