"""Run the SMSC simulator beside the demo service, as a separate process.

The simulator is a network peer: the service talks to it over SMPP like any
SMSC, so it is started as its own program (`python -m gateway_sim`), never
imported.
"""

from __future__ import annotations

import ctypes
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from app.settings import SmppBind

PR_SET_PDEATHSIG = 1


@dataclass
class DemoSimulator:
    smpp_port: int = 2775
    http_port: int = 8700
    process: subprocess.Popen[bytes] | None = None
    password: str = ""

    @property
    def handset_page(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    def start(self, timeout: float = 20.0) -> SmppBind:
        """Start it on loopback with a fresh password; return the bind to it."""
        for port in (self.smpp_port, self.http_port):
            if _in_use(port):
                raise RuntimeError(f"port {port} is taken: is another demo running?")
        self.password = secrets.token_hex(4)  # SMPP 3.4 passwords hold 8 characters
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway_sim", "serve",
             "--smpp-port", str(self.smpp_port), "--http-port", str(self.http_port),
             "--system-id", "smshall", "--password", self.password],
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the simulator exited at start; see its output above")
            try:
                httpx.get(f"http://127.0.0.1:{self.http_port}/api/health", timeout=1.0)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("the simulator did not come up")
        return SmppBind(
            name="sim",
            host="127.0.0.1",
            port=self.smpp_port,
            system_id="smshall",
            password=self.password,
            tps=100,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _die_with_parent() -> None:
    """Linux: the simulator gets SIGTERM when the demo process dies, however it
    dies (uvicorn re-raises the signal that stopped it, skipping `finally`)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: `stop()` in the demo's `finally` remains
        pass


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
