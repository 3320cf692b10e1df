"""`smshall serve --workers N`: several HTTP worker processes on one PostgreSQL,
refused where they cannot share the setup."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import auth
from tests.service_process import environment, serve, wait_healthy
from tests.support.ports import free_port


def test_several_workers_are_refused_on_sqlite_or_with_smpp_binds(
    database_url: str, tmp_path: Path
) -> None:
    bind = '[{"name": "main", "host": "127.0.0.1", "port": 2775, "system_id": "smshall"}]'
    env = environment(database_url, SMSHALL_SMPP_BINDS=bind)
    process = serve(tmp_path, env, "--workers", "2", "--port", str(free_port()))
    assert process.wait(timeout=60) == 2
    said = (tmp_path / "serve.log").read_text()
    expected = "SQLite" if database_url.startswith("sqlite") else "SMPP bind"
    assert "--workers 2" in said and expected in said


def test_two_workers_answer_mo_on_postgresql(
    database_url: str, tmp_path: Path, runtime: object, catalog: None
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (refused on SQLite: the test above)")
    port = free_port()
    process = serve(tmp_path, environment(database_url), "--workers", "2", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, tmp_path / "serve.log")
        for n in range(6):
            mo = {"from": "13800138000", "to": "10086", "text": "HELP", "message_id": f"w{n}"}
            answer = httpx.post(f"{url}/v1/mo", json=mo, headers=auth(), timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["outcome"] == "help"
        workers = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) >= 2
    finally:
        process.terminate()
        process.wait(timeout=30)
