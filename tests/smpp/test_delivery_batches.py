"""A batch of deliver_sm: each gets its own deliver_sm_resp status, whatever the others do."""

from __future__ import annotations

from typing import Any

import pytest

from app.gateways.smpp import pdus
from app.gateways.smpp.gateway import Arrival, SmppGateway
from app.runtime import Runtime
from app.services.inbound import OutboxClaim
from app.services.outbox import claim_replies
from app.settings import SmppBind

pytestmark = pytest.mark.usefixtures("catalog")


def deliver_sm(sequence: int, source: str, text: str, **fields: Any) -> Any:
    frame = pdus.build(
        "deliver_sm", sequence, source_addr=source, destination_addr="10086",
        short_message=text.encode(), data_coding=0, **fields,
    )  # fmt: skip
    return pdus.parse(frame)


def test_a_deliver_sm_that_fails_to_be_sorted_out_is_asked_for_again_alone(
    runtime: Runtime, add_subscriber: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscriber("13800138000")
    bind = SmppBind(name="main", host="127.0.0.1", system_id="smshall")
    deliveries = SmppGateway(runtime, [bind]).deliveries
    assert deliveries.ussd is not None

    def broken(*args: Any) -> Any:
        raise RuntimeError("USSD store unavailable")

    monkeypatch.setattr(deliveries.ussd, "handle", broken)
    batch = [
        ("main", deliver_sm(1, "13800138000", "CXYE")),
        ("main", deliver_sm(2, "13800138000", "*10086#", service_type="USSD", ussd_service_op=1)),
        ("main", deliver_sm(3, "13800138000", "HELP")),
    ]
    statuses = [h.status for h in deliveries.handle_many(batch)]
    assert statuses == [pdus.ROK, pdus.RX_T_APPN, pdus.ROK]


def test_a_long_mo_answered_at_its_ttl_leaves_its_reply_to_the_poll(
    runtime: Runtime, add_subscriber: Any
) -> None:
    """No deliver_sm batch hands that reply to the sender, so it must not be claimed
    for it (it would wait out the lease): it stays queued for the poll."""
    add_subscriber("13800138000")
    fast = Runtime(
        runtime.settings.model_copy(update={"smpp_concat_ttl": 0.0}),
        runtime.engine,
        runtime.sessions,
    )
    bind = SmppBind(name="main", host="127.0.0.1", system_id="smshall")
    deliveries = SmppGateway(fast, [bind]).deliveries
    deliveries.claim = lambda: OutboxClaim("smpp", "gateway-1", lease=120)
    part = deliver_sm(1, "13800138000", "CX", esm_class=0x40)
    part.short_message = bytes([5, 0, 3, 7, 2, 1]) + b"CX"  # part 1 of 2; part 2 never comes
    assert [h.status for h in deliveries.handle_many([("main", part)])] == [pdus.ROK]
    deliveries.expire_parts()
    [taken] = claim_replies(runtime.uow_factory, "smpp", "poller", limit=10, lease=60)
    assert taken.msisdn == "13800138000"


class RecordingSession:
    """A link that records what the gateway does, in order."""

    closed_at = None

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def respond(self, pdu: Any, response: str, status: int) -> bool:
        self.events.append(f"resp #{pdu.sequence}")
        return True


def test_an_mo_is_answered_and_its_reply_handed_over_before_the_batch_s_receipts(
    runtime: Runtime, add_subscriber: Any
) -> None:
    """The deliver_sm_resp first, so the dedupe knows the MO was answered before its
    reply can reach the handset (whose next MO may be the same text); then the
    reply; the batch's receipts are written after both."""
    add_subscriber("13800138000")
    bind = SmppBind(name="main", host="127.0.0.1", system_id="smshall")
    gateway = SmppGateway(runtime, [bind])
    events: list[str] = []
    session = RecordingSession(events)
    gateway.deliveries.claim = lambda: OutboxClaim("smpp", "gateway-1", lease=120)
    gateway.on_replies_claimed = lambda replies: events.append(f"hand over {len(replies)}")
    receipt = deliver_sm(
        2, "13800138000", "id:00000001 sub:001 dlvrd:001 stat:DELIVRD err:000", esm_class=0x04
    )
    arrivals = [
        Arrival(gateway.connections[0], session, receipt, "deliver_sm_resp"),  # type: ignore[arg-type]
        Arrival(gateway.connections[0], session, deliver_sm(1, "13800138000", "CXYE"), "deliver_sm_resp"),  # type: ignore[arg-type]
    ]  # fmt: skip
    gateway._deliver(arrivals)
    assert events == ["resp #1", "hand over 1", "resp #2"]
