"""kill -9 of the service under SMPP load, three times, on each database.

What a crash may cost and what it may not: no MO is lost (the SMSC gets every
deliver_sm acknowledged in the end and every MO is answered), no activation is
doubled, and the replies a crash sends twice (submitted, not yet marked sent,
so sent again when their claim's lease ends) are at most one bind window per
kill (`app/gateways/unsettled.py`).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.runtime import Runtime
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread
from tests.service_process import environment, serve
from tests.support.ports import free_port

pytestmark = pytest.mark.usefixtures("catalog")

WINDOW = 10
KILLS = 3
NUMBERS = [f"1380013{n:04d}" for n in range(30)]
#: Each number signs up twice (one activation, then "already active") among queries.
TEXTS = ["IWJZS 2", "CXYE", "HELP", "IWJZS 2", "CXLL", "余额", "CXYE", "HELP"]


@pytest.fixture
def simulator() -> Iterator[SimulatorThread]:
    # Like a real SMSC, at most a window of deliver_sm awaits its response per bind.
    scenario = from_dict({"receipts": {"delay": 0.05}, "seed": 11, "deliver_window": WINDOW})
    with SimulatorThread(scenario) as thread:
        yield thread


def service_environment(
    database_url: str, smsc_port: int, system_id: str = "smshall"
) -> dict[str, str]:
    """Every process names its bind `sim` (an MO's dedupe digest includes the name);
    `system_id` tells the SMSC which process a bind belongs to."""
    bind = (
        f'[{{"name": "sim", "host": "127.0.0.1", "port": {smsc_port}, "system_id": "{system_id}",'
        f' "password": "secret", "mode": "rx+tx", "window": {WINDOW}, "tps": 0,'
        ' "reconnect_base": 0.05}]'
    )
    return environment(
        database_url,
        SMSHALL_SMPP_BINDS=bind,
        SMSHALL_MO_PER_MINUTE="0",
        SMSHALL_RECEIVED_AT_MAX_AGE_DAYS="3650",
        # A killed process's claims go again after this lease, not the default 120 s.
        SMSHALL_OUTBOX_CLAIM_LEASE="2",
        SMSHALL_OUTBOX_RETRY_BASE="0.2",
        SMSHALL_ACCESS_LOG="false",
    )


def count(runtime: Runtime, query: object) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.scalar(query) or 0)  # type: ignore[arg-type]


def until(check: Callable[[], bool], timeout: float, what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            log = (tmp_path / "serve.log").read_text()
            raise AssertionError(f"timed out waiting for {what}; the service said:\n{log[-6000:]}")
        time.sleep(0.05)


def mt_total(simulator: SimulatorThread) -> int:
    return int(simulator.run_sync(simulator.sim.stats)["mt"]["total"])


def stop_services(running: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every service process, then wait for each (killing one that hangs)."""
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def queued(runtime: Runtime) -> int:
    """Replies still waiting in the outbox."""
    query = select(func.count()).select_from(OutboundMessageRow)
    return count(runtime, query.where(OutboundMessageRow.state == "queued"))


@pytest.mark.parametrize("processes", [1, 2])
def test_kill_9_under_load_loses_nothing_and_resends_at_most_a_window(
    runtime: Runtime,
    add_subscriber: Callable[..., int],
    simulator: SimulatorThread,
    tmp_path: Path,
    processes: int,
) -> None:
    """One process, killed and restarted; or two on one database, each bound to the
    SMSC, killed in turn while the other carries on (the SMSC sends a dead bind's
    unacknowledged deliver_sm to the live one)."""
    if processes > 1 and not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("several service processes share PostgreSQL, not SQLite")
    for number in NUMBERS:
        add_subscriber(number)
    env = service_environment(runtime.settings.database_url, simulator.smpp_port)
    ports = [("--port", str(free_port())) for _ in range(processes)]
    running = [serve(tmp_path, env, *args) for args in ports]
    control = httpx.Client(base_url=simulator.http_url, timeout=15)
    sent = 0
    try:
        for text in TEXTS:  # all queued at the SMSC at once: the service is never idle
            for number in NUMBERS:
                body = {"from": number, "to": "10086", "text": text}
                assert control.post("/api/mo", json=body).status_code == 200
                sent += 1
        mo_total = sent
        for kill in range(1, KILLS + 1):
            # Kill while replies flow: a share of the run answered, far from all of it.
            until(
                lambda kill=kill: mt_total(simulator) >= kill * mo_total // (KILLS + 1),
                90, f"replies before kill {kill}", tmp_path,
            )  # fmt: skip
            victim = kill % processes
            running[victim].send_signal(signal.SIGKILL)
            running[victim].wait(timeout=10)
            running[victim] = serve(tmp_path, env, *ports[victim])

        def settled() -> bool:
            acks = simulator.run_sync(lambda: [a for r in simulator.sim.traffic.mo for a in r.acks])
            return len(acks) == mo_total and all(a == 0 for a in acks) and not queued(runtime)

        until(settled, 120, "every MO acknowledged and every reply settled", tmp_path)
    finally:
        stop_services(running)
        control.close()
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log[-4000:]

    # No activation doubled: one per number, however often it asked and crashed.
    per_number = count(runtime, select(func.count()).select_from(ActivationRow))
    assert per_number == len(NUMBERS)
    # Every MO recorded once. A redelivered MO is found by its digest, acted on once
    # (app/gateways/links/dedupe.py); what the digest cannot tell apart is a subscriber's
    # identical text arriving across a kill before the first copy's acknowledgement was
    # marked: answered from that copy. Either way at most a window per kill.
    inbound = count(runtime, select(func.count()).select_from(InboundMessageRow))
    assert abs(inbound - mo_total) <= KILLS * WINDOW
    replies = count(runtime, select(func.count()).select_from(OutboundMessageRow))
    assert replies >= inbound
    time.sleep(0.5)  # the last receipts' submits are all in; nothing more arrives
    duplicates = mt_total(simulator) - replies
    assert 0 <= duplicates <= KILLS * WINDOW, f"{duplicates} replies sent twice"


# -- two processes sharing long MOs and USSD dialogues ------------------------------

NODES = ("node-1", "node-2")
LONG_NUMBERS = NUMBERS[:12]
USSD_NUMBERS = [f"1390013{n:04d}" for n in range(8)]
#: Dial, then 3 (free trials), 1 (my home), 2 (the 26-yuan plan): a sign-up, by SMS too.
USSD_STEPS = ("*10086#", "3", "1", "2")


def long_text(number: str) -> str:
    """Three UCS-2 parts, each number's its own."""
    return "我想查询一下本月的话费余额和套餐使用情况" * 7 + number


@pytest.fixture
def two_node_simulator() -> Iterator[SimulatorThread]:
    """The SMSC knows each process by its system_id; it hands deliver_sm round-robin
    to every bound receiver, so a long MO's consecutive parts and a dialogue's
    steps reach both processes."""
    accounts = [{"system_id": node, "password": "secret"} for node in NODES]
    scenario = from_dict(
        {"receipts": {"delay": 0.05}, "seed": 12, "accounts": accounts, "deliver_window": WINDOW}
    )
    with SimulatorThread(scenario) as thread:
        yield thread


def node_of_binds(simulator: SimulatorThread) -> dict[str, str]:
    """Each SMSC bind id (live or closed) -> the system_id of the process that held it."""

    def read() -> dict[str, str]:
        smsc = simulator.sim.smsc
        views = [*smsc.closed_sessions, *(s.view() for s in smsc.sessions.values())]
        return {v["id"]: v["system_id"] for v in views}

    return simulator.run_sync(read)


def run_dialogue(control: httpx.Client, msisdn: str) -> dict[str, Any]:
    """Walk USSD_STEPS from one handset, each screen awaited; the last screen."""
    view: dict[str, Any] = {}
    for step in USSD_STEPS:
        body = {"msisdn": msisdn, "wait": 30} | (
            {"code": step} if step[0] == "*" else {"input": step}
        )
        view = control.post("/api/ussd", json=body).json()
        deadline = time.monotonic() + 90  # a step in a killed process comes back redelivered
        while view.get("waiting") and time.monotonic() < deadline:
            time.sleep(0.1)
            view = control.get(f"/api/ussd/{msisdn}").json()
        if view.get("waiting") or view.get("end"):
            return view
    return view


def test_two_processes_share_long_mos_and_ussd_dialogues_across_a_kill(
    runtime: Runtime,
    add_subscriber: Callable[..., int],
    two_node_simulator: SimulatorThread,
    tmp_path: Path,
) -> None:
    """Two `smshall serve` on one PostgreSQL, each bound to the SMSC: MOs, long MOs
    whose parts land on both, and USSD dialogues whose steps land on both; one
    process is killed with SIGKILL midway and restarted."""
    if not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("several service processes share PostgreSQL, not SQLite")
    simulator = two_node_simulator
    for number in NUMBERS + USSD_NUMBERS:
        add_subscriber(number)
    envs = [service_environment(runtime.settings.database_url, simulator.smpp_port, node)
            for node in NODES]  # fmt: skip
    ports = [("--port", str(free_port())) for _ in NODES]
    running = [serve(tmp_path, env, *args) for env, args in zip(envs, ports, strict=True)]
    control = httpx.Client(base_url=simulator.http_url, timeout=120)
    pool = ThreadPoolExecutor(len(USSD_NUMBERS))
    try:
        until(lambda: set(node_of_binds(simulator).values()) == set(NODES), 60,
              "both processes bound", tmp_path)  # fmt: skip
        sms = 0
        for round_, text in enumerate(TEXTS):
            for number in NUMBERS:
                body = {"from": number, "to": "10086", "text": text}
                assert control.post("/api/mo", json=body).status_code == 200
                sms += 1
            if round_ == 1:  # long MOs and dialogues among the short ones
                for number in LONG_NUMBERS:
                    body = {"from": number, "to": "10086", "text": long_text(number)}
                    assert control.post("/api/mo", json=body).status_code == 200
                dialogues = [pool.submit(run_dialogue, control, n) for n in USSD_NUMBERS]
        until(lambda: mt_total(simulator) >= sms // 3, 90, "replies before the kill", tmp_path)
        running[0].send_signal(signal.SIGKILL)
        running[0].wait(timeout=10)
        running[0] = serve(tmp_path, envs[0], *ports[0])
        screens = [d.result(timeout=180) for d in dialogues]

        def settled() -> bool:
            acks = simulator.run_sync(lambda: [a for r in simulator.sim.traffic.mo for a in r.acks])
            return all(a == 0 for a in acks) and not queued(runtime)

        until(settled, 120, "every MO acknowledged and every reply settled", tmp_path)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_services(running)
        control.close()
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log[-4000:]
    nodes = node_of_binds(simulator)
    records = simulator.run_sync(lambda: list(simulator.sim.traffic.mo))

    # Every USSD dialogue reached its last screen, the sign-up's.
    assert [s.get("end") for s in screens] == [True] * len(USSD_NUMBERS), screens
    # One activation per subscriber: the SMS sign-ups and the USSD ones.
    with runtime.engine.connect() as connection:
        per_subscriber = connection.execute(
            select(ActivationRow.subscriber_id, func.count()).group_by(ActivationRow.subscriber_id)
        ).all()
        texts = list(connection.scalars(select(InboundMessageRow.text)))
    assert len(per_subscriber) == len(NUMBERS) + len(USSD_NUMBERS)
    assert {n for _, n in per_subscriber} == {1}
    # Each long MO recorded once, whole; never a part of one on its own.
    for number in LONG_NUMBERS:
        whole = long_text(number)
        assert texts.count(whole) == 1, number
        assert not [t for t in texts if t != whole and len(t) > 20 and t in whole], number
    # The parts of long MOs and the steps of dialogues did land on both processes.
    long_records = [r for r in records if r.segments > 1]
    assert any({nodes[b] for b in r.bind_ids} == set(NODES) for r in long_records)
    ussd_nodes: dict[str, set[str]] = {}
    for record in records:
        if record.ussd is not None:
            ussd_nodes.setdefault(record.source, set()).update(nodes[b] for b in record.bind_ids)
    assert any(found == set(NODES) for found in ussd_nodes.values()), ussd_nodes
    # No MO acted on twice: each recorded once, give or take what the dedupe cannot
    # tell apart across a kill (a subscriber's identical text), at most a window.
    inbound = len(texts)
    expected = sms + len(LONG_NUMBERS) + len(USSD_NUMBERS) * len(USSD_STEPS)
    assert abs(inbound - expected) <= WINDOW
