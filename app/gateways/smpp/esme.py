"""A supervised ESME connection: connect, bind, keep alive, rebind, unbind.

One thread per connection runs the lifecycle; the session's reader thread
handles the traffic. Any failure (refused bind, lost socket, unanswered
enquire_link, unbind from the SMSC) ends the session and the loop binds again
after `rebind_delay`. `stop()` unbinds cleanly: it waits for the unbind_resp
with the unbind's own sequence number before closing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smpplib.pdu import PDU

from app.gateways.links.supervision import NotBound, SupervisedLink
from app.gateways.smpp import status_codes
from app.gateways.smpp.session import Session
from app.settings import SmppBind

__all__ = ["BindState", "EsmeConnection", "NotBound", "SubmitOutcome"]

log = logging.getLogger("smshall.smpp.esme")


class BindState(StrEnum):
    """Where a bind stands: idle -> connecting -> binding -> bound -> waiting_to_rebind
    -> connecting ..., until stopped (through unbinding if it was bound)."""

    IDLE = "idle"  # created; its thread has not started yet
    CONNECTING = "connecting"  # opening the TCP connection to the SMSC
    BINDING = "binding"  # the bind is sent; waiting for its response
    BOUND = "bound"  # bind accepted: submits and deliveries flow, enquire_link keeps it up
    UNBINDING = "unbinding"  # stopping: unbind sent, waiting for unbind_resp before closing
    WAITING = "waiting_to_rebind"  # the session ended or failed; waiting to bind again
    STOPPED = "stopped"  # `stop()` asked for it: the thread has ended and binds no more


BIND_COMMANDS = {"trx": "bind_transceiver", "tx": "bind_transmitter", "rx": "bind_receiver"}


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    status: int
    message_id: str
    nack: bool = False


class EsmeConnection(SupervisedLink):
    config: SmppBind
    kind = "bind"
    up_since_key = "bound_since"
    session_factory = Session
    up_counter = "binds"
    peer_ending = "unbound by SMSC"

    def __init__(
        self,
        config: SmppBind,
        role: str,
        on_request: Callable[[EsmeConnection, Session, PDU], None],
    ) -> None:
        name = config.name if config.mode == "trx" else f"{config.name}/{role}"
        states = (
            BindState.IDLE,
            BindState.CONNECTING,
            BindState.BOUND,
            BindState.WAITING,
            BindState.STOPPED,
        )
        super().__init__(name, "smpp", config, states, on_request)
        self.role = role  # trx, tx or rx
        self.session: Session | None = None

    @property
    def can_transmit(self) -> bool:
        return self.role in ("trx", "tx")

    def _log_in(self, session: Session) -> None:
        config = self.config
        self._set_state(BindState.BINDING)
        response = session.request(
            BIND_COMMANDS[self.role],
            timeout=config.response_timeout,
            system_id=config.system_id,
            password=config.password.get_secret_value(),
            system_type=config.system_type,
            interface_version=0x34,
            addr_ton=0,
            addr_npi=0,
            address_range="",
        )
        if response.command == "generic_nack" or response.status != 0:
            self.counters["bind_refused"] += 1
            raise ConnectionError(f"bind refused: {status_codes.describe(response.status)}")

    def _stay_alive(self, session: Session) -> None:
        """enquire_link after `enquire_link_interval` of silence; no answer = dead link."""
        config = self.config

        def probe() -> None:
            session.request("enquire_link", timeout=config.response_timeout)

        self._keep_alive(session, config.enquire_link_interval, 1, probe, "enquire_link")

    def _log_out_of(self, session: Session) -> None:
        self._set_state(BindState.UNBINDING)
        timeout = self.config.response_timeout
        self._log_out(session, lambda: session.request("unbind", timeout=timeout), "unbound")

    # -- submitting ---------------------------------------------------------------

    def submit(self, fields: dict[str, Any]) -> SubmitOutcome:
        """One submit_sm, paced by the bucket and the window.

        Raises NotBound (no session, no slot in time) or WindowClosed /
        ResponseTimeout (sent, outcome unknown).
        """
        timeout = self.config.response_timeout
        response: PDU = self._paced_request(
            "submit_sm",
            lambda session: session.request("submit_sm", timeout=timeout, counted=True, **fields),
        )
        if response.command == "generic_nack":
            self.counters["submit_nacked"] += 1
            return SubmitOutcome(response.status or 0x08, "", nack=True)
        verdict = status_codes.verdict(response.status)
        self.counters[f"submit_{verdict}"] += 1
        if verdict is status_codes.Verdict.THROTTLED:
            self.bucket.pause(self.config.throttle_pause)
        message_id = response.message_id
        if isinstance(message_id, bytes):
            message_id = message_id.decode("latin-1")
        if response.status == 0 and not message_id:
            # Accepted, by its status, but no id could be read (the body was unreadable,
            # see `Session._dispatch`). Counted as sent: sending it again would deliver it
            # twice. Its receipts cannot be matched to it, so it stays `sent`.
            self.counters["submit_ok_without_id"] += 1
            log.warning("%s: submit_sm accepted without a readable message_id", self.name)
        return SubmitOutcome(response.status, message_id or "")

    def _described(self) -> dict[str, Any]:
        return {"bind": self.config.name, "role": self.role, "system_id": self.config.system_id}
