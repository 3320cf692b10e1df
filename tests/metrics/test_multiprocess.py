"""Multi-process mode: the counts of every worker in one `/metrics`, whichever answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.metrics.exposition import MULTIPROC_ENV
from tests.conftest import ADMIN_TOKEN, auth
from tests.metrics.scrape import parse, scrape, value
from tests.service_process import ROOT, environment, serve, wait_healthy
from tests.support.ports import free_port

#: A process of its own in multi-process mode, counting through the service's hook.
WRITER = textwrap.dedent(
    """
    import sys
    from app.metrics import jobs
    jobs.imported(sys.argv[1], type("Report", (), {"rows": int(sys.argv[2])})())
    """
)


def write_in_process(directory: Path, kind: str, rows: int) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(directory), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", WRITER, kind, str(rows)], env=env, check=True)


def test_metrics_aggregate_the_files_of_every_process(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_in_process(tmp_path, "usage", 7)
    write_in_process(tmp_path, "usage", 5)
    write_in_process(tmp_path, "subscribers", 2)
    assert len(list(tmp_path.glob("counter_*.db"))) == 3  # one file per process
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    samples = scrape(client)
    assert value(samples, "smshall_import_rows_total", kind="usage") == 12
    assert value(samples, "smshall_import_rows_total", kind="subscribers") == 2
    assert ("smshall_outbox_queued", frozenset()) in samples  # read when scraped, as ever


def test_two_workers_of_serve_report_every_mo_in_each_scrape(
    database_url: str, tmp_path: Path, runtime: object, catalog: None
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (serve refuses them on SQLite)")
    directory = tmp_path / "metrics"
    directory.mkdir()
    write_in_process(directory, "usage", 1000)  # a former run's: emptied at start
    port, url = free_port(), ""
    env = environment(
        database_url, SMSHALL_ADMIN_TOKEN=ADMIN_TOKEN, SMSHALL_METRICS_DIR=str(directory)
    )
    process = serve(tmp_path, env, "--workers", "2", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, tmp_path / "serve.log")
        sent = 12
        for n in range(sent):  # a connection each: the kernel spreads them over the workers
            mo = {"from": "13800138000", "to": "10086", "text": "HELP", "message_id": f"m{n}"}
            answer = httpx.post(f"{url}/v1/mo", json=mo, headers=auth(), timeout=10)
            assert answer.status_code == 200, answer.text
        workers = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        written = {re.sub(r"\D", "", f.name) for f in directory.glob("*.db")}
        assert len(written) >= 2 and written <= set(workers), (written, workers)
        for _ in range(6):
            response = httpx.get(f"{url}/metrics", headers=auth(ADMIN_TOKEN), timeout=10)
            assert response.status_code == 200, response.text
            samples = parse(response.text)
            labels = {"channel": "http-json", "keyword": "HELP", "outcome": "help"}
            assert value(samples, "smshall_mo_total", **labels) == sent
            assert value(samples, "smshall_mo_commit_seconds_count") == sent
            assert value(samples, "smshall_import_rows_total", kind="usage") == 0
    finally:
        process.terminate()
        process.wait(timeout=30)
