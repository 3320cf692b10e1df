"""README command 1: `smshall demo` sets everything up, binds to the simulator,
and a text from the simulator's handset gets the service's answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.polling import eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.slow


def up(check):  # type: ignore[no-untyped-def]
    """`check`'s first true answer: the demo takes a while to come up, and refuses
    connections until it does."""
    return eventually(check, "the demo", 30, every=0.3, ignoring=(httpx.HTTPError,))


def test_demo_answers_the_handset(tmp_path: Path) -> None:
    service, smpp, page = free_port(), free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SMSHALL_") and k != "DATABASE_URL"
    }
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(service),
         "--simulator-ports", f"{smpp},{page}"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    sim = f"http://127.0.0.1:{page}"
    try:
        up(lambda: httpx.get(f"http://127.0.0.1:{service}/health").status_code == 200)
        up(lambda: httpx.get(f"{sim}/api/binds").json()["binds"])
        assert httpx.get(f"{sim}/").status_code == 200  # the handset page
        httpx.post(f"{sim}/api/mo", json={"from": "13800138000", "text": "IWJZS 2"})

        def reply() -> str | None:
            messages = httpx.get(f"{sim}/api/handsets/13800138000/conversation").json()["messages"]
            answers = [m for m in messages if m["direction"] == "mt"]
            return answers[0]["text"] if answers else None

        text = up(reply)
        assert "我家26元套餐" in text and "免费9个月" in text
        assert (tmp_path / ".env").read_text().count("TOKEN=") == 2
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    output = (tmp_path / "demo.log").read_text()
    assert "Handset page" in output, output[-2000:]
    # What it prints to try it points at the port it was asked to listen on.
    assert f"smshall demo on http://127.0.0.1:{service} " in output
    assert f"curl -s -X POST http://127.0.0.1:{service}/v1/mo " in output

    # The simulator child goes with the demo, after its own clean shutdown.
    def simulator_gone() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", smpp)) != 0

    eventually(simulator_gone, "the simulator gone", 15, every=0.3)
