"""What an SMPP or CMPP gateway does with its links, whatever the protocol.

Starts and stops them with the batch workers that take what arrives and a
housekeeping tick; picks a transmitter for the outbox sender; hands the
replies of committed MOs to that sender (`links/sender.py`).

The gateway and its sender need each other: the sender submits through the
gateway's links, the gateway hands it the replies its MOs claimed. So the
gateway is given its sender's factory and builds the sender with itself as
the transmitters; nothing is wired after construction.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from app.gateways.batches import Batches, writers_for
from app.gateways.links.mo_core import MoCore
from app.gateways.links.sender import LinkSender
from app.gateways.links.supervision import SupervisedLink, round_robin, stop_all
from app.runtime import Runtime
from app.services.inbound import OutboxClaim
from app.services.outbox import ClaimedReply
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.gateways")

#: The most arrivals (deliver_sm, DELIVER) one batch (one transaction) takes; the
#: workers writing them are `inbound_writers` (one on SQLite, see `writers_for`).
MO_BATCH = 64

L = TypeVar("L", bound=SupervisedLink)
A = TypeVar("A")


#: Builds a gateway's sender: (uow_factory, transmitters, settings) -> sender.
SenderFactory = Callable[[Callable[[], UnitOfWork], Any, Settings], LinkSender]


class LinkGateway(Generic[L, A]):
    def __init__(
        self,
        runtime: Runtime,
        name: str,
        connections: Sequence[L],
        core: MoCore,
        sender: SenderFactory | None = None,
    ) -> None:
        self.connections = list(connections)
        #: The MO core the arrivals are acted on by: started first, stopped last.
        self.core = core
        self._arrivals: Batches[A] = Batches(
            self._deliver,
            workers=writers_for(runtime.engine.dialect.name, runtime.settings.inbound_writers),
            size=MO_BATCH,
            name=f"{name}-mo",
        )
        #: The sender of this gateway's replies; None: replies wait in the outbox for
        #: any sender's poll.
        self.sender = sender(runtime.uow_factory, self, runtime.settings) if sender else None
        #: Called after a batch of MOs committed: their replies wait in the outbox,
        #: or were claimed for this process's sender as they were written.
        self.on_replies_queued: Callable[[], None] = self.sender.wake if self.sender else _nothing
        self.on_replies_claimed: Callable[[list[ClaimedReply]], None] = (
            self.sender.take if self.sender else _ignore
        )
        self._round_robin = itertools.count()
        self._stop = threading.Event()
        self._housekeeping = threading.Thread(target=self._tick, name=f"{name}-tick", daemon=True)

    def start(self) -> None:
        self.core.start()
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
        self.core.stop()  # after the last response to the peer

    def offer_claim(self) -> OutboxClaim | None:
        """Asked once per MO batch: the sender's claim on its replies, if any."""
        return self.sender.offer_claim() if self.sender else None

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
        windows = [c.config.window for c in self.connections if c.can_transmit]
        return sum(windows) or 1

    def batch_counters(self) -> dict[str, int]:
        return dict(self._arrivals.counters)

    def write_batches(self) -> dict[str, dict[str, int]]:
        """How many batches each writer made, and of how many items: what each
        transaction carried (their mean size is what group commit saves)."""
        batches = {"mo": self.batch_counters(), "acknowledgements": self.core.ack_counters()}
        if self.sender is not None:
            batches["sent_marks"] = self.sender.mark_counters()
        return batches

    def view(self) -> list[dict[str, Any]]:
        return [c.view() for c in self.connections]


def _nothing() -> None:
    pass


def _ignore(replies: list[ClaimedReply]) -> None:
    pass
