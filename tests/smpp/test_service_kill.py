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
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.runtime import Runtime
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread
from tests.kannel.real_kannel import free_port
from tests.service_process import environment, serve

pytestmark = pytest.mark.usefixtures("catalog")

WINDOW = 10
KILLS = 3
NUMBERS = [f"1380013{n:04d}" for n in range(30)]
#: Each number signs up twice (one activation, then "already active") among queries.
TEXTS = ["IWJZS 2", "CXYE", "HELP", "IWJZS 2", "CXLL", "余额", "CXYE", "HELP"]


@pytest.fixture
def simulator() -> Iterator[SimulatorThread]:
    scenario = from_dict({"receipts": {"delay": 0.05}, "seed": 11})
    with SimulatorThread(scenario) as thread:
        yield thread


def service_environment(database_url: str, smsc_port: int) -> dict[str, str]:
    bind = (
        f'[{{"name": "sim", "host": "127.0.0.1", "port": {smsc_port}, "system_id": "smshall",'
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
            open_replies = count(
                runtime,
                select(func.count())
                .select_from(OutboundMessageRow)
                .where(OutboundMessageRow.state == "queued"),
            )
            return len(acks) == mo_total and all(a == 0 for a in acks) and open_replies == 0

        until(settled, 120, "every MO acknowledged and every reply settled", tmp_path)
    finally:
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        control.close()
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log[-4000:]

    # No activation doubled: one per number, however often it asked and crashed.
    per_number = count(runtime, select(func.count()).select_from(ActivationRow))
    assert per_number == len(NUMBERS)
    # Every MO recorded once. A redelivered MO is found by its digest, acted on once
    # (app/gateways/smpp/dedupe.py); what the digest cannot tell apart is a subscriber's
    # identical text arriving across a kill before the first copy's acknowledgement was
    # marked: answered from that copy. Either way at most a window per kill.
    inbound = count(runtime, select(func.count()).select_from(InboundMessageRow))
    assert abs(inbound - mo_total) <= KILLS * WINDOW
    replies = count(runtime, select(func.count()).select_from(OutboundMessageRow))
    assert replies >= inbound
    time.sleep(0.5)  # the last receipts' submits are all in; nothing more arrives
    duplicates = mt_total(simulator) - replies
    assert 0 <= duplicates <= KILLS * WINDOW, f"{duplicates} replies sent twice"
