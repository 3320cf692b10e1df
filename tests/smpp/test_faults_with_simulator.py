"""The service's own ESME against the SMSC simulator with each of its faults on.

`SmppService` (binds + outbox sender, as `smshall` runs it) is bound to a
`SimulatorThread` over real sockets on 127.0.0.1, against the test database.
The simulator's faults are switched on (in the scenario or with
`PATCH /api/scenario`) and the assertions are about the service: what it
stored (activations, inbound and reply rows, receipts) and what reached the
handsets (MT per handset counted at the simulator).

Sign-ups (`IWJZS 2`) from distinct subscribers are the traffic of choice: each
must give exactly one activation, one inbound row, one reply row and one MT to
its handset; a second copy acted on would answer "already active" and show up
as a second MT.

Every wait is a polling loop with a deadline; nothing asserts on elapsed time.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.gateways.smpp.service import SmppService
from app.runtime import Runtime
from app.store.database import make_engine
from app.store.models import (
    ActivationRow,
    InboundMessageRow,
    OutboundMessageRow,
    OutboundPartRow,
    PendingReceiptRow,
)
from app.store.unit_of_work import UnitOfWork
from gateway_sim.simulator import SimulatorThread
from tests.smpp.quick_service import start_quick_service
from tests.support.polling import eventually
from tests.support.simulator import simulators
from tests.support.store import count, rows

pytestmark = pytest.mark.usefixtures("catalog")

SIGN_UP = "IWJZS 2"
#: Generous: a deadline only bounds a wait that should end well before it.
DEADLINE = 20.0


def handsets(count: int, block: int = 0) -> list[str]:
    return [f"1380{block:03d}{n:04d}" for n in range(count)]


# -- the simulator --------------------------------------------------------------------


@dataclass
class Sim:
    thread: SimulatorThread
    http: httpx.Client

    @property
    def port(self) -> int:
        return self.thread.smpp_port

    def mo(self, msisdn: str, text: str = SIGN_UP) -> dict[str, Any]:
        response = self.http.post("/api/mo", json={"from": msisdn, "to": "10086", "text": text})
        assert response.status_code == 200, response.text
        return response.json()

    def patch(self, **faults: Any) -> None:
        response = self.http.patch("/api/scenario", json={"faults": faults})
        assert response.status_code == 200, response.text

    def mo_records(self) -> list[dict[str, Any]]:
        return self.http.get("/api/mo", params={"limit": 10_000}).json()["mo"]

    def mt_records(self) -> list[dict[str, Any]]:
        return self.http.get("/api/mt", params={"limit": 10_000}).json()["mt"]

    def stats(self) -> dict[str, Any]:
        return self.http.get("/api/stats").json()

    def closed_binds(self) -> list[dict[str, Any]]:
        return self.http.get("/api/binds").json()["closed"]


@pytest.fixture
def start_sim() -> Iterator[Callable[..., Sim]]:
    """Start simulators (stopped at teardown, after the service that uses them)."""
    with simulators(Sim) as start_one:

        def start(faults: dict[str, Any] | None = None, smpp_port: int = 0, **receipts: Any) -> Sim:
            # Receipts carry the id as in the submit_sm_resp ("same"): each test isolates one
            # fault; mixed hex/decimal ids have a test of their own at the end.
            scenario = {
                "receipts": {"delay": 0.05, "id_format": "same", **receipts},
                "seed": 7,
                "faults": faults or {},
            }
            return start_one(scenario, smpp_port=smpp_port)

        yield start


# -- the service ----------------------------------------------------------------------


@pytest.fixture
def start_service(
    runtime: Runtime, start_sim: Callable[..., Sim]
) -> Iterator[Callable[..., SmppService]]:
    """The SMPP service as the app runs it, with short timers; stopped at teardown."""
    running: list[SmppService] = []

    def start(port: int, wait_bound: bool = True, **bind: Any) -> SmppService:
        values: dict[str, Any] = dict(
            name="sim", host="127.0.0.1", port=port, system_id="smshall",
            password=SecretStr("secret"), mode="rx+tx", tps=0, response_timeout=1.0,
            reconnect_base=0.05, reconnect_max=0.5, throttle_pause=0.2,
        )  # fmt: skip
        service = start_quick_service(runtime, {**values, **bind})
        running.append(service)
        if wait_bound:
            eventually(lambda: service.health()["bound"] == 2, "receiver and transmitter bound")
        return service

    yield start
    for service in running:
        service.stop()


def bind_counters(service: SmppService) -> Counter[str]:
    total: Counter[str] = Counter()
    for connection in service.gateway.connections:
        total.update(connection.counters)
    return total


# -- the database ---------------------------------------------------------------------


def replies(uow_factory: Callable[[], UnitOfWork]) -> list[OutboundMessageRow]:
    return rows(uow_factory, OutboundMessageRow)


def undelivered(uow_factory: Callable[[], UnitOfWork]) -> list[str]:
    """Each reply not delivered yet, with the state of each of its parts."""
    parts: dict[int, list[str]] = {}
    for part in rows(uow_factory, OutboundPartRow):
        parts.setdefault(part.outbound_message_id, []).append(
            f"{part.part_no}:{part.gateway_message_id}:{part.state}"
        )
    return [
        f"reply {r.id} to {r.msisdn} {r.state} after {r.attempts} attempt(s), "
        f"parts {parts.get(r.id, [])}, last error {r.last_error!r}"
        for r in replies(uow_factory)
        if r.state != "delivered"
    ]


def all_replies_in(uow_factory: Callable[[], UnitOfWork], expected: int, states: set[str]) -> bool:
    found = replies(uow_factory)
    return len(found) == expected and all(r.state in states for r in found)


# -- shared checks ----------------------------------------------------------------------


def mt_per_handset(*mt_lists: list[dict[str, Any]]) -> Counter[str]:
    return Counter(m["to"] for mts in mt_lists for m in mts)


def assert_signed_up_once_each(
    uow_factory: Callable[[], UnitOfWork], numbers: list[str], mt: Counter[str]
) -> None:
    """One activation, one inbound, one reply row and one MT per subscriber."""
    inbound = rows(uow_factory, InboundMessageRow)
    assert Counter(i.msisdn for i in inbound) == Counter(numbers), "inbound rows per handset"
    assert {i.outcome for i in inbound} == {"activated"}
    assert count(uow_factory, ActivationRow) == len(numbers)
    assert Counter(r.msisdn for r in replies(uow_factory)) == Counter(numbers)
    assert {n: mt[n] for n in numbers} == {n: 1 for n in numbers}, "MT per handset"
    assert set(mt) <= set(numbers)


def settle_handed_over(sim: Sim, uow_factory: Callable[[], UnitOfWork], numbers: list[str]) -> None:
    """Every MO acknowledged, every reply accepted by the SMSC (row `sent` or
    `delivered`, none failed or still queued) and delivered to its handset (the
    simulator's MT state DELIVRD)."""
    eventually(
        lambda: all(m["acked"] for m in sim.mo_records()), "every MO acknowledged by the ESME"
    )
    eventually(
        lambda: all_replies_in(uow_factory, len(numbers), {"sent", "delivered", "failed"}),
        f"{len(numbers)} replies submitted or given up",
        explain=lambda: undelivered(uow_factory),
    )
    given_up = [r for r in undelivered(uow_factory) if " failed after " in r]
    assert given_up == [], f"replies given up: {given_up}"
    eventually(
        lambda: (
            (mts := sim.mt_records())
            and set(numbers) <= set(mt_per_handset(mts))
            and all(m["state"] == "DELIVRD" for m in mts)
        ),
        "an MT delivered at every handset",
    )


def settle_delivered(sim: Sim, uow_factory: Callable[[], UnitOfWork], numbers: list[str]) -> None:
    """All of the above, and every reply row `delivered` by its receipts."""
    settle_handed_over(sim, uow_factory, numbers)
    eventually(
        lambda: all_replies_in(uow_factory, len(numbers), {"delivered"}),
        f"{len(numbers)} replies marked delivered",
        explain=lambda: undelivered(uow_factory),
    )


def assert_texts_match(uow_factory: Callable[[], UnitOfWork], mts: list[dict[str, Any]]) -> None:
    by_number = {r.msisdn: r.text for r in replies(uow_factory)}
    for mt in mts:
        assert mt["text"] == by_number[mt["to"]]


# -- 1. throttling ------------------------------------------------------------------------


@pytest.mark.parametrize("tps", [20.0, 0.0], ids=["bind-tps-20", "bind-tps-unlimited"])
def test_throttled_submits_are_resent_and_every_reply_delivered_once(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    tps: float,
) -> None:
    numbers = handsets(8)
    for number in numbers:
        add_subscriber(number)
    sim = start_sim({"throttle_tps": 3})
    service = start_service(sim.port, tps=tps)
    for number in numbers:
        sim.mo(number)

    settle_handed_over(sim, uow_factory, numbers)
    mts = sim.mt_records()
    assert_signed_up_once_each(uow_factory, numbers, mt_per_handset(mts))
    assert_texts_match(uow_factory, mts)
    # The SMSC did throttle, and the service saw it as throttling (not as an error).
    assert sim.stats()["submit_sm_resp"].get("ESME_RTHROTTLED", 0) > 0
    counters = bind_counters(service)
    assert counters["submit_throttled"] > 0
    assert counters["submit_permanent"] == 0 and counters["submit_temporary"] == 0


# -- 2. random submit errors -------------------------------------------------------------


def test_temporary_submit_errors_are_retried_until_delivered(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    numbers = handsets(10)
    for number in numbers:
        add_subscriber(number)
    sim = start_sim({"submit_error_rate": 0.2, "submit_error_status": 0x08})
    service = start_service(sim.port)
    for number in numbers:
        sim.mo(number)

    settle_handed_over(sim, uow_factory, numbers)
    mts = sim.mt_records()
    assert_signed_up_once_each(uow_factory, numbers, mt_per_handset(mts))
    assert_texts_match(uow_factory, mts)
    assert sim.stats()["submit_sm_resp"].get("ESME_RSYSERR", 0) > 0
    assert bind_counters(service)["submit_temporary"] > 0
    retried = [r for r in replies(uow_factory) if r.attempts > 1]
    assert retried, "no reply needed a second attempt"
    assert all(r.last_status == 0 and r.error_kind is None for r in replies(uow_factory))


def test_permanent_submit_error_fails_the_reply_with_its_status(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    [number] = handsets(1)
    add_subscriber(number)
    sim = start_sim({"submit_error_rate": 1.0, "submit_error_status": 0x0B})
    service = start_service(sim.port)
    sim.mo(number)

    [reply] = eventually(
        lambda: [r for r in replies(uow_factory) if r.state != "queued"], "the reply settled"
    )
    assert reply.state == "failed"
    assert reply.last_status == 0x0B
    assert reply.error_kind == "permanent"
    assert reply.last_error is not None and "0x0b" in reply.last_error.lower()
    assert reply.attempts == 1, "a permanent status must not be retried"
    assert bind_counters(service)["submit_permanent"] == 1
    assert sim.mt_records() == []
    # The sign-up itself stands: the MO was acknowledged and acted on once.
    eventually(lambda: all(m["acked"] for m in sim.mo_records()), "the MO acknowledged")
    assert count(uow_factory, ActivationRow) == 1
    assert count(uow_factory, OutboundPartRow) == 0


# -- 3. slow / missing enquire_link_resp ------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"enquire_link_resp_drop": 1.0}, {"enquire_link_resp_delay": 3.0}],
    ids=["missing", "slow"],
)
def test_unanswered_enquire_link_kills_the_link_and_the_esme_rebinds(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
) -> None:
    caplog.set_level(logging.INFO, logger="smshall.smpp.session")
    [number] = handsets(1)
    add_subscriber(number)
    sim = start_sim(fault)
    service = start_service(sim.port, enquire_link_interval=0.3, response_timeout=0.6)

    # Both links go idle, enquire, get no answer in time, are declared dead and bound again.
    eventually(
        lambda: all(
            c.counters["disconnects"] >= 1 and c.counters["binds"] >= 2
            for c in service.gateway.connections
        ),
        "each link declared dead and bound again",
    )
    dead = [r for r in caplog.records if "enquire_link unanswered" in r.getMessage()]
    assert len({r.getMessage().split(":")[0] for r in dead}) == 2, "both links, for that reason"
    assert len(sim.closed_binds()) >= 2

    sim.patch(enquire_link_resp_drop=0.0, enquire_link_resp_delay=0.0)
    eventually(lambda: service.health()["bound"] == 2, "bound again")
    sim.mo(number)
    settle_delivered(sim, uow_factory, [number])
    assert_signed_up_once_each(uow_factory, [number], mt_per_handset(sim.mt_records()))


# -- 4. connections dropped every N seconds ---------------------------------------------


def test_mo_stream_through_dropped_connections_is_answered_exactly_once(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    numbers = handsets(14)
    for number in numbers:
        add_subscriber(number)
    sim = start_sim({"drop_connections_every": 0.7})
    service = start_service(sim.port, reconnect_base=0.05, reconnect_max=0.2)
    for number in numbers:
        sim.mo(number)
        time.sleep(0.2)  # a stream spread over several drops, not one burst

    eventually(
        lambda: set(numbers) <= set(mt_per_handset(sim.mt_records())),
        "an MT at every handset while connections keep dropping",
    )
    assert len(sim.closed_binds()) >= 2, "the fault dropped no connection"
    assert bind_counters(service)["disconnects"] >= 1
    # Drops off: whatever was pending (MO redeliveries, receipts, resends) settles.
    sim.patch(drop_connections_every=0)
    settle_handed_over(sim, uow_factory, numbers)
    mts = sim.mt_records()
    assert_signed_up_once_each(uow_factory, numbers, mt_per_handset(mts))
    assert_texts_match(uow_factory, mts)


# -- 5. binds refused for a while ---------------------------------------------------------


def test_refused_binds_are_retried_with_backoff_then_traffic_flows(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    [number] = handsets(1)
    add_subscriber(number)
    sim = start_sim({"refuse_binds_for": 1.5})
    service = start_service(sim.port, wait_bound=False, reconnect_base=0.1, reconnect_max=0.4)
    # An MO waiting at the SMSC for a receiver to bind.
    sim.mo(number)

    eventually(lambda: service.health()["bound"] == 2, "bound once the SMSC accepts binds")
    for connection in service.gateway.connections:
        refused = connection.counters["bind_refused"]
        assert refused >= 1, f"{connection.name}: no bind was refused"
        # Backoff, not a hot loop: a handful of tries in the refusal window, not hundreds.
        assert refused <= 20, f"{connection.name}: {refused} refused binds"
        assert connection.counters["binds"] == 1
        assert connection.counters["connects"] == refused + 1
    settle_delivered(sim, uow_factory, [number])
    assert_signed_up_once_each(uow_factory, [number], mt_per_handset(sim.mt_records()))


# -- 6. delayed submit_sm_resp, receipts before the resp ---------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"delayed_resp_rate": 1.0, "delayed_resp_seconds": 0.4},
        {"receipt_before_resp": True},
    ],
    ids=["delayed-resp", "receipt-before-resp"],
)
def test_replies_end_delivered_when_receipts_beat_the_resp(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    fault: dict[str, Any],
) -> None:
    numbers = handsets(7)  # two-part replies: ids 0x01-0x0e, see the last test for more
    for number in numbers:
        add_subscriber(number)
    sim = start_sim(fault)
    start_service(sim.port)
    for number in numbers:
        sim.mo(number)

    settle_delivered(sim, uow_factory, numbers)
    mts = sim.mt_records()
    assert_signed_up_once_each(uow_factory, numbers, mt_per_handset(mts))
    receipts = sim.http.get("/api/receipts").json()["receipts"]
    assert len(receipts) == sum(m["segments"] for m in mts)
    if fault.get("receipt_before_resp"):
        assert all(r["before_resp"] for r in receipts)
    parts = rows(uow_factory, OutboundPartRow)
    assert len(parts) == len(receipts)
    assert {p.state for p in parts} == {"delivered"}
    assert count(uow_factory, PendingReceiptRow) == 0, "an early receipt was never applied"
    assert sim.stats()["submit_sm_resp"] == {"ESME_ROK": len(parts)}, "nothing resent"


# -- 7. the SMSC killed and restarted mid-load ------------------------------------------


@contextlib.contextmanager
def inbound_writes_held(database_url: str) -> Iterator[None]:
    """Hold back every write of inbound messages from a connection of the test's own:
    the service's MO transactions wait (SQLite's write lock; on PostgreSQL a table
    lock that still lets reads through) until the block ends and the lock goes."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():  # SQLite: BEGIN IMMEDIATE
            if engine.dialect.name != "sqlite":
                connection.exec_driver_sql("LOCK TABLE inbound_messages IN EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


def test_smsc_killed_and_restarted_mid_load_answers_every_mo_once(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    database_url: str,
) -> None:
    first, stuck, later = handsets(12, block=1), handsets(3, block=3), handsets(6, block=2)
    for number in first + stuck + later:
        add_subscriber(number)
    old = start_sim()
    port = old.port
    service = start_service(port, reconnect_base=0.05, reconnect_max=0.3)

    for number in first:
        old.mo(number)
    eventually(
        lambda: any(m["acked"] for m in old.mo_records()), "the ESME answering the first MO",
        every=0.005,
    )  # fmt: skip
    with inbound_writes_held(database_url):
        # These reach the ESME but cannot be committed, so none is answered: whatever
        # else is acknowledged by now, they are in flight when the SMSC dies.
        for number in stuck:
            old.mo(number)
        time.sleep(0.2)  # let the ESME read them and start their batch
        # Killed: the SMPP side goes at once (no unbind; what is in flight either way is
        # cut off), then the thread. `SimulatorThread.stop()` alone first shuts its HTTP
        # server down gracefully while SMPP carries on, which is not a crash.
        old.thread.call(old.thread.sim.smsc.stop())
        old.thread.stop()
    assert not old.thread._thread.is_alive(), "the simulator thread did not stop"
    # Its state is frozen now; read it directly (its HTTP API is gone with it).
    unanswered = [m for m in old.thread.sim.traffic.mo if any(a != 0 for a in m.acks)]
    old_mt = [m.view() for m in old.thread.sim.traffic.mt if m.complete]
    assert set(stuck) <= {m.source for m in unanswered}, "the held-back MOs were answered"

    new = start_sim(smpp_port=port)
    # A real SMSC redelivers what was never acknowledged: the same deliver_sm again.
    for record in unanswered:
        new.mo(record.source, record.text)
    for number in later:
        new.mo(number)
    eventually(lambda: service.health()["bound"] == 2, "bound to the restarted SMSC")

    everyone = first + stuck + later
    eventually(
        lambda: set(everyone) <= set(mt_per_handset(old_mt, new.mt_records())),
        "an MT at every handset, before or after the restart",
    )
    eventually(lambda: all(m["acked"] for m in new.mo_records()), "every redelivery acknowledged")
    eventually(
        lambda: all_replies_in(uow_factory, len(everyone), {"sent", "delivered"}),
        "every reply submitted",
    )
    assert_signed_up_once_each(uow_factory, everyone, mt_per_handset(old_mt, new.mt_records()))
    assert_texts_match(uow_factory, old_mt + new.mt_records())


# -- receipts past message id 0x10 -----------------------------------------------------


@pytest.mark.parametrize(
    ("receipts", "faults", "convention"),
    [
        # Hex ids in submit_sm_resp (0000000a), the same ids in decimal (10) in the
        # receipts, as the simulator's `id_format: dec` does, and the bind told so
        # (Kannel's msg-id-type); receipts once every reply is submitted, so every
        # colliding id exists by then.
        ({"delay": 1.0, "id_format": "dec"}, {}, "decimal_for_hex"),
        # Hex ids in both places, each receipt before its submit_sm_resp.
        ({"id_format": "same"}, {"receipt_before_resp": True}, "same"),
    ],
    ids=["decimal-receipts-for-hex-ids", "hex-receipts-before-resp"],
)
def test_receipts_past_id_0x10_settle_the_part_they_are_about(
    start_sim: Callable[..., Sim],
    start_service: Callable[..., SmppService],
    add_subscriber: Callable[..., int],
    uow_factory: Callable[[], UnitOfWork],
    receipts: dict[str, Any],
    faults: dict[str, Any],
    convention: str,
) -> None:
    """Past id 0x10 the decimal reading of one id is the hex form of another
    ("10" is 0x0a in decimal and 0x10 in hex): with the bind's id convention
    each receipt must settle its own part, before or after its resp."""
    numbers = handsets(10)  # two-part replies: ids 0x01 to 0x14
    for number in numbers:
        add_subscriber(number)
    sim = start_sim(faults, **receipts)
    start_service(sim.port, receipt_ids=convention)
    for number in numbers:
        sim.mo(number)

    settle_delivered(sim, uow_factory, numbers)
    assert_signed_up_once_each(uow_factory, numbers, mt_per_handset(sim.mt_records()))
    assert count(uow_factory, PendingReceiptRow) == 0
