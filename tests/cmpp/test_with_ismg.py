"""smshall's CMPP gateway against the simulator's ISMG over real TCP, CMPP 2.0 and 3.0.

The ISMG is written apart from the gateway (gateway_sim/cmpp: its own codec),
so each checks the other. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

import httpx
import pytest

from app.gateways.cmpp.service import CmppService
from app.runtime import Runtime
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow, OutboundPartRow
from app.store.unit_of_work import UnitOfWork
from gateway_sim.simulator import SimulatorThread
from tests.cmpp.ismg import Ismg, link_config, start_service
from tests.support.polling import eventually
from tests.support.store import count, rows

pytestmark = pytest.mark.usefixtures("catalog")

SUBSCRIBER = "13800138000"
SIGN_UP = "IWJZS 2"


@pytest.fixture
def ismg() -> Iterator[Ismg]:
    thread = SimulatorThread(cmpp_port=0).start()
    api = httpx.Client(base_url=thread.http_url, timeout=15)
    yield Ismg(thread, api)
    api.close()
    thread.stop()


@pytest.fixture
def services(runtime: Runtime) -> Iterator[list[CmppService]]:
    started: list[CmppService] = []
    yield started
    for service in started:
        service.stop()


@pytest.fixture
def serve(runtime: Runtime, ismg: Ismg, services: list[CmppService]) -> Callable[..., CmppService]:
    def start(wait: bool = True, **link: object) -> CmppService:
        service = start_service(runtime, ismg.port, wait, **link)
        services.append(service)
        return service

    return start


def delivered(uow_factory: Callable[[], UnitOfWork], expected: int = 1) -> bool:
    found = rows(uow_factory, OutboundMessageRow)
    return len(found) == expected and all(r.state == "delivered" for r in found)


def link_counters(service: CmppService) -> dict[str, int]:
    return service.gateway.connections[0].counters


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_mo_is_answered_and_the_report_marks_the_reply_delivered(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    version: str,
) -> None:
    add_subscriber(SUBSCRIBER)
    serve(version=version)
    sent = ismg.mo(SUBSCRIBER, SIGN_UP)
    eventually(lambda: delivered(uow_factory), "the reply delivered")
    [inbound] = rows(uow_factory, InboundMessageRow)
    assert inbound.gateway == "cmpp:ismg" and inbound.gateway_message_id == sent["msg_ids"][0]
    [reply] = rows(uow_factory, OutboundMessageRow)
    [mt] = ismg.mt(SUBSCRIBER)
    assert mt["text"] == reply.text and mt["from"] == "10086"
    parts = rows(uow_factory, OutboundPartRow)
    assert [p.gateway_message_id for p in parts] == mt["message_ids"]
    assert all(p.gateway == "ismg" and p.state == "delivered" for p in parts)
    assert count(uow_factory, ActivationRow) == 1
    assert ismg.mo_records()[-1]["acks"] == [0]
    assert ismg.view()["links"][0]["version"] == version


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_long_chinese_mo_is_reassembled_and_a_long_reply_split(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    version: str,
) -> None:
    add_subscriber(SUBSCRIBER)
    serve(version=version)
    text = "请问我这个月的话费还剩多少，另外流量套餐还有多少没有用完，谢谢您的帮助" * 4
    sent = ismg.mo(SUBSCRIBER, text, parts_order=[3, 1, 2])  # three parts, out of order
    assert sent["segments"] == 3
    eventually(lambda: delivered(uow_factory), "the reply delivered")
    [inbound] = rows(uow_factory, InboundMessageRow)
    assert inbound.text == text and inbound.gateway_message_id == sent["msg_ids"][0]
    # Six services signed up for, one after the other; their list takes three parts.
    signed = [SIGN_UP, "TY SJB", "TY CL", "TY HBGJ", "TY 139", "GABX 张三"]
    for n, command in enumerate([*signed, "CXTC"]):
        ismg.mo(SUBSCRIBER, command)
        eventually(lambda n=n: delivered(uow_factory, expected=n + 2), f"{command} answered")
    reply = rows(uow_factory, OutboundMessageRow)[-1]
    [mt] = [m for m in ismg.mt(SUBSCRIBER) if m["text"] == reply.text]
    parts = [p for p in rows(uow_factory, OutboundPartRow) if p.outbound_message_id == reply.id]
    assert mt["segments"] == len(parts) == 3 and mt["data_coding"] == 8
    assert all(p.state == "delivered" for p in parts)


def test_a_refused_connect_is_retried_with_backoff_until_accepted(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    ismg.faults(refuse_count=3, refuse_status=3)
    service = serve(wait=False)
    eventually(lambda: service.health()["connected"] == 1, "connected after the refusals")
    counters = link_counters(service)
    assert counters["connect_refused_3"] == 3 and counters["connected"] == 1
    ismg.mo(SUBSCRIBER, SIGN_UP)
    eventually(lambda: delivered(uow_factory), "the reply delivered")


@pytest.mark.parametrize(
    ("status", "meaning"),
    [(1, "wrong message structure"), (2, "illegal source address"), (4, "version too high"),
     (9, "other error")],
)  # fmt: skip
def test_every_connect_status_is_named_and_retried(
    ismg: Ismg, serve: Callable[..., CmppService], status: int, meaning: str
) -> None:
    ismg.faults(refuse_count=2, refuse_status=status)
    service = serve(wait=False)
    eventually(lambda: service.health()["connected"] == 1, "connected after the refusals")
    assert link_counters(service)[f"connect_refused_{status}"] == 2
    assert service.gateway.connections[0].counters["failures"] == 2


def test_wrong_secret_is_refused_as_authentication_failure(
    ismg: Ismg, serve: Callable[..., CmppService]
) -> None:
    from pydantic import SecretStr

    service = serve(wait=False, shared_secret=SecretStr("wrong"))
    eventually(lambda: link_counters(service)["connect_refused_3"] >= 2, "two refusals")
    assert service.health()["connected"] == 0
    assert "authentication failed" in service.gateway.connections[0].last_error


def test_flow_control_result_is_retried_and_the_reply_delivered(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    service = serve(throttle_pause=0.05)
    ismg.faults(flow_control_count=2)
    ismg.mo(SUBSCRIBER, SIGN_UP)
    eventually(lambda: delivered(uow_factory), "the reply delivered")
    assert link_counters(service)["submit_throttled"] == 2
    assert len(ismg.mt(SUBSCRIBER)) == 1


def test_a_dropped_link_reconnects_and_loses_nothing(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    numbers = [f"1380013{n:04d}" for n in range(3)]
    for number in numbers:
        add_subscriber(number)
    service = serve()
    [link] = ismg.links()
    ismg.faults(refuse_count=2)  # the outage lasts a few attempts
    assert ismg.api.post(f"/api/cmpp/links/{link['id']}/drop").status_code == 200
    for number in numbers:  # sent while the link is down: the ISMG holds them
        ismg.mo(number, SIGN_UP)
    eventually(lambda: delivered(uow_factory, 3), "every reply delivered")
    assert count(uow_factory, ActivationRow) == 3
    assert link_counters(service)["connected"] == 2
    assert sorted(m["to"] for m in ismg.mt()) == numbers


def test_a_deliver_sent_twice_with_one_msg_id_is_acted_on_once(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    service = serve()
    ismg.mo(SUBSCRIBER, SIGN_UP, repeat=2)
    eventually(lambda: link_counters(service)["deliver"] >= 2, "both copies arrived")
    eventually(lambda: delivered(uow_factory), "the reply delivered")
    eventually(lambda: len(ismg.mo_records()[-1]["bind_ids"]) == 2, "both copies answered")
    assert ismg.mo_records()[-1]["acks"] == [0]
    assert count(uow_factory, InboundMessageRow) == 1
    assert count(uow_factory, ActivationRow) == 1
    assert len(ismg.mt(SUBSCRIBER)) == 1


def test_malformed_pdus_do_not_kill_the_service(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    add_subscriber(SUBSCRIBER)
    service = serve()
    [link] = ismg.links()
    raw = f"/api/cmpp/links/{link['id']}/raw"
    # A DELIVER whose body stops short: answered Result 1, the link stays up.
    short = struct.pack(">III", 12 + 20, 0x5, 77) + (1234).to_bytes(8, "big") + b"\0" * 12
    assert ismg.api.post(raw, json={"hex": short.hex()}).status_code == 200
    eventually(lambda: ismg.links()[0]["counters"].get("deliver_resp_1") == 1, "Result 1")
    assert ismg.links()[0]["id"] == link["id"]
    # A Total_Length no PDU can have: the stream is lost, the link dropped and made again.
    assert ismg.api.post(raw, json={"hex": "00000005ffffffff"}).status_code == 200
    eventually(lambda: link_counters(service)["connected"] == 2, "connected again")
    assert link_counters(service)["framing_errors"] == 1
    ismg.mo(SUBSCRIBER, SIGN_UP)
    eventually(lambda: delivered(uow_factory), "the reply delivered")


def test_active_test_is_answered_and_an_unanswered_one_drops_the_link(
    ismg: Ismg, serve: Callable[..., CmppService]
) -> None:
    ismg.faults(active_test_every=0.1)
    service = serve(active_test_seconds=0.2, active_test_misses=2, response_timeout=0.3)
    eventually(lambda: ismg.links()[0]["counters"].get("active_test_answered", 0) >= 2,
               "the ISMG's ACTIVE_TEST answered")  # fmt: skip
    ismg.faults(active_test_every=0, ignore_active_test=True)
    eventually(lambda: link_counters(service)["keep_alive_unanswered"] >= 2, "two misses")
    ismg.faults(ignore_active_test=False)
    eventually(lambda: link_counters(service)["connected"] >= 2, "connected again")
    assert (
        "ACTIVE_TEST unanswered"
        in "".join(
            str(c) for c in [service.gateway.connections[0].last_error, link_counters(service)]
        )
        or link_counters(service)["disconnects"] >= 1
    )


def test_terminate_from_the_ismg_is_answered_and_the_link_made_again(
    ismg: Ismg, serve: Callable[..., CmppService]
) -> None:
    service = serve()
    [link] = ismg.links()
    assert ismg.api.post(f"/api/cmpp/links/{link['id']}/terminate").status_code == 200
    eventually(lambda: link_counters(service)["connected"] == 2, "connected again")
    assert link_counters(service)["terminated_by_ismg"] == 1


@pytest.mark.parametrize("msg_fmt", [0, 8, 15])
def test_mo_text_is_read_by_its_msg_fmt(
    ismg: Ismg,
    serve: Callable[..., CmppService],
    uow_factory: Callable[[], UnitOfWork],
    msg_fmt: int,
) -> None:
    serve(version="2.0")
    text = "HELP me_@ 2" if msg_fmt == 0 else "查询话费余额"
    ismg.mo(SUBSCRIBER, text, msg_fmt=msg_fmt)
    eventually(lambda: rows(uow_factory, InboundMessageRow), "the MO recorded")
    [inbound] = rows(uow_factory, InboundMessageRow)
    assert inbound.text == text


def test_many_mos_over_two_links_each_answered_once(
    ismg: Ismg,
    runtime: Runtime,
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    services: list[CmppService],
) -> None:
    numbers = [f"1390013{n:04d}" for n in range(24)]
    for number in numbers:
        add_subscriber(number)
    links = [link_config(ismg.port, name=name, window=4, tps=200) for name in ("a", "b")]
    settings = runtime.settings.model_copy(
        update={"cmpp_links": links, "outbox_poll_interval": 0.05, "outbox_retry_base": 0.05}
    )
    service = CmppService(Runtime(settings, runtime.engine, runtime.sessions))
    services.append(service)
    service.start()
    eventually(lambda: service.health()["connected"] == 2, "both links connected")
    for number in numbers:
        ismg.mo(number, SIGN_UP)
    eventually(lambda: delivered(uow_factory, len(numbers)), "every reply delivered")
    assert count(uow_factory, ActivationRow) == len(numbers)
    assert sorted(m["to"] for m in ismg.mt()) == numbers
    used = {c.name: c.counters["submit"] for c in service.gateway.connections}
    assert all(used.values()), f"both links carried replies: {used}"


def test_stop_terminates_the_link(ismg: Ismg, runtime: Runtime) -> None:
    service = start_service(runtime, ismg.port)
    service.stop()
    eventually(lambda: not ismg.links(), "the ISMG saw the link go")
    assert service.gateway.connections[0].state == "stopped"


def test_simulator_serves_cmpp_beside_smpp() -> None:
    with SimulatorThread(cmpp_port=0) as thread:
        health = httpx.get(f"{thread.http_url}/api/health").json()
        assert health["cmpp_port"] == thread.cmpp_port and health["smpp_port"] > 0
