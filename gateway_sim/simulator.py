"""The whole simulator: SMPP server and HTTP control API on one asyncio loop.

``Simulator.run()`` is what ``gateway-sim serve`` awaits. ``SimulatorThread``
runs the same thing in a background thread, for pytest fixtures and the
in-process load test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any

import uvicorn

from gateway_sim.cmpp.ismg import Ismg
from gateway_sim.control_api import build_app
from gateway_sim.scenario import Scenario
from gateway_sim.smsc import Smsc
from gateway_sim.traffic import TrafficLog
from gateway_sim.ussd import UssdCenter

log = logging.getLogger("gateway_sim")


class Simulator:
    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        host: str = "127.0.0.1",
        smpp_port: int = 2775,
        http_host: str = "127.0.0.1",
        http_port: int = 8700,
        control_token: str | None = None,
        cmpp_port: int | None = None,
        cmpp_accounts: dict[str, str] | None = None,
    ) -> None:
        self.scenario = scenario or Scenario()
        self.host = host
        self.http_host = http_host
        self.smpp_port = smpp_port
        self.http_port = http_port
        self.traffic = TrafficLog()
        self.smsc = Smsc(self.scenario, self.traffic)
        self.ussd = UssdCenter(self.smsc, self.traffic)
        #: The CMPP ISMG, listening only when a port is given (0 picks a free one).
        self.cmpp_port = cmpp_port
        self.ismg = Ismg(self.traffic, cmpp_accounts)
        self.app = build_app(self, control_token)
        self._http: uvicorn.Server | None = None
        self.started_at = time.time()
        self.ready = asyncio.Event()

    def apply_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.smsc.apply_scenario(scenario)

    def reset(self) -> None:
        self.traffic.reset()
        self.smsc.reset()
        self.ussd.reset()

    def stats(self) -> dict[str, Any]:
        now = time.time()
        t = self.traffic
        by_state: dict[str, int] = {}
        for m in t.mt:
            by_state[m.state] = by_state.get(m.state, 0) + 1
        receipts_by_stat: dict[str, int] = {}
        for r in t.receipts:
            receipts_by_stat[r.stat] = receipts_by_stat.get(r.stat, 0) + 1
        return {
            "uptime": round(now - self.started_at, 3),
            "since_reset": round(now - t.started, 3),
            "mo": {
                "total": t.mo_meter.total,
                "parts": t.mo_parts,
                "per_second": t.mo_meter.per_second(now),
                "queued": len(self.smsc.outbox),
            },
            "mt": {
                "total": t.mt_meter.total,
                "parts": t.mt_parts,
                "per_second": t.mt_meter.per_second(now),
                "by_state": by_state,
                "pending_reassembly": len(self.smsc.reassembler),
            },
            "submit_sm_resp": dict(t.submit_statuses),
            "receipts": {"total": len(t.receipts), "by_stat": receipts_by_stat},
            "generic_nacks_sent": t.generic_nacks,
            "binds": self.smsc.binds(),
            "rate_window_seconds": 10,
        }

    async def start(self, http_socket: socket.socket | None = None) -> None:
        self.smpp_port = await self.smsc.start(self.host, self.smpp_port)
        if self.cmpp_port is not None:
            self.cmpp_port = await self.ismg.start(self.host, self.cmpp_port)
            log.info("CMPP ISMG on %s:%d", self.host, self.cmpp_port)
        if http_socket is None:
            http_socket = bind_socket(self.http_host, self.http_port)
        self.http_port = http_socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._http = uvicorn.Server(config)
        self._http_task = asyncio.get_running_loop().create_task(
            self._http.serve(sockets=[http_socket])
        )
        while not self._http.started:
            if self._http_task.done():
                self._http_task.result()  # surfaces the startup error
            await asyncio.sleep(0.01)
        self.ready.set()
        log.info(
            "SMPP on %s:%d, control API on http://%s:%d/",
            self.host,
            self.smpp_port,
            self.http_host,
            self.http_port,
        )

    async def stop(self) -> None:
        if self._http is not None:
            self._http.should_exit = True
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._http_task, 5)
        await self.smsc.stop()
        await self.ismg.stop()

    async def run(self) -> None:
        await self.start()
        try:
            await self._http_task
        finally:
            await self.smsc.unbind_all()
            await self.stop()


def bind_socket(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say
    # so, and without it every keep-alive HTTP response stalls 40 ms on delayed ACKs.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class SimulatorThread:
    """Run a Simulator in a daemon thread; ports 0 pick free ones."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        smpp_port: int = 0,
        http_port: int = 0,
        control_token: str | None = None,
        cmpp_port: int | None = None,
        cmpp_accounts: dict[str, str] | None = None,
    ) -> None:
        self.sim = Simulator(
            scenario,
            smpp_port=smpp_port,
            http_port=http_port,
            control_token=control_token,
            cmpp_port=cmpp_port,
            cmpp_accounts=cmpp_accounts,
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="gateway-sim", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def smpp_port(self) -> int:
        return self.sim.smpp_port

    @property
    def cmpp_port(self) -> int | None:
        return self.sim.cmpp_port

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.sim.http_port}"

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.sim.start())
        except BaseException as exc:  # hand the failure to start()'s caller
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.sim.stop())
        # Let session tasks see their cancellation before the loop goes away.
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self, timeout: float = 10.0) -> SimulatorThread:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("simulator did not start in time")
        if self._error is not None:
            raise RuntimeError(f"simulator failed to start: {self._error!r}") from self._error
        return self

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        """Run a coroutine on the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run_sync(self, fn: Any, *args: Any, timeout: float = 10.0) -> Any:
        """Run a plain function on the simulator's loop (its state is not thread-safe)."""

        async def wrapper() -> Any:
            return fn(*args)

        return self.call(wrapper(), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
