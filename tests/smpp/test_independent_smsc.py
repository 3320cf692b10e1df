"""The service's SMPP gateway against an SMSC it shares no code with: node-smpp.

`SmppService` (binds and outbox sender, as `smshall` runs it) is bound over
real sockets on 127.0.0.1 to `independent_smsc/smsc.js`, an SMSC built on the
npm package `smpp` (farhadi/node-smpp, pinned in its package.json). That SMSC
frames, encodes and decodes PDUs with its own code, and reads the text and the
UDH of each submit_sm its own way (iconv for UCS-2): where a check compares
texts, it compares what node-smpp read with what the service stored.

Covered: binds with the configured credentials (transceiver, receiver plus
transmitter), a wrong password, refused binds retried with backoff, enquire_link
keep-alive, an MO answered by a submit_sm, unbind from the SMSC, a connection
killed with submits outstanding, ESME_RTHROTTLED, a long Chinese MO (UDH or SAR,
parts out of order) and its long Chinese reply in UCS-2 parts, receipts after and
before the submit_sm_resp. Every wait has a deadline of a few seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import pytest
from pydantic import SecretStr

from app.gateways.smpp.service import SmppService
from app.runtime import Runtime
from app.store.models import (
    ActivationRow,
    InboundMessageRow,
    OutboundMessageRow,
    OutboundPartRow,
    PendingReceiptRow,
)
from app.store.unit_of_work import UnitOfWork
from tests.smpp.node_smsc import Event, NodeSmsc, node_smsc_unavailable
from tests.smpp.quick_service import start_quick_service
from tests.support.polling import eventually
from tests.support.store import count, rows

pytestmark = pytest.mark.usefixtures("catalog")

SUBSCRIBER = "13800138000"
SHORT_CODE = "10086"
SIGN_UP = "IWJZS 2"
RTHROTTLED = 0x58
RBINDFAIL = 0x0D
RINVPASWD = 0x0E
#: Bounds a wait that should end well within a second.
DEADLINE = 5.0
BIND_COMMANDS = {"trx": {"bind_transceiver"}, "rx+tx": {"bind_receiver", "bind_transmitter"}}


# -- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def node_smsc_ready() -> None:
    """node, npm and node-smpp installed (`npm ci` once per run when missing);
    otherwise every test here is skipped, saying why."""
    reason = node_smsc_unavailable()
    if reason is not None:
        pytest.skip(f"node-smpp SMSC unavailable: {reason}")


@pytest.fixture
def smsc(node_smsc_ready: None) -> Iterator[NodeSmsc]:
    """An SMSC of its own for each test: no knob or event carries over."""
    server = NodeSmsc(system_id="smshall", password="secret")
    yield server
    server.stop()


@pytest.fixture
def start_service(runtime: Runtime, smsc: NodeSmsc) -> Iterator[Callable[..., SmppService]]:
    """The SMPP service bound to the node SMSC, with short timers; stopped at teardown
    (before the SMSC, so it unbinds from a live peer)."""
    running: list[SmppService] = []

    def start(wait_bound: bool = True, **bind: Any) -> SmppService:
        values: dict[str, Any] = dict(
            name="node", host="127.0.0.1", port=smsc.port, system_id="smshall",
            password=SecretStr("secret"), mode="trx", window=10, tps=0, response_timeout=2.0,
            reconnect_base=0.05, reconnect_max=0.3, throttle_pause=0.2,
        )  # fmt: skip
        service = start_quick_service(runtime, {**values, **bind})
        running.append(service)
        if wait_bound:
            everyone = len(service.gateway.connections)
            eventually(lambda: service.health()["bound"] == everyone, "every link bound")
        return service

    yield start
    for service in running:
        service.stop()


# -- the database ---------------------------------------------------------------------


def replies_in(uow_factory: Callable[[], UnitOfWork], states: set[str], expected: int = 1) -> bool:
    found = rows(uow_factory, OutboundMessageRow)
    return len(found) == expected and all(r.state in states for r in found)


def reply_to(uow_factory: Callable[[], UnitOfWork], msisdn: str) -> OutboundMessageRow:
    [reply] = [r for r in rows(uow_factory, OutboundMessageRow) if r.msisdn == msisdn]
    return reply


# -- what reached the SMSC ------------------------------------------------------------


def udh_of(submit: Event) -> tuple[bytes, bytes]:
    """(header without its length octet, payload) of a submit_sm with esm_class 0x40."""
    octets = bytes.fromhex(submit["short_message_hex"])
    return octets[1 : octets[0] + 1], octets[octets[0] + 1 :]


def concatenation(header: bytes) -> tuple[int, int, int]:
    """(reference, total, number) from an 8- or 16-bit concatenation element."""
    iei, size = header[0], header[1]
    if iei == 0x00 and size == 3:
        return header[2], header[3], header[4]
    assert iei == 0x08 and size == 4, f"no concatenation element in {header.hex()}"
    return (header[2] << 8) | header[3], header[4], header[5]


def texts_at_smsc(submits: list[Event]) -> list[tuple[str, str]]:
    """Every complete message among accepted submits, (destination, text) as
    node-smpp decoded its parts.

    Single messages as they are; parts grouped by (destination, reference) and
    joined by number once all `total` of them are there. Each part's UDH is checked
    on the way: node-smpp found the same element in it, the part is UCS-2.
    """
    whole: list[tuple[str, str]] = []
    parts: dict[tuple[str, int, int], dict[int, str]] = defaultdict(dict)
    for submit in submits:
        fields = submit["fields"]
        if not fields["esm_class"] & 0x40:
            whole.append((fields["destination_addr"], submit["decoded_text"]))
            continue
        header, payload = udh_of(submit)
        reference, total, number = concatenation(header)
        assert submit["decoded_udh"] == [header.hex()], "node-smpp read another UDH"
        assert fields["data_coding"] == 8
        assert payload.decode("utf-16-be") == submit["decoded_text"]
        parts[(fields["destination_addr"], reference, total)][number] = submit["decoded_text"]
    for (destination, _, total), found in parts.items():
        if sorted(found) == list(range(1, total + 1)):
            whole.append((destination, "".join(found[n] for n in range(1, total + 1))))
    return whole


def ucs2_chunks(text: str) -> list[bytes]:
    """A text in UCS-2, cut as a handset cuts a long message: 67 characters a part."""
    data = text.encode("utf-16-be")
    return [data[i : i + 134] for i in range(0, len(data), 134)]


def mo(smsc: NodeSmsc, source: str, text: str) -> int:
    """An MO in GSM 7-bit (ASCII keywords); waits for its deliver_sm_resp, returns the status."""
    link, sequence = smsc.deliver(source, SHORT_CODE, text.encode("ascii"))
    return smsc.deliver_resp(link, sequence)["status"]


# -- (a) binds ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["trx", "rx+tx"])
def test_binds_with_the_configured_credentials(
    smsc: NodeSmsc, start_service: Callable[..., SmppService], mode: str
) -> None:
    start_service(mode=mode)
    # The SMSC writes its events after answering: the service may be bound first.
    binds = smsc.wait_for_events("bind", len(BIND_COMMANDS[mode]), timeout=DEADLINE)
    assert {b["command"] for b in binds} == BIND_COMMANDS[mode]
    assert len(binds) == len(BIND_COMMANDS[mode]), "one bind per link, none refused"
    for bind in binds:
        assert (bind["system_id"], bind["password"], bind["status"]) == ("smshall", "secret", 0)
        assert bind["interface_version"] == 0x34
    assert {link["bound_as"] for link in smsc.bound_links()} == BIND_COMMANDS[mode]


def test_wrong_password_is_refused_and_never_counts_as_bound(
    smsc: NodeSmsc, start_service: Callable[..., SmppService]
) -> None:
    service = start_service(wait_bound=False, password=SecretStr("wrong"))
    refused = smsc.wait_for_events("bind", 3, timeout=DEADLINE)
    assert {(b["password"], b["status"]) for b in refused} == {("wrong", RINVPASWD)}
    [connection] = service.gateway.connections
    eventually(lambda: connection.counters["bind_refused"] >= 3, "refusals counted")
    assert connection.counters["binds"] == 0 and not connection.bound
    assert "0x0e" in connection.last_error.lower()


def test_refused_binds_are_retried_with_backoff_then_bound(
    smsc: NodeSmsc, start_service: Callable[..., SmppService], add_subscriber: Callable[..., int]
) -> None:
    add_subscriber(SUBSCRIBER)
    smsc.command("refuse_binds", count=3, status=RBINDFAIL)
    service = start_service(wait_bound=False, reconnect_base=0.1, reconnect_max=0.4)
    eventually(lambda: service.health()["bound"] == 1, "bound once the SMSC accepts binds")

    attempts = smsc.of("bind")
    assert [b["status"] for b in attempts] == [RBINDFAIL] * 3 + [0]
    # Each refused link closed by the SMSC; each attempt on a connection of its own.
    assert len({b["link"] for b in attempts}) == 4
    # Backoff, not a hot loop: the least delay after a refusal is half of base * 2.
    gaps = [later["at"] - earlier["at"] for earlier, later in pairwise(attempts)]
    assert min(gaps) >= 0.09, f"rebinds {gaps} apart"
    [connection] = service.gateway.connections
    assert (connection.counters["bind_refused"], connection.counters["binds"]) == (3, 1)
    assert connection.counters["connects"] == 4
    # And the bind carries traffic.
    assert mo(smsc, SUBSCRIBER, "CXYE") == 0
    smsc.wait_for_event("submit_sm", lambda e: e["fields"]["destination_addr"] == SUBSCRIBER)


def test_idle_link_is_kept_alive_by_enquire_link(
    smsc: NodeSmsc, start_service: Callable[..., SmppService]
) -> None:
    service = start_service(enquire_link_interval=0.2, response_timeout=0.5)
    smsc.wait_for_events("enquire_link", 3)
    [connection] = service.gateway.connections
    assert connection.counters["enquire_link_sent"] >= 3
    # node-smpp's enquire_link_resp matched each one: the link never looked dead.
    assert connection.counters["disconnects"] == 0 and connection.counters["binds"] == 1
    assert len(smsc.of("bind")) == 1 and smsc.of("close") == []


# -- (b) MO answered ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["trx", "rx+tx"])
def test_mo_is_answered_with_a_submit_sm_of_the_reply(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    mode: str,
) -> None:
    add_subscriber(SUBSCRIBER, balance_fen=8650)
    service = start_service(mode=mode)
    link, sequence = smsc.deliver("86" + SUBSCRIBER, SHORT_CODE, b"CXYE")
    assert smsc.deliver_resp(link, sequence)["status"] == 0
    # The deliver_sm_resp went out after the MO and its reply were committed.
    [inbound] = rows(uow_factory, InboundMessageRow)
    assert (inbound.gateway, inbound.msisdn, inbound.text) == ("smpp:node", SUBSCRIBER, "CXYE")
    [reply] = rows(uow_factory, OutboundMessageRow)
    assert "86.50" in reply.text  # the balance: the service's own answer

    submit = smsc.wait_for_event("submit_sm")
    fields = submit["fields"]
    assert (fields["source_addr"], fields["destination_addr"]) == (SHORT_CODE, SUBSCRIBER)
    assert (fields["data_coding"], fields["esm_class"], fields["registered_delivery"]) == (8, 0, 1)
    assert submit["decoded_text"] == reply.text
    assert bytes.fromhex(submit["short_message_hex"]) == reply.text.encode("utf-16-be")
    roles = {entry["id"]: entry["bound_as"] for entry in smsc.command("links")["links"]}
    if mode == "rx+tx":
        assert (roles[link], roles[submit["link"]]) == ("bind_receiver", "bind_transmitter")
    else:
        assert submit["link"] == link
    eventually(lambda: replies_in(uow_factory, {"sent"}), "the reply marked sent")
    assert len(smsc.accepted_submits()) == 1
    # Claimed as it was written and handed to the sender: no claim of its own.
    assert (service.sender.counters["handed"], service.sender.counters["claimed"]) == (1, 0)


# -- (c) unbind from the SMSC -----------------------------------------------------------


def test_unbind_from_the_smsc_is_answered_and_the_esme_binds_again(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    service = start_service(mode="rx+tx")
    first = {link["id"] for link in smsc.bound_links()}
    mark = smsc.mark()
    assert sorted(smsc.command("unbind")["links"]) == sorted(first)

    answers = smsc.wait_for_events("unbind_resp", 2, since=mark)
    assert {(a["link"], a["status"]) for a in answers} == {(link, 0) for link in first}
    rebinds = smsc.wait_for_events("bind", 2, lambda e: e["status"] == 0, since=mark)
    assert {b["command"] for b in rebinds} == BIND_COMMANDS["rx+tx"]
    assert not {b["link"] for b in rebinds} & first, "rebound on new connections"
    eventually(lambda: service.health()["bound"] == 2, "both links bound again")
    for connection in service.gateway.connections:
        assert connection.counters["unbound_by_smsc"] == 1
        assert connection.counters["binds"] == 2
    # No unbind of its own, no unanswered PDU: the ESME just answered and went.
    assert smsc.of("unbind") == [] and smsc.of("generic_nack") == []

    assert mo(smsc, SUBSCRIBER, "CXYE") == 0
    eventually(lambda: replies_in(uow_factory, {"sent"}), "the reply sent on the new bind")
    [submit] = smsc.accepted_submits(since=mark)
    assert submit["link"] not in first


# -- (d) connection killed mid-window ---------------------------------------------------


def test_connection_killed_with_submits_outstanding_loses_and_repeats_nothing(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    numbers = [f"1380013{n:04d}" for n in range(4)]
    for number in numbers:
        add_subscriber(number)
    # A response timer longer than the hold: the submits are outstanding, not timed out.
    service = start_service(response_timeout=5.0)
    smsc.command("hold_resps")
    for number in numbers:
        assert mo(smsc, number, SIGN_UP) == 0
    held = smsc.wait_for_events("submit_sm", len(numbers), lambda e: e.get("held", False))
    [connection] = service.gateway.connections
    assert connection.session is not None and connection.session.window.outstanding == 4

    mark = smsc.mark()
    killed = smsc.command("kill")
    assert killed["dropped"] == len(numbers), "the held responses never went out"
    smsc.command("release")  # submits are answered again from now on
    smsc.wait_for_event("bind", lambda e: e["status"] == 0, since=mark)

    eventually(
        lambda: replies_in(uow_factory, {"sent"}, expected=len(numbers)),
        "every reply accepted after the rebind",
    )
    replies = {r.msisdn: r.text for r in rows(uow_factory, OutboundMessageRow)}
    # Every reply reached its handset's SMSC queue whole after the kill; one may go twice.
    resent = texts_at_smsc(smsc.accepted_submits(since=mark))
    assert Counter(resent) >= Counter(replies.items())
    held_to = {e["fields"]["destination_addr"] for e in held}
    assert held_to == set(numbers)
    # Acted on once: one inbound row, one activation and one reply per subscriber.
    inbound = rows(uow_factory, InboundMessageRow)
    assert Counter(i.msisdn for i in inbound) == Counter(numbers)
    assert {i.outcome for i in inbound} == {"activated"}
    assert count(uow_factory, ActivationRow) == len(numbers)
    assert sorted(replies) == sorted(numbers)
    assert connection.counters["disconnects"] == 1


# -- (e) throttling -------------------------------------------------------------------


def test_throttled_submit_is_sent_again_until_accepted(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    smsc.command("throttle", count=3)
    service = start_service(throttle_pause=0.2)
    assert mo(smsc, SUBSCRIBER, SIGN_UP) == 0

    eventually(lambda: replies_in(uow_factory, {"sent"}), "the reply sent")
    submits = smsc.of("submit_sm")
    assert [s["status"] for s in submits][:4] == [RTHROTTLED] * 3 + [0]
    # The same part each time, after the bind's pause.
    assert len({s["short_message_hex"] for s in submits[:4]}) == 1
    gaps = [b["at"] - a["at"] for a, b in pairwise(submits[:4])]
    assert min(gaps) >= 0.15, f"resent {gaps} apart, inside the 0.2 s pause"
    # Nothing lost, nothing doubled: the whole reply accepted once.
    [reply] = rows(uow_factory, OutboundMessageRow)
    assert texts_at_smsc(smsc.accepted_submits()) == [(SUBSCRIBER, reply.text)]
    assert reply.attempts == 1, "throttling is not a failed attempt"
    [connection] = service.gateway.connections
    assert connection.counters["submit_throttled"] == 3
    assert connection.counters["submit_temporary"] == 0
    assert count(uow_factory, ActivationRow) == 1


# -- (f) long Chinese MO and MT ---------------------------------------------------------


@pytest.mark.parametrize("how", ["udh", "sar"])
def test_long_chinese_mo_out_of_order_is_answered_with_a_long_chinese_reply(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    how: str,
) -> None:
    add_subscriber(SUBSCRIBER)
    start_service()
    text = "请问我这个月的话费还剩多少，另外流量套餐还有多少没有用完，谢谢您的帮助" * 3
    chunks = ucs2_chunks(text)
    assert len(chunks) == 2
    for number in (2, 1):  # the second part first
        chunk = chunks[number - 1]
        if how == "udh":
            header = bytes([5, 0x00, 3, 0x5A, len(chunks), number])
            link, sequence = smsc.deliver(
                SUBSCRIBER, SHORT_CODE, header + chunk, data_coding=8, esm_class=0x40
            )
        else:
            link, sequence = smsc.deliver(
                SUBSCRIBER, SHORT_CODE, chunk, data_coding=8, sar_msg_ref_num=0x15A,
                sar_total_segments=len(chunks), sar_segment_seqnum=number,
            )  # fmt: skip
        assert smsc.deliver_resp(link, sequence)["status"] == 0

    [inbound] = eventually(lambda: rows(uow_factory, InboundMessageRow), "the MO stored")
    assert inbound.text == text
    eventually(lambda: replies_in(uow_factory, {"sent"}), "the reply sent")
    reply = reply_to(uow_factory, SUBSCRIBER)
    assert len(reply.text) > 70, "a reply that needs more than one UCS-2 message"
    assert "请问我这个月的话费还剩多少" in reply.text, "the unknown text quoted back"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply.text)

    submits = smsc.accepted_submits()
    assert len(submits) >= 2
    headers = [concatenation(udh_of(s)[0]) for s in submits]
    assert len({reference for reference, _, _ in headers}) == 1, "one reference for all parts"
    assert {total for _, total, _ in headers} == {len(submits)}
    assert [number for _, _, number in headers] == list(range(1, len(submits) + 1))
    assert all(s["fields"]["esm_class"] & 0x40 and s["fields"]["data_coding"] == 8 for s in submits)
    assert all(len(bytes.fromhex(s["short_message_hex"])) <= 140 for s in submits)
    assert texts_at_smsc(submits) == [(SUBSCRIBER, reply.text)]


# -- (g) receipts -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["trx", "rx+tx"])
@pytest.mark.parametrize("when", ["after", "before"])
def test_receipts_after_or_before_the_resp_mark_the_reply_delivered(
    smsc: NodeSmsc,
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    when: str,
    mode: str,
) -> None:
    add_subscriber(SUBSCRIBER)
    smsc.command("receipts", mode=when)
    start_service(mode=mode)
    assert mo(smsc, SUBSCRIBER, SIGN_UP) == 0  # a two-part reply: two receipts

    eventually(lambda: replies_in(uow_factory, {"delivered"}), f"delivered by receipts {when}")
    receipts = smsc.of("receipt")
    parts = rows(uow_factory, OutboundPartRow)
    assert len(parts) == len(receipts) == 2
    assert {p.gateway_message_id for p in parts} == {r["message_id"] for r in receipts}
    assert {(p.state, p.receipt_stat) for p in parts} == {("delivered", "DELIVRD")}
    roles = {entry["id"]: entry["bound_as"] for entry in smsc.command("links")["links"]}
    expected_role = "bind_receiver" if mode == "rx+tx" else "bind_transceiver"
    for receipt in receipts:
        assert roles[receipt["link"]] == expected_role
        assert smsc.deliver_resp(receipt["link"], receipt["sequence"])["status"] == 0
    resps = {r["message_id"]: r for r in smsc.of("submit_sm_resp")}
    for receipt in receipts:
        resp = resps[receipt["message_id"]]
        if when == "before":
            # Answered only once the ESME had acknowledged the receipt for it.
            assert receipt["before_resp"] and resp["receipt_answered_first"] is True
            assert receipt["at"] < resp["at"]
        else:
            assert resp["at"] <= receipt["at"]
    assert count(uow_factory, PendingReceiptRow) == 0, "an early receipt was never applied"
    [reply] = rows(uow_factory, OutboundMessageRow)
    assert texts_at_smsc(smsc.accepted_submits()) == [(SUBSCRIBER, reply.text)]
