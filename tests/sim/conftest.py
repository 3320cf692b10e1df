"""Fixtures: an in-process simulator on free loopback ports, and real SMPP clients."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import smpplib.client
import smpplib.command
import smpplib.smpp
from smpplib import exceptions as smpp_exceptions

from gateway_sim.simulator import SimulatorThread
from tests.support.esme import PASSWORD, SYSTEM_ID
from tests.support.polling import eventually
from tests.support.simulator import simulators

# Fast receipts and a quiet keep-alive unless a test asks otherwise.
BASE_SCENARIO: dict[str, Any] = {
    "receipts": {"delay": 0.05},
    "enquire_link_interval": 30.0,
    "seed": 1234,
}


class Sim:
    """A running simulator plus an HTTP client for its control API."""

    def __init__(self, thread: SimulatorThread, http: httpx.Client) -> None:
        self.thread = thread
        self.port = thread.smpp_port
        self.url = thread.http_url
        self.http = http

    def api(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        assert r.status_code < 400, (r.status_code, r.text)
        return r.json()

    def mo(self, **body: Any) -> dict[str, Any]:
        return self.api("POST", "/api/mo", json=body)

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        return eventually(predicate, what, timeout)


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., Sim]]:
    with simulators(Sim) as start:

        def make(scenario: dict[str, Any] | None = None, **kw: Any) -> Sim:
            return start({**BASE_SCENARIO, **(scenario or {})}, **kw)

        yield make


@pytest.fixture
def sim(sim_factory: Callable[..., Sim]) -> Sim:
    return sim_factory()


class Esme:
    """smpplib Client driven from the test thread: read until a condition holds."""

    def __init__(self, port: int, timeout: float = 0.2) -> None:
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=timeout, allow_unknown_opt_params=True
        )
        self.delivered: list[Any] = []  # deliver_sm PDUs
        self.resps: list[Any] = []  # submit_sm_resp PDUs, any status
        self.events: list[tuple[str, Any]] = []  # both, in arrival order
        self.deliver_status = 0
        self.client.set_message_received_handler(self._on_deliver)
        self.client.set_message_sent_handler(self._on_resp)
        # Error statuses must not raise in read_once; they also reach message_sent_handler.
        self.client.set_error_pdu_handler(lambda pdu: None)

    def _on_deliver(self, pdu: Any) -> int:
        self.delivered.append(pdu)
        self.events.append(("deliver_sm", pdu))
        return self.deliver_status

    def _on_resp(self, pdu: Any) -> None:
        self.resps.append(pdu)
        self.events.append(("submit_sm_resp", pdu))

    def bind(
        self, mode: str = "transceiver", system_id: str = SYSTEM_ID, password: str = PASSWORD
    ) -> Any:
        self.client.connect()
        return getattr(self.client, f"bind_{mode}")(system_id=system_id, password=password)

    def submit(self, **fields: Any) -> Any:
        fields.setdefault("source_addr", "10086")
        fields.setdefault("destination_addr", "13800138000")
        return self.client.send_message(**fields)

    def pump(self, until: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = until()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("timed out reading from the simulator")
            with contextlib.suppress(TimeoutError):
                self.client.read_once(auto_send_enquire_link=False)

    def receipts(self) -> list[Any]:
        return [p for p in self.delivered if p.esm_class & 0x3C == 0x04]

    def mo_parts(self) -> list[Any]:
        return [p for p in self.delivered if p.esm_class & 0x3C == 0]

    def close(self) -> None:
        with contextlib.suppress(smpp_exceptions.ConnectionError, OSError):
            self.client.disconnect()


@pytest.fixture
def esme_factory() -> Iterator[Callable[..., Esme]]:
    made: list[Esme] = []

    def make(port: int, **kw: Any) -> Esme:
        esme = Esme(port, **kw)
        made.append(esme)
        return esme

    yield make
    for esme in made:
        esme.close()


@pytest.fixture
def esme(sim: Sim, esme_factory: Callable[..., Esme]) -> Esme:
    e = esme_factory(sim.port)
    e.bind()
    return e


@pytest.fixture
def ussd_aware_deliver_sm(monkeypatch: pytest.MonkeyPatch) -> None:
    """ESME-side fix for python-smpplib#104 (the simulator never patches smpplib)."""
    cls = smpplib.command.DeliverSM
    params = dict(cls.params)
    params["ussd_service_op"] = smpplib.command.Param(type=int, size=1)
    monkeypatch.setattr(cls, "params", params)
    monkeypatch.setattr(cls, "params_order", (*cls.params_order, "ussd_service_op"))


class RawSmpp:
    """A bare socket speaking SMPP byte by byte, for malformed input."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=3)
        self.seq = 0

    def pdu(self, name: str, **fields: Any) -> bytes:
        self.seq += 1
        p = smpplib.smpp.make_pdu(name, client=_Seq(self.seq), **fields)
        p.sequence = self.seq
        return p.generate()

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def read(self) -> tuple[int, int, int, bytes]:
        """(command_id, status, sequence, raw)."""
        head = self._exact(4)
        (length,) = struct.unpack(">L", head)
        rest = self._exact(length - 4)
        command_id, status, seq = struct.unpack(">LLL", rest[:12])
        return command_id, status, seq, head + rest

    def read_until(self, command_id: int, limit: int = 20) -> tuple[int, int, int, bytes]:
        for _ in range(limit):
            got = self.read()
            if got[0] == command_id:
                return got
        raise AssertionError(f"no PDU 0x{command_id:08x} in {limit} reads")

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by peer")
            buf += chunk
        return buf

    def close(self) -> None:
        self.sock.close()


class _Seq:
    def __init__(self, n: int) -> None:
        self.sequence = n

    def next_sequence(self) -> int:
        return self.sequence


@pytest.fixture
def raw_factory() -> Iterator[Callable[[int], RawSmpp]]:
    made: list[RawSmpp] = []

    def make(port: int) -> RawSmpp:
        raw = RawSmpp(port)
        made.append(raw)
        return raw

    yield make
    for raw in made:
        raw.close()
