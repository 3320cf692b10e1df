"""One SP link to the ISMG: its state, sequence numbers, DELIVERs in flight, ACTIVE_TEST."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from gateway_sim.cmpp import wire

if TYPE_CHECKING:
    from gateway_sim.cmpp.ismg import Ismg

log = logging.getLogger("gateway_sim.cmpp")


class LinkState(StrEnum):
    """Where an SP link stands: open -> connected -> (terminating ->) closed."""

    OPEN = "open"  # TCP up, no accepted CONNECT yet
    CONNECTED = "connected"  # CONNECT accepted; SUBMIT and DELIVER flow
    TERMINATING = "terminating"  # the ISMG sent TERMINATE and waits for TERMINATE_RESP
    CLOSED = "closed"  # the connection is gone; nothing more is sent


@dataclass
class Delivery:
    msg_id: int
    body: Callable[[int], bytes]  # by the link's version
    on_ack: Callable[[int, str], None] = lambda result, link: None
    attempts: int = 0


class IsmgLink:
    def __init__(self, ismg: Ismg, link_id: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:  # fmt: skip
        self.ismg = ismg
        self.id = link_id
        self.reader = reader
        self.writer = writer
        self.state = LinkState.OPEN
        self.source_addr = ""
        self.version = 0x30
        self.sequence = 0
        self.in_flight: dict[int, Delivery] = {}
        self.last_received = time.monotonic()
        self.counters: dict[str, int] = {}

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    def next_sequence(self) -> int:
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        return self.sequence

    def send(self, data: bytes) -> None:
        if self.state != LinkState.CLOSED:
            self.writer.write(data)

    def close(self) -> None:
        if self.state == LinkState.CLOSED:
            return
        self.state = LinkState.CLOSED
        with contextlib.suppress(Exception):
            self.writer.close()
        self.ismg.on_closed(self)

    def deliver(self, delivery: Delivery) -> None:
        sequence = self.next_sequence()
        delivery.attempts += 1
        self.in_flight[sequence] = delivery
        self.send(wire.pdu(wire.DELIVER, sequence, delivery.body(self.version)))

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "source_addr": self.source_addr,
                "version": f"{self.version >> 4}.{self.version & 0xF}",
                "in_flight": len(self.in_flight), "counters": dict(self.counters)}  # fmt: skip

    async def run(self) -> None:
        keeper = asyncio.get_running_loop().create_task(self._active_tests())
        try:
            while self.state != LinkState.CLOSED:
                head = await self.reader.readexactly(12)
                length, command, sequence = struct.unpack(">III", head)
                if not 12 <= length <= 8192:
                    log.info("%s: Total_Length %d; dropping", self.id, length)
                    break
                body = await self.reader.readexactly(length - 12)
                self.last_received = time.monotonic()
                self.ismg.on_pdu(self, command, sequence, body)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            keeper.cancel()
            self.close()

    async def _active_tests(self) -> None:
        while self.state != LinkState.CLOSED:
            await asyncio.sleep(0.05)
            every = self.ismg.faults.active_test_every
            idle = time.monotonic() - self.last_received
            if self.state == LinkState.CONNECTED and every > 0 and idle >= every:
                self.count("active_test_sent")
                self.send(wire.pdu(wire.ACTIVE_TEST, self.next_sequence()))
                self.last_received = time.monotonic()
