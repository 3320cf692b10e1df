"""`smshall serve` as a process of its own, for tests that need several of them
or kill one: configured by SMSHALL_* variables only, its output in a log file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import GATEWAY_TOKEN, SERVICE_CLOCK_START

ROOT = Path(__file__).resolve().parents[1]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSHALL_")}
    env.pop("DATABASE_URL", None)
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "SMSHALL_DATABASE_URL": database_url,
        "SMSHALL_GATEWAY_TOKEN": GATEWAY_TOKEN,
        "SMSHALL_SCHEDULED_INTERVAL": "0",
        "SMSHALL_CLOCK_START": SERVICE_CLOCK_START,
        **extra,
    }


def serve(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start `smshall serve ARGS`; its output is appended to tmp_path/serve.log."""
    log = (tmp_path / "serve.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", *args],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_healthy(url: str, log: Path, timeout: float = 60.0) -> None:
    """Until the service at `url` answers `/health` with 200 (its log shown if not)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)
