"""The SMPP gateway end to end over real sockets: fake SMSC -> binds -> database -> outbox.

Runs on each database backend. MO to handle_inbound with deliver_sm_resp after
commit, redelivered MO acted on once, long Chinese MO and MT, throttling,
permanent and temporary errors, receipts before and after the response, a
connection killed mid-window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func

from app.domain.sms_coding import decode
from app.gateways.links.concatenation import part_info_from_udh, split_udh
from app.gateways.smpp.gateway import SmppGateway
from app.gateways.smpp.sender import SmppSender
from app.main import create_app
from app.runtime import Runtime
from app.services.clock import utc_now
from app.settings import SmppBind
from app.store.models import InboundMessageRow, OutboundMessageRow, OutboundPartRow
from app.store.unit_of_work import UnitOfWork
from tests.conftest import ADMIN_TOKEN
from tests.smpp.fake_smsc import FakeSmsc, tlv
from tests.support.polling import eventually
from tests.support.store import rows

SUBSCRIBER = "13800138000"


def bind_for(smsc: FakeSmsc, **overrides: Any) -> SmppBind:
    values: dict[str, Any] = dict(
        name="main", host="127.0.0.1", port=smsc.port, system_id="smshall",
        password=SecretStr("secret"), window=4, tps=0, response_timeout=2.0,
        reconnect_base=0.05, reconnect_max=0.2, throttle_pause=0.05,
    )  # fmt: skip
    values.update(overrides)
    return SmppBind(**values)


def smpp_runtime(runtime: Runtime, smsc: FakeSmsc, **settings: Any) -> Runtime:
    values: dict[str, Any] = dict(
        smpp_binds=[bind_for(smsc)], outbox_poll_interval=0.05, outbox_retry_base=0.05,
    )  # fmt: skip
    values.update(settings)
    return Runtime(runtime.settings.model_copy(update=values), runtime.engine, runtime.sessions)


@pytest.fixture
def start(runtime: Runtime, smsc: FakeSmsc) -> Iterator[Callable[..., SmppGateway]]:
    running: list[Any] = []

    def start_gateway(sender: bool = True, **settings: Any) -> SmppGateway:
        rt = smpp_runtime(runtime, smsc, **settings)
        gateway = SmppGateway(rt)
        gateway.start()
        running.append(gateway)
        if sender:
            outbox = SmppSender(rt.uow_factory, gateway, rt.settings)
            outbox.start()
            running.append(outbox)
        eventually(lambda: gateway.any_transmitter, "a bound transmitter")
        return gateway

    yield start_gateway
    for item in reversed(running):
        item.stop()


def queue_reply(uow_factory: Callable[[], UnitOfWork], text: str) -> int:
    now = utc_now()
    with uow_factory() as uow:
        assert uow.session is not None
        row = OutboundMessageRow(
            msisdn=SUBSCRIBER, sender="10086", text=text, channel="smpp", state="queued",
            attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.commit()
        return row.id


def reply_state(uow_factory: Callable[[], UnitOfWork], row_id: int) -> OutboundMessageRow:
    with uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(OutboundMessageRow, row_id)
        assert row is not None
        uow.session.expunge_all()
        return row


def mt_text(submits: list[Any]) -> str:
    """Reassemble what the SMSC received, checking the UDH on the way."""
    bodies = []
    for number, pdu in enumerate(submits, start=1):
        body = pdu.short_message
        if len(submits) > 1:
            assert pdu.esm_class & 0x40
            header, body = split_udh(body)
            info = part_info_from_udh(header)
            assert info is not None and (info.number, info.total) == (number, len(submits))
        bodies.append(body)
    return decode(b"".join(bodies), submits[0].data_coding)


def test_mo_is_answered_after_commit_and_receipt_delivers(
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
    catalog: None,
    add_subscriber: Callable[..., int],
) -> None:
    add_subscriber(SUBSCRIBER)
    smsc.receipts = "after"
    start()
    sequence = smsc.deliver(
        source_addr="86" + SUBSCRIBER, destination_addr="10086", short_message=b"CXYE"
    )
    eventually(lambda: sequence in smsc.deliver_resps, "deliver_sm_resp")
    assert smsc.deliver_resps[sequence] == 0
    [inbound] = rows(uow_factory, InboundMessageRow)  # committed before the resp went out
    assert (inbound.gateway, inbound.msisdn, inbound.text) == ("smpp:main", SUBSCRIBER, "CXYE")
    [reply] = rows(uow_factory, OutboundMessageRow)
    assert reply.channel == "smpp"
    eventually(lambda: reply_state(uow_factory, reply.id).state == "delivered", "delivered")
    assert mt_text(smsc.submits) == reply.text
    assert smsc.submits[0].destination_addr.decode() == SUBSCRIBER
    assert smsc.submits[0].registered_delivery == 1
    [part] = rows(uow_factory, OutboundPartRow)
    assert part.receipt_stat == "DELIVRD"


def test_mo_with_a_tlv_deliver_sm_does_not_declare_is_acknowledged_and_answered(
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
    catalog: None,
    add_subscriber: Callable[..., int],
) -> None:
    add_subscriber(SUBSCRIBER)
    start()
    # dest_addr_subunit 0x0005 (SMPP 3.4 §5.3.2.1): standard, but not one smpplib's
    # DeliverSM declares; an optional parameter the ESME does not expect is ignored.
    sequence = smsc.deliver_with_tlvs(
        tlv(0x0005, b"\x01"), source_addr=SUBSCRIBER, destination_addr="10086",
        short_message=b"CXYE",
    )  # fmt: skip
    eventually(lambda: sequence in smsc.deliver_resps, "deliver_sm_resp")
    assert smsc.deliver_resps[sequence] == 0
    assert not smsc.received("generic_nack")
    [inbound] = rows(uow_factory, InboundMessageRow)
    assert inbound.text == "CXYE"
    [reply] = rows(uow_factory, OutboundMessageRow)
    eventually(lambda: reply_state(uow_factory, reply.id).state == "sent", "answered")
    assert mt_text(smsc.submits) == reply.text


def test_redelivered_mo_is_acted_on_once(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start(sender=False)
    fields = dict(source_addr=SUBSCRIBER, destination_addr="10086", short_message=b"HELP")
    first = smsc.deliver(**fields)
    eventually(lambda: first in smsc.deliver_resps)
    # The SMSC did not see that response: it drops the link and delivers again.
    smsc.bound_links()[0].kill()
    eventually(lambda: smsc.bound_links(), "rebound")
    second = smsc.deliver(**fields)
    eventually(lambda: second in smsc.deliver_resps)
    assert smsc.deliver_resps[second] == 0
    assert len(rows(uow_factory, InboundMessageRow)) == 1
    assert len(rows(uow_factory, OutboundMessageRow)) == 1


def test_same_text_again_after_a_delivered_answer_is_a_new_message(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start(sender=False)
    for _ in range(2):
        seq = smsc.deliver(source_addr=SUBSCRIBER, destination_addr="10086", short_message=b"HELP")
        eventually(lambda seq=seq: seq in smsc.deliver_resps)
    assert len(rows(uow_factory, InboundMessageRow)) == 2


def test_redelivered_part_of_an_answered_long_mo_starts_nothing(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start(sender=False, smpp_concat_ttl=0.5)
    sequences = []
    for number in (1, 2):
        header = bytes([5, 0, 3, 9, 2, number])
        sequences.append(
            smsc.deliver(
                source_addr=SUBSCRIBER,
                destination_addr="10086",
                esm_class=0x40,
                short_message=header + b"part %d" % number,
            )  # fmt: skip
        )
    eventually(lambda: all(s in smsc.deliver_resps for s in sequences))
    again = smsc.deliver(
        source_addr=SUBSCRIBER, destination_addr="10086", esm_class=0x40,
        short_message=bytes([5, 0, 3, 9, 2, 1]) + b"part 1",
    )  # fmt: skip
    eventually(lambda: again in smsc.deliver_resps)
    time.sleep(1.6)  # past the TTL and the next expiry tick: nothing half-assembled answers
    assert [r.text for r in rows(uow_factory, InboundMessageRow)] == ["part 1part 2"]


def test_a_different_tp_mr_is_a_new_message(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start(sender=False)
    for reference in (1, 2):
        seq = smsc.deliver(
            source_addr=SUBSCRIBER, destination_addr="10086", short_message=b"HELP",
            user_message_reference=reference,
        )  # fmt: skip
        eventually(lambda seq=seq: seq in smsc.deliver_resps)
    assert len(rows(uow_factory, InboundMessageRow)) == 2


@pytest.mark.parametrize("how", ["udh8", "udh16", "sar"])
def test_long_chinese_mo_out_of_order(
    how: str,
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    start(sender=False)
    text = "我想查询一下本月的话费余额和套餐使用情况" * 5  # 100 characters: two UCS-2 parts
    data = text.encode("utf-16-be")
    chunks = [data[:134], data[134:]]
    sequences = []
    for number in (2, 1):
        fields: dict[str, Any] = dict(
            source_addr=SUBSCRIBER, destination_addr="10086", data_coding=8
        )
        if how == "sar":
            fields.update(
                short_message=chunks[number - 1], sar_msg_ref_num=300,
                sar_total_segments=2, sar_segment_seqnum=number,
            )  # fmt: skip
        else:
            header = (
                bytes([5, 0, 3, 77, 2, number])
                if how == "udh8"
                else bytes([6, 8, 4, 1, 44, 2, number])
            )
            fields.update(esm_class=0x40, short_message=header + chunks[number - 1])
        sequences.append(smsc.deliver(**fields))
    eventually(lambda: all(s in smsc.deliver_resps for s in sequences))
    [inbound] = eventually(lambda: rows(uow_factory, InboundMessageRow))
    assert inbound.text == text


@pytest.mark.parametrize("mode", ["udh8", "udh16", "sar", "payload"])
def test_long_chinese_mt(
    mode: str,
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    start(smpp_long_messages=mode)
    text = "【话费查询】尊敬的客户，您好！" * 10 + "😀"
    row_id = queue_reply(uow_factory, text)
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent", "sent")
    submits = smsc.submits
    assert {p.data_coding for p in submits} == {8}
    if mode == "payload":
        [pdu] = submits
        assert decode(pdu.message_payload, 8) == text
    elif mode == "sar":
        assert [p.sar_segment_seqnum for p in submits] == [1, 2, 3]
        assert decode(b"".join(p.short_message for p in submits), 8) == text
    else:
        assert len(submits) == 3
        assert mt_text(submits) == text
        first_header = split_udh(submits[0].short_message)[0]
        assert first_header[0] == (0x08 if mode == "udh16" else 0x00)
    assert len(rows(uow_factory, OutboundPartRow)) == len(submits)


def test_throttled_submit_is_retried_first_on_the_same_attempt(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.submit_statuses.extend([0x58, 0x14])
    gateway = start()
    row_id = queue_reply(uow_factory, "Balance: 10 yuan")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent", "sent")
    row = reply_state(uow_factory, row_id)
    assert row.attempts == 1 and len(smsc.submits) == 1
    assert len(smsc.received("submit_sm")) == 3
    assert gateway.connections[0].counters["submit_throttled"] == 2


def test_permanent_error_fails_the_reply(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.submit_statuses.append(0x0B)
    start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "failed", "failed")
    row = reply_state(uow_factory, row_id)
    assert (row.last_status, row.error_kind, row.attempts) == (0x0B, "permanent", 1)


def test_temporary_error_is_retried_later(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.submit_statuses.append(0x08)
    start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent", "sent on retry")
    row = reply_state(uow_factory, row_id)
    assert row.attempts == 2 and row.error_kind is None


def test_submit_sm_resp_with_tlvs_marks_the_reply_sent_once_with_its_id(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    # SMPP 5.0 §4.2.5 lets submit_sm_resp carry TLVs; a 3.4 ESME ignores them.
    smsc.response_tails["submit_sm_resp"] = tlv(0x0423, b"\x03\x00\x00") + tlv(
        0x001D, b"queued\x00"
    )
    gateway = start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent", "sent")
    time.sleep(2.5)  # past the response timer: a second submit would have gone by now
    assert len(smsc.received("submit_sm")) == 1
    assert reply_state(uow_factory, row_id).state == "sent"
    [part] = rows(uow_factory, OutboundPartRow)
    assert part.gateway_message_id == "1000"  # the fake SMSC's first id
    assert gateway.connections[0].counters["submit_timeouts"] == 0


def test_accepted_submit_whose_response_body_is_unreadable_is_not_sent_again(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.response_tails["submit_sm_resp"] = b"\x04\x23\x00\x03\x03"  # a TLV cut short
    gateway = start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent", "sent")
    time.sleep(2.5)  # past the response timer: a second submit would have gone by now
    assert len(smsc.received("submit_sm")) == 1
    row = reply_state(uow_factory, row_id)
    assert (row.state, row.attempts) == ("sent", 1)
    [part] = rows(uow_factory, OutboundPartRow)
    assert part.gateway_message_id == ""  # accepted, id unknown: no receipt can match it
    counters = gateway.connections[0].counters
    assert counters["submit_ok_without_id"] == 1 and counters["submit_timeouts"] == 0


def test_a_long_reply_retried_after_a_part_is_refused_goes_on_from_that_part(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.receipts = "after"
    smsc.submit_statuses.extend([0, 0x08])  # part 1 accepted, part 2 ESME_RSYSERR (temporary)
    start()
    row_id = queue_reply(uow_factory, "x" * 200)  # two parts: 153 + 47 characters
    eventually(lambda: reply_state(uow_factory, row_id).state == "delivered", "delivered")
    infos = [part_info_from_udh(split_udh(p.short_message)[0]) for p in smsc.received("submit_sm")]
    # Part 1 once; part 2 refused, then sent again with the same reference.
    assert [(i.number, i.total) for i in infos if i is not None] == [(1, 2), (2, 2), (2, 2)]
    assert len({i.reference for i in infos if i is not None}) == 1
    assert mt_text(smsc.submits) == "x" * 200
    assert reply_state(uow_factory, row_id).attempts == 2
    parts = sorted(rows(uow_factory, OutboundPartRow), key=lambda p: p.part_no)
    # Each part keeps the id its acceptance gave (0x1001 went to the refusal).
    assert [(p.gateway_message_id, p.state) for p in parts] == [
        ("1000", "delivered"),
        ("1002", "delivered"),
    ]


@pytest.mark.parametrize("style", ["same", "decimal"])
def test_receipt_before_its_submit_sm_resp(
    style: str,
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    smsc.receipts = "before"
    smsc.receipt_id_style = style
    convention = "decimal_for_hex" if style == "decimal" else "same"
    start(smpp_binds=[bind_for(smsc).model_copy(update={"receipt_ids": convention})])
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "delivered", "delivered")


def test_failed_receipt_by_tlv(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent")
    [part] = rows(uow_factory, OutboundPartRow)
    smsc.deliver(
        source_addr=SUBSCRIBER, destination_addr="10086", esm_class=0x04,
        receipted_message_id=part.gateway_message_id.upper(), message_state=5,
    )  # fmt: skip
    eventually(lambda: reply_state(uow_factory, row_id).state == "failed", "failed")


def test_delivered_receipt_whose_id_tlv_lacks_its_nul(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent")
    [part] = rows(uow_factory, OutboundPartRow)
    message_id = part.gateway_message_id.encode()
    text = b"id:%s sub:001 dlvrd:001 submit date:2611230931 done date:2611230932 stat:DELIVRD"
    # receipted_message_id as the id's octets alone, no C-string NUL (seen from SMSCs).
    sequence = smsc.deliver_with_tlvs(
        tlv(0x001E, message_id) + tlv(0x0427, b"\x02"),
        source_addr=SUBSCRIBER, destination_addr="10086", esm_class=0x04,
        short_message=text % message_id,
    )  # fmt: skip
    eventually(lambda: sequence in smsc.deliver_resps)
    assert smsc.deliver_resps[sequence] == 0
    eventually(lambda: reply_state(uow_factory, row_id).state == "delivered", "delivered")


@pytest.mark.parametrize("stat", ["ENROUTE", "UNDELIV"])
def test_intermediate_notification_is_a_receipt_that_ends_nothing(
    stat: str,
    start: Callable[..., SmppGateway],
    smsc: FakeSmsc,
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    start()
    row_id = queue_reply(uow_factory, "hello")
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent")
    [part] = rows(uow_factory, OutboundPartRow)
    link = smsc.bound_links()[0]
    # esm_class 0x20 (SMPP 3.4 §5.2.12), as registered_delivery 0x10 asks for; the id in
    # the text only, as most SMSCs send it. Whatever its stat, the message is on its way.
    sequence = smsc.send_receipt(link, part.gateway_message_id, smsc.submits[0], stat, 0x20)
    eventually(lambda: sequence in smsc.deliver_resps)
    assert smsc.deliver_resps[sequence] == 0
    time.sleep(0.5)  # an MO would have been answered by now
    assert rows(uow_factory, InboundMessageRow) == []
    assert [r.id for r in rows(uow_factory, OutboundMessageRow)] == [row_id]
    assert reply_state(uow_factory, row_id).state == "sent"
    assert rows(uow_factory, OutboundPartRow)[0].receipt_stat == stat
    smsc.send_receipt(link, part.gateway_message_id, smsc.submits[0])
    eventually(lambda: reply_state(uow_factory, row_id).state == "delivered", "delivered")


def test_conversation_abort_is_acknowledged_and_not_answered(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    start()
    sequence = smsc.deliver(
        source_addr=SUBSCRIBER, destination_addr="10086", esm_class=0x18, short_message=b"HELP"
    )
    eventually(lambda: sequence in smsc.deliver_resps)
    assert smsc.deliver_resps[sequence] == 0
    time.sleep(0.5)  # an MO would have been answered by now
    assert rows(uow_factory, InboundMessageRow) == []
    assert rows(uow_factory, OutboundMessageRow) == []
    assert smsc.received("submit_sm") == []


def test_connection_killed_mid_window_resends_after_rebind(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    smsc.respond_to_submits = False
    start()
    ids = [queue_reply(uow_factory, f"reply {n}") for n in range(3)]
    eventually(lambda: len(smsc.received("submit_sm")) == 3, "three submits in flight")
    smsc.respond_to_submits = True
    unanswered = len(smsc.submits)
    smsc.bound_links()[0].kill()
    eventually(lambda: all(reply_state(uow_factory, i).state == "sent" for i in ids), "all sent")
    # Outcome unknown when the link died: each reply goes again on the new bind.
    resent = sorted(p.short_message for p in smsc.submits[unanswered:])
    assert resent == [b"reply 0", b"reply 1", b"reply 2"]


def test_pending_rows_go_out_after_a_restart(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, uow_factory: Callable[[], UnitOfWork]
) -> None:
    row_id = queue_reply(uow_factory, "queued while down")
    # A sender that claimed the row and died: its lease runs out.
    with uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(OutboundMessageRow, row_id)
        assert row is not None
        row.claimed_by, row.attempts = "dead-sender", 1
        row.next_attempt_at = utc_now() - timedelta(seconds=1)
        uow.commit()
    start()
    eventually(lambda: reply_state(uow_factory, row_id).state == "sent")
    assert reply_state(uow_factory, row_id).claimed_by is None


def test_binds_endpoint_and_health(runtime: Runtime, smsc: FakeSmsc) -> None:
    rt = smpp_runtime(runtime, smsc)
    with TestClient(create_app(runtime=rt)) as client:
        eventually(lambda: smsc.bound_links(), "bound")
        assert client.get("/v1/smpp/binds").status_code == 401
        body = client.get(
            "/v1/smpp/binds", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ).json()
        [bind] = body["binds"]
        assert (bind["name"], bind["state"], bind["counters"]["binds"]) == ("main", "bound", 1)
        eventually(lambda: client.get("/health").json()["smpp"]["bound"] == 1)
        # What each writer's transactions carried: one reply sent, one sent mark.
        row_id = queue_reply(rt.uow_factory, "counted")
        eventually(lambda: reply_state(rt.uow_factory, row_id).state == "sent")
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        batches = client.get("/v1/smpp/binds", headers=admin).json()["write_batches"]
        assert batches["sent_marks"] == {"batches": 1, "items": 1}
        assert batches["mo"] == batches["acknowledgements"] == {"batches": 0, "items": 0}
    eventually(lambda: smsc.received("unbind"), "unbind on shutdown")


def test_no_binds_by_default(client: TestClient) -> None:
    assert "smpp" not in client.get("/health").json()
    with_count = func.count  # keeps the import used when nothing else needs it
    assert with_count is not None
