"""A minimal SMSC for tests, built from smpplib PDUs and plain sockets on 127.0.0.1.

It shares no code with `app/gateways/smpp` (its own framing, its own
dispatch) so it checks the ESME rather than agreeing with it. PyPI's
`smpp34` has a server, but it hides the wire (no raw PDUs, no unbind or
half-open links on demand), which these tests need. Knobs:
`refuse_binds`, `submit_statuses` (statuses to answer next submits with),
`respond_to_submits`, `answer_enquire_link`, `receipts` ("after", "before"
or None), `receipt_id_style` ("same", "decimal") and `response_tails`
(octets appended to the body of a response, by its name: TLVs, or a body the
ESME cannot read).
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
from collections import deque
from typing import Any

from smpplib import smpp
from smpplib.client import SimpleSequenceGenerator

from tests.support.polling import eventually


def tlv(tag: int, value: bytes) -> bytes:
    """One optional parameter as it goes on the wire."""
    return struct.pack(">HH", tag, len(value)) + value


class Link:
    """One ESME connected to the fake SMSC."""

    def __init__(self, smsc: FakeSmsc, sock: socket.socket) -> None:
        self.smsc = smsc
        self.sock = sock
        self.lock = threading.Lock()
        self.bound_as: str | None = None
        self.system_id = ""
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def send(self, pdu: Any) -> None:
        self.send_raw(pdu.generate())

    def send_raw(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)

    def kill(self) -> None:
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _frames(self) -> Any:
        buffer = b""
        while True:
            while len(buffer) < 4 or len(buffer) < struct.unpack(">L", buffer[:4])[0]:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            length = struct.unpack(">L", buffer[:4])[0]
            yield buffer[:length]
            buffer = buffer[length:]

    def _read(self) -> None:
        try:
            for frame in self._frames():
                pdu = smpp.parse_pdu(frame, client=self.smsc.seq, allow_unknown_opt_params=True)
                self.smsc.log.append((self, pdu))
                self.smsc.handle(self, pdu)
        except OSError:
            pass
        finally:
            self.closed.set()
            self.bound_as = None


class FakeSmsc:
    def __init__(self, system_id: str = "smshall", password: str = "secret") -> None:
        self.system_id = system_id
        self.password = password
        self.seq = SimpleSequenceGenerator()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.links: list[Link] = []
        self.log: list[tuple[Link, Any]] = []
        self.refuse_binds = 0
        self.bind_attempts = 0
        self.submit_statuses: deque[int] = deque()
        self.respond_to_submits = True
        self.answer_enquire_link = True
        self.receipts: str | None = None
        self.receipt_id_style = "same"
        self.submits: list[Any] = []
        self.deliver_resps: dict[int, int] = {}
        self.response_tails: dict[str, bytes] = {}
        self._ids = itertools.count(0x1000)
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop = True
        self.server.close()
        for link in self.links:
            link.kill()

    def _accept(self) -> None:
        while not self._stop:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            self.links.append(Link(self, sock))

    # -- views ----------------------------------------------------------------------

    def bound_links(self) -> list[Link]:
        return [link for link in self.links if link.bound_as and not link.closed.is_set()]

    def received(self, command: str) -> list[Any]:
        return [pdu for _, pdu in self.log if pdu.command == command]

    # -- protocol -------------------------------------------------------------------

    def handle(self, link: Link, pdu: Any) -> None:
        command = pdu.command
        if command.startswith("bind_"):
            self.bind_attempts += 1
            ok = (
                self.refuse_binds <= 0
                and pdu.system_id.decode() == self.system_id
                and pdu.password.decode() == self.password
            )
            self.refuse_binds -= 1
            resp = smpp.make_pdu(f"{command}_resp", client=self.seq, system_id="FAKE")
            resp.sequence = pdu.sequence
            resp.status = 0 if ok else 0x0D
            link.send(resp)
            if ok:
                link.bound_as = command
                link.system_id = pdu.system_id.decode()
        elif command == "submit_sm":
            self._submit(link, pdu)
        elif command == "enquire_link":
            if self.answer_enquire_link:
                self._respond(link, pdu, "enquire_link_resp")
        elif command == "unbind":
            self._respond(link, pdu, "unbind_resp")
            link.kill()
        elif command in ("deliver_sm_resp", "data_sm_resp"):
            self.deliver_resps[pdu.sequence] = pdu.status

    def _respond(self, link: Link, pdu: Any, name: str, status: int = 0, **fields: Any) -> None:
        resp = smpp.make_pdu(name, client=self.seq, **fields)
        resp.sequence = pdu.sequence
        resp.status = status
        frame = resp.generate() + self.response_tails.get(name, b"")
        link.send_raw(struct.pack(">L", len(frame)) + frame[4:])

    def _submit(self, link: Link, pdu: Any) -> None:
        status = self.submit_statuses.popleft() if self.submit_statuses else 0
        if status == 0:
            self.submits.append(pdu)
        if not self.respond_to_submits:
            return
        message_id = format(next(self._ids), "x")
        if status == 0 and self.receipts == "before":
            self.send_receipt(link, message_id, pdu)
        self._respond(
            link, pdu, "submit_sm_resp", status, message_id=message_id if not status else ""
        )
        if status == 0 and self.receipts == "after":
            self.send_receipt(link, message_id, pdu)

    def send_receipt(
        self, link: Link, message_id: str, submit: Any, stat: str = "DELIVRD", esm_class: int = 0x04
    ) -> int:
        shown = str(int(message_id, 16)) if self.receipt_id_style == "decimal" else message_id
        text = (
            f"id:{shown} sub:001 dlvrd:001 submit date:2611230931 done date:261123093105 "
            f"stat:{stat} err:000 Text:hello"
        )
        return self.deliver(
            link,
            source_addr=submit.destination_addr.decode(),
            destination_addr=submit.source_addr.decode(),
            esm_class=esm_class,
            short_message=text.encode(),
        )

    def deliver(self, link: Link | None = None, **fields: Any) -> int:
        """Send a deliver_sm to an ESME; returns its sequence number."""
        link = link or eventually(self.bound_links, "a bound ESME")[0]
        fields.setdefault("data_coding", 0)
        fields.setdefault("esm_class", 0)
        pdu = smpp.make_pdu("deliver_sm", client=self.seq, **fields)
        link.send(pdu)
        return pdu.sequence

    def deliver_with_tlvs(self, tlvs: bytes, link: Link | None = None, **fields: Any) -> int:
        """A deliver_sm with `tlvs` appended as given: smpplib drops the fields its
        DeliverSM lacks and encodes every C-string with its NUL. Its sequence number."""
        link = link or eventually(self.bound_links, "a bound ESME")[0]
        fields.setdefault("data_coding", 0)
        fields.setdefault("esm_class", 0)
        pdu = smpp.make_pdu("deliver_sm", client=self.seq, **fields)
        frame = pdu.generate() + tlvs
        link.send_raw(struct.pack(">L", len(frame)) + frame[4:])
        return pdu.sequence

    def request(self, link: Link, name: str, **fields: Any) -> int:
        pdu = smpp.make_pdu(name, client=self.seq, **fields)
        link.send(pdu)
        return pdu.sequence
