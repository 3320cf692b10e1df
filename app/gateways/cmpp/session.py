"""One CMPP connection: a reader thread, serialised sends, a window of SUBMITs.

CMPP has no generic_nack: a PDU the reader cannot frame (Total_Length under
12 or past `MAX_LENGTH`) leaves the stream unreadable, so the link is dropped
and the supervisor connects again; a well-framed PDU whose body cannot be read
is logged and, where it can be, answered (`on_request` does that for DELIVER).
ACTIVE_TEST and TERMINATE from the ISMG are answered here: they are about the
link, not the messages.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from app.gateways.cmpp import pdus
from app.gateways.cmpp.pdus import Command, Frame
from app.gateways.links.session import StreamSession
from app.gateways.smpp.framing import read_exactly

log = logging.getLogger("smshall.cmpp.session")

RequestHandler = Callable[["Session", Frame], None]


class FramingError(Exception):
    """Total_Length is impossible: the stream cannot be trusted after it."""


def read_frame(sock: socket.socket) -> bytes:
    prefix = read_exactly(sock, 4)
    length = int.from_bytes(prefix, "big")
    if not pdus.HEADER_SIZE <= length <= pdus.MAX_LENGTH:
        raise FramingError(f"Total_Length {length}")
    return prefix + read_exactly(sock, length - 4)


class Session(StreamSession):
    log = log
    protocol = "cmpp"

    # -- sending ------------------------------------------------------------------

    def request(
        self, command: Command, body: bytes = b"", *, timeout: float, counted: bool = False
    ) -> Frame:
        """Send a request; its response (same Sequence_Id). Raises WindowClosed
        (link gone, or no window slot in time) or ResponseTimeout."""
        self._slot(counted, timeout)
        sequence = self.next_sequence()
        frame = pdus.frame(command, sequence, body)
        return self._exchange(sequence, frame, timeout=timeout, counted=counted, label=command.name)

    def respond(self, request: Frame, command: Command, body: bytes = b"") -> bool:
        """Answer a request of the ISMG; False if the link is gone."""
        return self._reply(pdus.frame(command, request.sequence, body))

    # -- reading ------------------------------------------------------------------

    def _read_frame(self) -> bytes | None:
        try:
            return read_frame(self.sock)
        except FramingError as error:
            self.on_event("framing_errors")
            log.warning("%s: %s; dropping the link", self.name, error)
            self.close(f"framing error: {error}")
            return None

    def _dispatch(self, data: bytes) -> None:
        frame = pdus.split(data)
        if frame.is_response:
            if not self.window.resolve(frame.sequence, frame):
                log.info(
                    "%s: %s #%d matches no request (late?)", self.name, frame.name, frame.sequence
                )
            return
        if frame.command_id == Command.ACTIVE_TEST:
            self.on_event("active_test_answered")
            self.respond(frame, Command.ACTIVE_TEST_RESP, pdus.ACTIVE_TEST_RESP_BODY)
        elif frame.command_id == Command.TERMINATE:
            log.info("%s: ISMG sent TERMINATE; answering and connecting again", self.name)
            self.ended_by_peer = True
            self.respond(frame, Command.TERMINATE_RESP)
            self.close("terminated by ISMG")
        elif frame.command_id == Command.DELIVER:
            self.on_request(self, frame)
        else:
            self.on_event("unexpected_requests")
            log.warning("%s: unexpected %s #%d ignored", self.name, frame.name, frame.sequence)
