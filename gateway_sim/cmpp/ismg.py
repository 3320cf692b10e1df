"""The ISMG: accepts SP links over CMPP 2.0 / 3.0, takes SUBMITs, delivers MOs and reports.

Runs on the simulator's asyncio loop. Accounts are SP id -> shared secret;
CONNECT is checked as an ISMG does (Status 1 wrong structure, 2 unknown SP,
3 authentication failed, 4 version too high). MT is recorded in the shared
traffic log (so `/api/mt` shows it, long MT joined) and each part's status
report is sent after `faults.report_delay`. A DELIVER not answered with
Result 0 before its link closes goes out again (same Msg_Id) on the next link.
Faults: refuse the next N CONNECTs, answer the next N SUBMITs with Result 8,
leave ACTIVE_TEST unanswered, drop a link, write raw bytes on a link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway_sim import segments, text_coding
from gateway_sim.cmpp import wire
from gateway_sim.traffic import MoRecord, MtRecord, TrafficLog

log = logging.getLogger("gateway_sim.cmpp")

GATEWAY_ID = 0x2A5F1  # this ISMG's 22-bit id in the Msg_Ids it makes
MSG_FMT_CODING = {0: 1, 8: 8, 15: 15}  # Msg_Fmt -> the simulator's data_coding for decoding
DEFAULT_ACCOUNTS = {"901234": "secret"}


@dataclass
class IsmgFaults:
    refuse_status: int = 3
    refuse_count: int = 0  # refuse this many next CONNECTs with refuse_status
    flow_control_count: int = 0  # answer this many next SUBMITs with Result 8
    ignore_active_test: bool = False
    active_test_every: float = 0.0  # the ISMG's own ACTIVE_TEST after this idle time (0 = never)
    report_delay: float = 0.05
    reports: bool = True


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
        self.state = "open"
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
        if self.state != "closed":
            self.writer.write(data)

    def close(self) -> None:
        if self.state == "closed":
            return
        self.state = "closed"
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
            while self.state != "closed":
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
        while self.state != "closed":
            await asyncio.sleep(0.05)
            every = self.ismg.faults.active_test_every
            idle = time.monotonic() - self.last_received
            if self.state == "connected" and every > 0 and idle >= every:
                self.count("active_test_sent")
                self.send(wire.pdu(wire.ACTIVE_TEST, self.next_sequence()))
                self.last_received = time.monotonic()


@dataclass
class _LongMt:
    parts: dict[int, bytes] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)


class Ismg:
    def __init__(self, traffic: TrafficLog, accounts: dict[str, str] | None = None) -> None:
        self.traffic = traffic
        self.accounts = dict(accounts or DEFAULT_ACCOUNTS)
        self.faults = IsmgFaults()
        self.links: dict[str, IsmgLink] = {}
        self.outbox: deque[Delivery] = deque()
        self.port = 0
        self._n = 0
        self._msg_seq = 0
        self._rr = 0
        self._long: dict[tuple[str, str, int, int], _LongMt] = {}
        self._server: asyncio.Server | None = None
        self.mo_deliveries: dict[str, list[int]] = {}  # MO record id -> its parts' Msg_Ids

    # -- lifecycle --------------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._accept, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self.links.values()):
            link.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._n += 1
        link = IsmgLink(self, f"cmpp-{self._n}", reader, writer)
        self.links[link.id] = link
        try:
            await link.run()
        except asyncio.CancelledError:
            link.close()

    def on_closed(self, link: IsmgLink) -> None:
        self.links.pop(link.id, None)
        pending = list(link.in_flight.values())
        link.in_flight.clear()
        for delivery in reversed(pending):
            self.outbox.appendleft(delivery)  # unacknowledged: delivered again, same Msg_Id
        self._flush()

    def next_msg_id(self) -> int:
        self._msg_seq = self._msg_seq % 0xFFFF + 1
        return wire.make_msg_id(datetime.now(), GATEWAY_ID, self._msg_seq)

    # -- the protocol -----------------------------------------------------------

    def on_pdu(self, link: IsmgLink, command: int, sequence: int, body: bytes) -> None:
        if command == wire.CONNECT:
            self._connect(link, sequence, body)
        elif command == wire.TERMINATE_RESP and link.state == "terminating":
            link.count("terminate_answered")
            link.close()
        elif link.state != "connected":
            log.info("%s: 0x%08x before CONNECT; dropping", link.id, command)
            link.close()
        elif command == wire.ACTIVE_TEST:
            link.count("active_test_received")
            if not self.faults.ignore_active_test:
                link.send(wire.pdu(wire.ACTIVE_TEST_RESP, sequence, b"\0"))
        elif command == wire.ACTIVE_TEST_RESP:
            link.count("active_test_answered")
        elif command == wire.TERMINATE:
            link.send(wire.pdu(wire.TERMINATE_RESP, sequence))
            link.close()
        elif command == wire.SUBMIT:
            self._submit(link, sequence, body)
        elif command == wire.DELIVER_RESP:
            self._deliver_resp(link, sequence, body)
        else:
            link.count("unexpected")

    def _connect(self, link: IsmgLink, sequence: int, body: bytes) -> None:
        version = body[22] if len(body) >= 27 else 0x30
        reply_version = 0x30 if version > 0x30 else version
        auth = b""
        if len(body) != 27:
            result = 1
        else:
            source, auth, _, stamp = struct.unpack(">6s16sBI", body)
            secret = self.accounts.get(wire.text(source))
            if self.faults.refuse_count > 0:
                self.faults.refuse_count -= 1
                result = self.faults.refuse_status
            elif secret is None:
                result = 2
            elif auth not in wire.expected_authenticators(wire.text(source), secret, stamp):
                result = 3
            elif version > 0x30:
                result = 4
            else:
                result = 0
                link.source_addr, link.version, link.state = wire.text(source), version, "connected"
        status = wire.status(result, reply_version)
        secret = self.accounts.get(link.source_addr, "")
        ismg = wire.md5(status, auth, secret.encode()) if result == 0 else bytes(16)
        link.send(wire.pdu(wire.CONNECT_RESP, sequence, status + ismg + bytes([reply_version])))
        log.info("%s: CONNECT status %d", link.id, result)
        if result == 0:
            self._flush()

    def _submit(self, link: IsmgLink, sequence: int, body: bytes) -> None:
        def answer(msg_id: int, result: int) -> None:
            link.send(wire.pdu(wire.SUBMIT_RESP, sequence,
                               struct.pack(">Q", msg_id) + wire.status(result, link.version)))  # fmt: skip
            self.traffic.submit_statuses[f"CMPP_{result}"] += 1

        if self.faults.flow_control_count > 0:
            self.faults.flow_control_count -= 1
            answer(0, 8)
            return
        try:
            submit = wire.read_submit(body, link.version)
        except wire.BadBody as error:
            log.info("%s: %s", link.id, error)
            answer(0, 1)
            return
        if not submit.destinations:
            answer(0, 13)
            return
        msg_id = self.next_msg_id()
        answer(msg_id, 0)
        content = submit.content
        ref, total, number = 0, 1, 1
        if submit.tp_udhi:
            content, concat = segments.strip_udh(content)
            if concat is not None:
                ref, total, number = concat.ref, concat.total, concat.seq
        destination = submit.destinations[0]
        self._record_part(link, submit, destination, msg_id, (ref, total, number), content)
        if submit.registered_delivery and self.faults.reports:
            loop = asyncio.get_running_loop()
            loop.call_later(self.faults.report_delay, self._report, link.source_addr,
                            msg_id, submit.src_id, destination, datetime.now())  # fmt: skip

    def _record_part(self, link: IsmgLink, submit: wire.SubmitIn, destination: str, msg_id: int,
                     concat: tuple[int, int, int], content: bytes) -> None:  # fmt: skip
        ref, total, number = concat
        key = (link.source_addr, destination, ref, total)
        pending = self._long.setdefault(key, _LongMt())
        pending.parts[number] = content
        pending.ids[number] = str(msg_id)
        if len(pending.parts) < total:
            return
        del self._long[key]
        order = sorted(pending.parts)
        coding = MSG_FMT_CODING.get(submit.msg_fmt, 4)
        record = MtRecord(
            id=self.traffic.new_mt_id(), seq=self.traffic.next_seq(), t=time.time(),
            source=submit.src_id, destination=destination,
            text=text_coding.decode(b"".join(pending.parts[n] for n in order), coding),
            data_coding=submit.msg_fmt, segments=total,
            message_ids=[pending.ids[n] for n in order], states=["DELIVRD"] * total,
            service_type=submit.service_id, registered_delivery=submit.registered_delivery,
            concat="udh8" if total > 1 else "none", bind_id=link.id,
        )  # fmt: skip
        self.traffic.add_mt(record)

    def _report(self, sp: str, msg_id: int, src_id: str, dest: str, submitted: datetime) -> None:
        done = datetime.now()

        def body(version: int) -> bytes:
            content = wire.report_content(version, msg_id, "DELIVRD", submitted, done, dest, 1)
            return wire.deliver_body(version, self.next_msg_id(), src_id, dest, 0, content, True)

        self.enqueue(Delivery(msg_id, body), sp)

    def _deliver_resp(self, link: IsmgLink, sequence: int, body: bytes) -> None:
        result = int.from_bytes(body[8:], "big") if len(body) >= 9 else 1
        link.count(f"deliver_resp_{result}")
        delivery = link.in_flight.pop(sequence, None)
        if delivery is None:
            return
        if result != 0 and delivery.attempts < 3:
            asyncio.get_running_loop().call_later(0.2, self.enqueue, delivery)
            return
        delivery.on_ack(result, link.id)

    # -- delivering -------------------------------------------------------------

    def enqueue(self, delivery: Delivery, sp: str | None = None) -> None:
        self.outbox.append(delivery)
        self._flush()

    def _flush(self) -> None:
        live = [link for link in self.links.values() if link.state == "connected"]
        if not live:
            return
        while self.outbox:
            self._rr += 1
            live[self._rr % len(live)].deliver(self.outbox.popleft())

    def inject_mo(self, source: str, destination: str, text: str, msg_fmt: int | None = None,
                  repeat: int = 1, parts_order: list[int] | None = None) -> MoRecord:  # fmt: skip
        """A handset's MO: one DELIVER per part (UDH, 8-bit reference when long), in
        `parts_order` (part numbers from 1) if given, as an ISMG may deliver them.
        `repeat` > 1 sends each DELIVER again with the same Msg_Id, as an ISMG
        whose DELIVER_RESP got lost does."""
        if msg_fmt is None:
            msg_fmt = 0 if text.isascii() else 8
        if msg_fmt not in MSG_FMT_CODING:
            raise ValueError("Msg_Fmt must be 0 (ASCII), 8 (UCS-2) or 15 (GBK)")
        encoding = {0: "ascii", 8: "utf-16-be", 15: "gbk"}[msg_fmt]
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError as error:
            raise ValueError(f"text cannot be sent as Msg_Fmt {msg_fmt}: {error.reason}") from error
        single, part = (140, 134) if msg_fmt else (160, 153)
        if len(data) <= single:
            chunks = [data]
        elif msg_fmt == 15:  # never cut a GBK character in two
            chunks = _gbk_chunks(text, part)
        else:
            chunks = [data[i : i + part] for i in range(0, len(data), part)]
        if len(chunks) > 255:
            raise ValueError("text too long")
        order = parts_order or list(range(1, len(chunks) + 1))
        if sorted(order) != list(range(1, len(chunks) + 1)):
            raise ValueError(f"parts_order must name each of the {len(chunks)} parts once")
        ref = self._msg_seq & 0xFF
        record = MoRecord(
            id=self.traffic.new_mo_id(), seq=self.traffic.next_seq(), t=time.time(),
            source=source, destination=destination, text=text, data_coding=msg_fmt,
            segments=len(chunks), split="udh8" if len(chunks) > 1 else "none",
            acks=[None] * len(chunks),
        )  # fmt: skip
        self.traffic.add_mo(record)
        ids: dict[int, int] = {}  # by part number
        for number in order:
            index, chunk = number - 1, chunks[number - 1]
            udhi = 1 if len(chunks) > 1 else 0
            content = bytes((5, 0, 3, ref, len(chunks), index + 1)) + chunk if udhi else chunk
            msg_id = self.next_msg_id()
            ids[number] = msg_id

            def body(version: int, m: int = msg_id, c: bytes = content, u: int = udhi) -> bytes:
                return wire.deliver_body(version, m, destination, source, msg_fmt, c, udhi=u)

            def ack(result: int, link_id: str, slot: int = index) -> None:
                record.acks[slot] = result
                record.bind_ids.append(link_id)

            for _ in range(max(1, repeat)):
                self.enqueue(Delivery(msg_id, body, ack))
        self.mo_deliveries[record.id] = [ids[n] for n in sorted(ids)]
        return record

    def terminate(self, link_id: str) -> None:
        """The ISMG ends the link: TERMINATE, closed on TERMINATE_RESP (or after 5 s)."""
        link = self.links[link_id]
        link.state = "terminating"
        link.send(wire.pdu(wire.TERMINATE, link.next_sequence()))
        asyncio.get_running_loop().call_later(5.0, link.close)

    def raw(self, link_id: str, data: bytes) -> None:
        link = self.links[link_id]
        link.send(data)

    def view(self) -> dict[str, Any]:
        return {"port": self.port, "links": [link.view() for link in self.links.values()],
                "queued": len(self.outbox), "faults": vars(self.faults)}  # fmt: skip


def _gbk_chunks(text: str, budget: int) -> list[bytes]:
    chunks: list[bytes] = []
    current = b""
    for ch in text:
        encoded = ch.encode("gbk")
        if len(current) + len(encoded) > budget:
            chunks.append(current)
            current = b""
        current += encoded
    return [*chunks, current] if current else chunks
