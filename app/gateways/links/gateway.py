"""What an SMPP or CMPP gateway does with its links, whatever the protocol.

Starts and stops them with the batch workers that take what arrives and a
housekeeping tick; picks a transmitter for the outbox sender; hands the
replies of committed MOs over (`on_replies_claimed`, `on_replies_queued`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from app.gateways.batches import Batches, writers_for
from app.gateways.links.supervision import SupervisedLink, round_robin, stop_all
from app.runtime import Runtime
from app.services.outbox import ClaimedReply

log = logging.getLogger("smshall.gateways")

#: The most arrivals (deliver_sm, DELIVER) one batch (one transaction) takes; the
#: workers writing them are `inbound_writers` (one on SQLite, see `writers_for`).
MO_BATCH = 64

L = TypeVar("L", bound=SupervisedLink)
A = TypeVar("A")


class LinkGateway(Generic[L, A]):
    def __init__(self, runtime: Runtime, name: str, connections: Sequence[L]) -> None:
        self.connections = list(connections)
        self._arrivals: Batches[A] = Batches(
            self._deliver,
            workers=writers_for(runtime.engine.dialect.name, runtime.settings.inbound_writers),
            size=MO_BATCH,
            name=f"{name}-mo",
        )
        #: Called after a batch of MOs committed: their replies wait in the outbox,
        #: or were claimed for this process's sender as they were written.
        self.on_replies_queued: Callable[[], None] = lambda: None
        self.on_replies_claimed: Callable[[list[ClaimedReply]], None] = lambda replies: None
        self._round_robin = itertools.count()
        self._stop = threading.Event()
        self._housekeeping = threading.Thread(target=self._tick, name=f"{name}-tick", daemon=True)

    def start(self) -> None:
        self._arrivals.start()
        for connection in self.connections:
            connection.start()
        self._housekeeping.start()

    def stop(self) -> None:
        self._stop.set()
        stop_all(self.connections)  # all log out in parallel, then each is waited for
        self._arrivals.stop()
        if self._housekeeping.is_alive():
            self._housekeeping.join(2.0)

    def _deliver(self, arrivals: list[A]) -> None:
        raise NotImplementedError

    def _housekeep(self, ticks: int) -> None:
        """Once a second: expire what waited too long, log counters."""

    def _tick(self) -> None:
        ticks = 0
        while not self._stop.wait(1.0):
            ticks += 1
            try:
                self._housekeep(ticks)
            except Exception:
                log.exception("gateway housekeeping failed")

    def _hand_over(self, claimed: list[ClaimedReply], queued: bool) -> None:
        if claimed:
            self.on_replies_claimed(claimed)
        if queued:
            self.on_replies_queued()

    # -- traffic to the peer ------------------------------------------------------

    def transmitter(self) -> L | None:
        """A bound, unpaused transmitter, round robin; a paused one if that is all."""
        ready = [c for c in self.connections if c.can_transmit and c.bound]
        return round_robin(ready, self._round_robin)

    @property
    def any_transmitter(self) -> bool:
        return any(c.can_transmit and c.bound for c in self.connections)

    def window_capacity(self) -> int:
        windows = [c.config.window for c in self.connections if c.can_transmit]  # type: ignore[attr-defined]
        return sum(windows) or 1

    def batch_counters(self) -> dict[str, int]:
        return dict(self._arrivals.counters)

    def view(self) -> list[dict[str, Any]]:
        return [c.view() for c in self.connections]  # type: ignore[attr-defined]
