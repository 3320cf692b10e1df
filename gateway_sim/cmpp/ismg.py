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
import logging
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway_sim import segments, text_coding
from gateway_sim.cmpp import handset_mo, wire
from gateway_sim.cmpp.link import Delivery, IsmgLink, LinkState
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

    def msg_ref(self) -> int:
        """The 8-bit reference of a long MO's UDH: from the Msg_Id counter, as ISMGs do."""
        return self._msg_seq & 0xFF

    def next_msg_id(self) -> int:
        self._msg_seq = self._msg_seq % 0xFFFF + 1
        return wire.make_msg_id(datetime.now(), GATEWAY_ID, self._msg_seq)

    # -- the protocol -----------------------------------------------------------

    def on_pdu(self, link: IsmgLink, command: int, sequence: int, body: bytes) -> None:
        if command == wire.CONNECT:
            self._connect(link, sequence, body)
        elif command == wire.TERMINATE_RESP and link.state == LinkState.TERMINATING:
            link.count("terminate_answered")
            link.close()
        elif link.state != LinkState.CONNECTED:
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
                link.source_addr, link.version, link.state = (
                    wire.text(source),
                    version,
                    LinkState.CONNECTED,
                )
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
        live = [link for link in self.links.values() if link.state == LinkState.CONNECTED]
        if not live:
            return
        while self.outbox:
            self._rr += 1
            live[self._rr % len(live)].deliver(self.outbox.popleft())

    def inject_mo(self, source: str, destination: str, text: str, msg_fmt: int | None = None,
                  repeat: int = 1, parts_order: list[int] | None = None) -> MoRecord:  # fmt: skip
        """A handset's MO as DELIVERs: see `handset_mo.inject_mo`."""
        return handset_mo.inject_mo(self, source, destination, text, msg_fmt, repeat, parts_order)

    def terminate(self, link_id: str) -> None:
        """The ISMG ends the link: TERMINATE, closed on TERMINATE_RESP (or after 5 s)."""
        link = self.links[link_id]
        link.state = LinkState.TERMINATING
        link.send(wire.pdu(wire.TERMINATE, link.next_sequence()))
        asyncio.get_running_loop().call_later(5.0, link.close)

    def raw(self, link_id: str, data: bytes) -> None:
        link = self.links[link_id]
        link.send(data)

    def view(self) -> dict[str, Any]:
        return {"port": self.port, "links": [link.view() for link in self.links.values()],
                "queued": len(self.outbox), "faults": vars(self.faults)}  # fmt: skip
