"""Every series of `/metrics` after a real SMPP run: the app (binds, sender, receipts)
bound over TCP to the gateway simulator's SMSC, MOs sent from its handsets.

The expected counts come from what the run left in the database and what the
simulator counted on its side, never from the service's own counters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from app.main import create_app
from app.runtime import Runtime
from app.settings import SmppBind
from app.store.models import InboundMessageRow, OutboundMessageRow, OutboundPartRow
from app.store.unit_of_work import UnitOfWork
from tests.metrics.scrape import Samples, family, grew, scrape, value
from tests.smpp.test_faults_with_simulator import Sim, start_sim
from tests.support.polling import eventually

__all__ = ["start_sim"]  # the simulator fixture, shared with tests/smpp

pytestmark = pytest.mark.usefixtures("catalog")

LONG = "请问我这个月的话费还剩多少，另外流量套餐还有多少没有用完，谢谢您的帮助" * 3
#: (handset, text, the keyword label it must be counted under)
TRAFFIC = [
    ("13800000001", "CXYE", "CXYE"),
    ("13800000002", "余额", "CXYE"),  # an alias: its canonical keyword
    ("13800000003", "HELP", "HELP"),
    ("13800000004", "xyzzy plugh", "other"),
    ("13800000005", "@@!!%%", "other"),
    ("13800000006", LONG, "other"),  # reassembled from several deliver_sm
    ("13800000008", "iwjzs 2", "IWJZS"),  # a campaign keyword, from the catalog
    ("13800000009", "HELP", "HELP"),  # its reply's receipt says UNDELIV
]
REFUSED = ("13800000007", "HELP", "HELP")  # its submit_sm is refused: ESME_RINVDSTADR
SUBSCRIBERS = ("13800000001", "13800000002", "13800000008")
FINAL = ("delivered", "failed", "expired")


@pytest.fixture
def app_bound(runtime: Runtime, start_sim: Callable[..., Sim]) -> Iterator[tuple[TestClient, Sim]]:
    sim = start_sim(rules=[{"match": "13800000009$", "stat": "UNDELIV"}])
    bind = SmppBind(
        name="sim", host="127.0.0.1", port=sim.port, system_id="smshall",
        password=SecretStr("secret"), mode="trx", tps=0, response_timeout=5.0,
        reconnect_base=0.05, reconnect_max=0.5, throttle_pause=0.2,
    )  # fmt: skip
    settings = dict(
        smpp_binds=[bind], outbox_poll_interval=0.05, outbox_retry_base=0.05, scheduled_interval=0
    )
    with TestClient(create_app(runtime=runtime.with_settings(**settings))) as client:
        eventually(lambda: client.app.state.smpp.health()["bound"] == 1, "bound")  # type: ignore[attr-defined]
        yield client, sim


def receipts(sim: Sim) -> list[dict[str, Any]]:
    return sim.http.get("/api/receipts", params={"limit": 10_000}).json()["receipts"]


def every_receipt_answered(sim: Sim) -> bool:
    accepted = sim.stats()["submit_sm_resp"].get("ESME_ROK", 0)
    made = receipts(sim)
    return len(made) == accepted and all(r["ack"] is not None for r in made)


def stored(uow_factory: Callable[[], UnitOfWork]) -> tuple[list[Any], list[Any], list[Any]]:
    with uow_factory() as uow:
        assert uow.session is not None
        session = uow.session
        found = [
            list(session.scalars(select(row)))
            for row in (InboundMessageRow, OutboundMessageRow, OutboundPartRow)
        ]
        session.expunge_all()
    return found[0], found[1], found[2]


def settled(uow_factory: Callable[[], UnitOfWork], count: int) -> bool:
    inbound, outbound, _ = stored(uow_factory)
    return (
        len(inbound) == count and len(outbound) >= count and all(r.state in FINAL for r in outbound)
    )


def test_every_series_counts_what_an_smpp_run_produced(
    app_bound: tuple[TestClient, Sim],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    client, sim = app_bound
    for number in SUBSCRIBERS:
        add_subscriber(number)
    before = scrape(client)

    sim.patch(submit_error_rate=1.0, submit_error_status=0x0B)
    sim.mo(REFUSED[0], REFUSED[1])
    eventually(lambda: settled(uow_factory, 1), "the refused reply failed")
    sim.patch(submit_error_rate=0.0, throttle_tps=3)  # the rest is throttled now and then
    for number, text, _ in TRAFFIC:
        sim.mo(number, text)
    eventually(lambda: settled(uow_factory, 1 + len(TRAFFIC)), "every reply settled")
    # A reply fails on its first failed part: the others' receipts may still be on the way.
    eventually(lambda: every_receipt_answered(sim), "a receipt for each part, each answered")
    connection = client.app.state.smpp.gateway.connections[0]  # type: ignore[attr-defined]
    [open_bind] = sim.http.get("/api/binds").json()["binds"]
    sim.http.post(f"/api/binds/{open_bind['id']}/drop")
    eventually(lambda: connection.counters["binds"] == 2 and connection.bound, "bound again")
    after = scrape(client)

    inbound, outbound, parts = stored(uow_factory)
    assert_mo_series(before, after, inbound)
    assert_reply_series(before, after, outbound, parts)
    # Counted at the SMSC: a part sent again (a reply retried after its first part went)
    # has a receipt no stored part matches; it counts all the same.
    sent_stats = Counter(r["stat"] for r in receipts(sim) if r["ack"] == 0)
    assert sent_stats["UNDELIV"] >= 1 and sent_stats["DELIVRD"] >= len(outbound) - 2
    for stat, count in sent_stats.items():
        assert grew(before, after, "smshall_delivery_receipts_total", status=stat) == count, stat
    throttled = sim.stats()["submit_sm_resp"].get("ESME_RTHROTTLED", 0)
    assert_bind_series(before, after, throttled)
    assert value(after, "smshall_outbox_queued") == 0
    assert value(after, "smshall_outbox_oldest_queued_age_seconds") == 0


def assert_mo_series(before: Samples, after: Samples, inbound: list[Any]) -> None:
    label = {number: keyword for number, _, keyword in [*TRAFFIC, REFUSED]}
    expected = Counter((label[row.msisdn], row.outcome) for row in inbound)
    for (keyword, outcome), count in expected.items():
        mo = grew(
            before, after, "smshall_mo_total", channel="smpp", keyword=keyword, outcome=outcome
        )
        assert mo == count, (keyword, outcome)
    grown = {
        labels: v - before.get(("smshall_mo_total", labels), 0.0)
        for labels, v in family(after, "smshall_mo_total").items()
    }
    assert sum(grown.values()) == len(inbound) == 1 + len(TRAFFIC)
    assert {dict(labels)["keyword"] for labels, v in grown.items() if v} == {
        "CXYE", "HELP", "IWJZS", "other"
    }  # fmt: skip
    assert grew(before, after, "smshall_mo_commit_seconds_count") == len(inbound)
    assert grew(before, after, "smshall_mo_commit_seconds_sum") > 0


def assert_reply_series(
    before: Samples, after: Samples, outbound: list[Any], parts: list[Any]
) -> None:
    states = Counter(row.state for row in outbound)
    sent = len({part.outbound_message_id for part in parts})
    assert states["failed"] == 2 and sent == len(outbound) - 1
    assert grew(before, after, "smshall_replies_total", state="queued") == len(outbound)
    assert grew(before, after, "smshall_replies_total", state="sent") == sent
    for state in FINAL:
        assert grew(before, after, "smshall_replies_total", state=state) == states[state], state
    assert grew(before, after, "smshall_mo_reply_submitted_seconds_count") == sent
    assert grew(before, after, "smshall_mo_reply_submitted_seconds_sum") > 0


def assert_bind_series(before: Samples, after: Samples, throttled: int) -> None:
    assert throttled > 0, "the SMSC never throttled: the run proves nothing of throttles"
    errors = "smshall_smpp_submit_errors_total"
    assert grew(before, after, errors, bind="sim", command_status="0x0000000b") == 1
    assert grew(before, after, errors, bind="sim", command_status="0x00000058") == throttled
    assert value(after, "smshall_smpp_throttles_total", bind="sim") == throttled
    assert value(after, "smshall_smpp_rebinds_total", bind="sim") == 1
    assert value(after, "smshall_smpp_bind_state", bind="sim", state="bound") == 1
    assert sum(family(after, "smshall_smpp_bind_state").values()) == 1
    assert value(after, "smshall_smpp_window_in_use", bind="sim") == 0
    assert value(after, "smshall_smpp_window_size", bind="sim") == 10
