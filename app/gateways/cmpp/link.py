"""A supervised CMPP link: connect, CONNECT, keep alive, connect again, TERMINATE.

One thread per link runs the lifecycle; the session's reader thread handles
the traffic. A refused CONNECT (any Status), a lost socket, ACTIVE_TEST
unanswered `active_test_misses` times in a row or a TERMINATE from the ISMG
ends the session, and the loop connects again after an exponential, capped,
jittered delay. `stop()` sends TERMINATE and waits for its response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.gateways.cmpp import auth, pdus, results
from app.gateways.cmpp.msg_id import render
from app.gateways.cmpp.pdus import Command, ConnectResp, Frame, MsgIdResult, Submit
from app.gateways.cmpp.session import Session
from app.gateways.links.supervision import SupervisedLink
from app.settings import CmppLink

log = logging.getLogger("smshall.cmpp.link")


class LinkState(StrEnum):
    """Where a link stands: idle -> connecting -> authenticating -> connected ->
    waiting_to_reconnect -> connecting ..., until stopped (through terminating if connected)."""

    IDLE = "idle"  # created; its thread has not started yet
    CONNECTING = "connecting"  # opening the TCP connection to the ISMG
    AUTHENTICATING = "authenticating"  # CONNECT is sent; waiting for CONNECT_RESP
    CONNECTED = "connected"  # CONNECT accepted: SUBMIT and DELIVER flow, ACTIVE_TEST keeps it up
    TERMINATING = "terminating"  # stopping: TERMINATE sent, waiting for its response to close
    WAITING = "waiting_to_reconnect"  # the session ended or failed; waiting to connect again
    STOPPED = "stopped"  # `stop()` asked for it: the thread has ended and connects no more


class ConnectRefused(ConnectionError):
    def __init__(self, status: int) -> None:
        super().__init__(f"CONNECT refused: {results.describe_connect(status)}")
        self.status = status


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    status: int
    message_id: str


class CmppConnection(SupervisedLink):
    config: CmppLink
    up_since_key = "connected_since"
    session_factory = Session
    up_counter = "connected"
    peer_ending = "terminated by ISMG"

    def __init__(
        self,
        config: CmppLink,
        on_request: Callable[[CmppConnection, Session, Frame], None],
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        states = (
            LinkState.IDLE,
            LinkState.CONNECTING,
            LinkState.CONNECTED,
            LinkState.WAITING,
            LinkState.STOPPED,
        )
        super().__init__(config.name, "cmpp", config, states, on_request)
        self.version = config.version_byte
        self.clock = clock
        self.session: Session | None = None

    def _log_in(self, session: Session) -> None:
        self._set_state(LinkState.AUTHENTICATING)
        config = self.config
        secret = config.shared_secret.get_secret_value()
        stamp = auth.timestamp(self.clock())
        source = auth.authenticator_source(config.source_addr, secret, stamp)
        request = pdus.Connect(config.source_addr, source, self.version, stamp)
        frame = session.request(Command.CONNECT, request.encode(), timeout=config.response_timeout)
        answer = ConnectResp.decode(frame.body)
        if answer.status != 0:
            self.counters[f"connect_refused_{answer.status}"] += 1
            raise ConnectRefused(answer.status)
        expected = {
            auth.authenticator_ismg(ConnectResp.status_octets(0, v), source, secret)
            for v in (pdus.V20, pdus.V30)  # ISMGs disagree on Status's width here
        }
        if answer.authenticator not in expected:
            self.counters["ismg_authenticator_mismatch"] += 1
            log.warning("link %s: AuthenticatorISMG does not match; carrying on", self.name)
        if answer.version != self.version:
            log.info(
                "link %s: ISMG speaks 0x%02x, we 0x%02x", self.name, answer.version, self.version
            )

    def _stay_alive(self, session: Session) -> None:
        """ACTIVE_TEST after `active_test_seconds` of silence; `active_test_misses`
        unanswered in a row = dead link."""
        config = self.config

        def probe() -> None:
            session.request(Command.ACTIVE_TEST, timeout=config.response_timeout)

        self._keep_alive(
            session, config.active_test_seconds, config.active_test_misses, probe, "ACTIVE_TEST"
        )

    def _log_out_of(self, session: Session) -> None:
        self._set_state(LinkState.TERMINATING)
        timeout = self.config.response_timeout
        self._log_out(
            session, lambda: session.request(Command.TERMINATE, timeout=timeout), "terminated"
        )

    # -- submitting ---------------------------------------------------------------

    def submit(self, submit: Submit) -> SubmitOutcome:
        """One SUBMIT, paced by the bucket and the window. Raises NotBound (not
        sent) or WindowClosed / ResponseTimeout (sent, outcome unknown)."""
        body = submit.encode(self.version)
        timeout = self.config.response_timeout
        frame: Frame = self._paced_request(
            "submit",
            lambda session: session.request(Command.SUBMIT, body, timeout=timeout, counted=True),
        )
        answer = MsgIdResult.decode(frame.body)
        verdict = results.verdict(answer.result, self.version)
        self.counters[f"submit_{verdict}"] += 1
        if answer.result == results.FLOW_CONTROL:
            self.bucket.pause(self.config.throttle_pause)
        return SubmitOutcome(answer.result, render(answer.msg_id) if answer.result == 0 else "")

    def _described(self) -> dict[str, Any]:
        return {"source_addr": self.config.source_addr, "version": self.config.version}
