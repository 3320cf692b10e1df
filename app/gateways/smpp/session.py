"""One SMPP connection: a reader thread, serialised sends and a window.

The reader never dies on what the peer sends: unreadable requests get a
generic_nack, an unreadable response still ends its request (from its header),
requests go to `on_request`, whose exceptions are logged.
enquire_link and unbind from the SMSC are answered here, because they are
about the connection, not the messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from smpplib.pdu import PDU

from app.gateways.links.session import StreamSession
from app.gateways.smpp import pdus
from app.gateways.smpp.framing import BadLength, read_frame

log = logging.getLogger("smshall.smpp.session")

RequestHandler = Callable[["Session", PDU], None]


class Session(StreamSession):
    log = log
    protocol = "smpp"

    # -- sending ------------------------------------------------------------------

    def request(self, name: str, *, timeout: float, counted: bool = False, **fields: Any) -> PDU:
        """Send a request and wait for the response with the same sequence number.

        Raises WindowClosed (connection gone, or no window slot in time) or
        ResponseTimeout. A `generic_nack` for the request is returned as the
        response; callers check `.command` and `.status`.
        """
        self._slot(counted, timeout)
        sequence = self.next_sequence()
        frame = pdus.build(name, sequence, **fields)
        return self._exchange(sequence, frame, timeout=timeout, counted=counted, label=name)

    def respond(self, request: PDU, name: str, status: int = pdus.ROK, **fields: Any) -> bool:
        """Answer a request of the peer; False if the connection is gone."""
        return self._reply(pdus.build(name, request.sequence, status, **fields))

    # -- reading ------------------------------------------------------------------

    def _read_frame(self) -> bytes | None:
        try:
            return read_frame(self.sock)
        except BadLength as error:
            self.nack(error.sequence, pdus.RINVCMDLEN, str(error))
            self.close(f"bad command_length {error.length}")
            return None

    def nack(self, sequence: int, status: int, reason: str) -> None:
        log.warning("%s: generic_nack 0x%02x for #%d: %s", self.name, status, sequence, reason)
        self.on_event("generic_nack_sent")
        try:
            with self._send_lock:
                self.sock.sendall(pdus.generic_nack(sequence, status))
        except OSError:
            pass

    def _dispatch(self, frame: bytes) -> None:
        _, command_id, status, sequence = pdus.header(frame)
        try:
            pdu = pdus.parse(frame)
        except pdus.MalformedPdu as error:
            if pdus.is_response(command_id):
                # Its header still says which request it ends and how: the waiter gets
                # that, with no body. Left to time out, a submit_sm would be sent again
                # (a duplicate MT) and an enquire_link would take the link down.
                log.warning("%s: unreadable response #%d: %s", self.name, sequence, error)
                self.on_event("unreadable_response")
                header_only = pdus.from_header(frame)
                if header_only is None or not self.window.resolve(sequence, header_only):
                    self.window.forget(sequence)
            else:
                self.nack(error.sequence, error.status, str(error))
            return
        if pdus.is_response(command_id):
            if not self.window.resolve(sequence, pdu):
                log.info("%s: %s #%d matches no request (late?)", self.name, pdu.command, sequence)
            if pdu.command == "generic_nack":
                self.on_event("generic_nack_received")
            return
        if pdu.command == "enquire_link":
            self.respond(pdu, "enquire_link_resp")
        elif pdu.command == "unbind":
            log.info("%s: SMSC sent unbind; answering and rebinding", self.name)
            self.ended_by_peer = True
            self.respond(pdu, "unbind_resp")
            self.close("unbound by SMSC")
        else:
            self.on_request(self, pdu)
