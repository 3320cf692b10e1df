"""ESME sessions over real sockets against the fake SMSC: no database.

Bind failure and retry, SMSC-initiated unbind, dead links, generic_nack for
what cannot be read, a killed connection mid-window, clean unbind on stop.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from smpplib import smpp

from app.gateways.links.window import WindowClosed
from app.gateways.smpp.esme import BindState, EsmeConnection, NotBound
from app.settings import SmppBind
from tests.smpp.fake_smsc import FakeSmsc, tlv
from tests.support.polling import eventually


def bind_config(smsc: FakeSmsc, **overrides: Any) -> SmppBind:
    values: dict[str, Any] = dict(
        name="t",
        host="127.0.0.1",
        port=smsc.port,
        system_id="smshall",
        password=SecretStr("secret"),
        window=3,
        tps=0,
        enquire_link_interval=30,
        response_timeout=1.0,
        reconnect_base=0.05,
        reconnect_max=0.2,
        throttle_pause=0.05,
    )
    values.update(overrides)
    return SmppBind(**values)


@pytest.fixture
def connect(smsc: FakeSmsc) -> Iterator[Any]:
    started: list[EsmeConnection] = []
    seen: list[Any] = []

    def start(**overrides: Any) -> EsmeConnection:
        conn = EsmeConnection(bind_config(smsc, **overrides), "trx", lambda c, s, p: seen.append(p))
        conn.start()
        started.append(conn)
        return conn

    start.seen = seen  # type: ignore[attr-defined]
    yield start
    for conn in started:
        conn.stop()


def test_binds_as_transceiver(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    eventually(lambda: conn.bound, "bound")
    assert smsc.received("bind_transceiver")[0].interface_version == 0x34
    assert conn.view()["state"] == "bound"


def test_refused_bind_is_retried_with_backoff(smsc: FakeSmsc, connect: Any) -> None:
    smsc.refuse_binds = 2
    conn = connect()
    eventually(lambda: conn.bound, "bound after two refusals")
    assert smsc.bind_attempts == 3
    assert conn.counters["bind_refused"] == 2


def test_wrong_password_keeps_retrying_and_never_binds(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect(password=SecretStr("wrong"))
    eventually(lambda: smsc.bind_attempts >= 3, "three bind attempts")
    assert not conn.bound
    assert "0x0d" in conn.last_error


def test_smsc_unbind_is_answered_then_rebound(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links, "bound")
    sequence = smsc.request(link, "unbind")
    eventually(lambda: any(p.sequence == sequence for p in smsc.received("unbind_resp")))
    eventually(lambda: len(smsc.bound_links()) == 1 and smsc.bound_links()[0] is not link)
    eventually(lambda: conn.bound, "rebound")
    assert conn.counters["unbound_by_smsc"] == 1


def test_smsc_enquire_link_is_answered(smsc: FakeSmsc, connect: Any) -> None:
    connect()
    [link] = eventually(smsc.bound_links)
    sequence = smsc.request(link, "enquire_link")
    eventually(lambda: any(p.sequence == sequence for p in smsc.received("enquire_link_resp")))


def test_idle_link_sends_enquire_link_and_unanswered_means_reconnect(
    smsc: FakeSmsc, connect: Any
) -> None:
    conn = connect(enquire_link_interval=0.1, response_timeout=0.3)
    [link] = eventually(smsc.bound_links)
    eventually(lambda: smsc.received("enquire_link"), "an enquire_link")
    smsc.answer_enquire_link = False
    eventually(lambda: link.closed.is_set(), "the dead link dropped")
    smsc.answer_enquire_link = True
    eventually(lambda: conn.bound and smsc.bound_links(), "rebound")
    assert conn.counters["binds"] >= 2


@pytest.mark.parametrize(
    "tail",
    [tlv(0x001D, b"ok\x00"), b"\x00\x1d\x00"],  # a TLV; a TLV header cut short
    ids=["tlv", "unreadable"],
)
def test_enquire_link_resp_with_a_body_still_answers_the_probe(
    smsc: FakeSmsc, connect: Any, tail: bytes
) -> None:
    smsc.response_tails["enquire_link_resp"] = tail
    conn = connect(enquire_link_interval=0.1, response_timeout=0.5)
    [link] = eventually(smsc.bound_links)
    eventually(lambda: len(smsc.received("enquire_link")) >= 4, "several probes answered")
    assert not link.closed.is_set()
    assert conn.bound and conn.counters["binds"] == 1


def test_response_with_an_unreadable_body_ends_its_request_from_the_header(
    smsc: FakeSmsc, connect: Any
) -> None:
    conn = connect(response_timeout=3.0)
    eventually(lambda: conn.bound)
    fields = dict(source_addr="10086", destination_addr="13800138000", short_message=b"hi")
    smsc.submit_statuses.append(0x45)
    smsc.response_tails["submit_sm_resp"] = b"\x04"  # not even a TLV header
    started = time.monotonic()
    outcome = conn.submit(fields)
    assert time.monotonic() - started < 1.0  # the response, not the response timer
    assert (outcome.status, outcome.message_id, outcome.nack) == (0x45, "", False)
    assert conn.counters["unreadable_response"] == 1


def test_unknown_command_gets_generic_nack_and_reader_survives(
    smsc: FakeSmsc, connect: Any
) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links)
    link.send_raw(struct.pack(">LLLL", 16, 0x00000777, 0, 4242))
    nack = eventually(lambda: smsc.received("generic_nack"), "generic_nack")[0]
    assert (nack.sequence, nack.status) == (4242, 0x03)
    sequence = smsc.request(link, "enquire_link")
    eventually(lambda: any(p.sequence == sequence for p in smsc.received("enquire_link_resp")))
    assert conn.bound


@pytest.mark.parametrize(
    ("command_id", "body"),
    [
        (0x0000000B, b"SMSC\x00secret\x00"),  # outbind
        (0x00000008, b"\x00" + b"1000\x00" + b"\x01\x01" + b"10086\x00" + b"\x01\x01\x00"),
        (0x00000007, b"1000\x00\x01\x01" + b"10086\x00" + b"\x00\x00\x00\x00\x00"),
        (0x00000021, b"\x00\x01\x0110086\x00\x00"),  # submit_multi, cut short
    ],
    ids=["outbind", "cancel_sm", "replace_sm", "submit_multi"],
)
def test_a_command_an_esme_does_not_serve_gets_generic_nack_invalid_command_id(
    smsc: FakeSmsc, connect: Any, command_id: int, body: bytes
) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links)
    link.send_raw(struct.pack(">LLLL", 16 + len(body), command_id, 0, 4343) + body)
    nack = eventually(lambda: smsc.received("generic_nack"), "generic_nack")[0]
    assert (nack.sequence, nack.status) == (4343, 0x03)  # ESME_RINVCMDID
    sequence = smsc.request(link, "enquire_link")
    eventually(lambda: any(p.sequence == sequence for p in smsc.received("enquire_link_resp")))
    assert conn.bound and connect.seen == []  # type: ignore[attr-defined]


def test_unparsable_body_gets_generic_nack(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links)
    good = smpp.make_pdu(
        "deliver_sm", client=smsc.seq, source_addr="8613800138000", destination_addr="10086",
        short_message=b"CXYE",
    ).generate()  # fmt: skip
    # message_state TLV announcing one octet and carrying none
    body = good[16:] + b"\x04\x27\x00\x01"
    link.send_raw(struct.pack(">LLLL", 16 + len(body), 0x00000005, 0, 77) + body)
    nack = eventually(lambda: smsc.received("generic_nack"), "generic_nack")[0]
    assert nack.sequence == 77
    assert connect.seen == []  # type: ignore[attr-defined]
    assert conn.bound


def test_bad_command_length_gets_generic_nack(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links)
    link.send_raw(struct.pack(">LLLL", 8, 0x00000015, 0, 99))
    nack = eventually(lambda: smsc.received("generic_nack"))[0]
    assert (nack.sequence, nack.status) == (99, 0x02)
    eventually(lambda: conn.bound and smsc.bound_links() and smsc.bound_links()[0] is not link)


def test_submit_through_the_window_matched_by_sequence(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    eventually(lambda: conn.bound)
    fields = dict(source_addr="10086", destination_addr="13800138000", short_message=b"hi")
    outcomes = [conn.submit(fields) for _ in range(5)]
    assert [o.status for o in outcomes] == [0] * 5
    assert len({o.message_id for o in outcomes}) == 5


def test_killed_connection_fails_outstanding_submits(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect(response_timeout=5.0)
    eventually(lambda: conn.bound)
    smsc.respond_to_submits = False
    fields = dict(source_addr="10086", destination_addr="13800138000", short_message=b"hi")
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            conn.submit(fields)
        except (WindowClosed, NotBound) as error:
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    eventually(lambda: len(smsc.received("submit_sm")) == 3, "three submits in flight")
    assert conn.session is not None and conn.session.window.outstanding == 3
    smsc.bound_links()[0].kill()
    for t in threads:
        t.join(5)
    assert len(errors) == 3
    smsc.respond_to_submits = True
    eventually(lambda: conn.bound, "rebound")
    assert conn.submit(fields).status == 0


def test_throttled_status_pauses_the_bind(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect(throttle_pause=5.0)
    eventually(lambda: conn.bound)
    smsc.submit_statuses.append(0x58)
    fields = dict(source_addr="10086", destination_addr="13800138000", short_message=b"hi")
    assert conn.submit(fields).status == 0x58
    assert conn.bucket.paused and conn.view()["throttled"]


def test_stop_unbinds_and_waits_for_unbind_resp(smsc: FakeSmsc, connect: Any) -> None:
    conn = connect()
    [link] = eventually(smsc.bound_links)
    conn.stop()
    assert smsc.received("unbind")
    assert conn.state is BindState.STOPPED
    eventually(lambda: link.closed.is_set())
