"""A link that must stay up, whatever the protocol: SMPP binds and CMPP links.

One thread per link runs its lifecycle: `_connect_and_serve` (the protocol's
connect, login and keep-alive, returning when the session ends), then a wait
of `rebind_delay` (exponential, capped, jittered; back to the base once a
session lived `STABLE_AFTER` seconds), and again, until `stop()`. Any failure
ends the session, never the thread.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from app.gateways.links.backoff import rebind_delay
from app.gateways.links.throttle import TokenBucket
from app.gateways.links.window import ResponseTimeout, WindowClosed


class NotBound(Exception):
    """No usable session right now; the message is tried again later."""


log = logging.getLogger("smshall.links")

#: A session that lived this long counts as healthy: the next attempt starts from the base delay.
STABLE_AFTER = 30.0


class LinkConfig(Protocol):
    """What a link's settings (`SmppBind`, `CmppLink`) say about any link."""

    host: str
    port: int
    window: int
    tps: float
    response_timeout: float
    reconnect_base: float
    reconnect_max: float


R = TypeVar("R")

#: A link's session: (socket, name, window size, on_request, on_event) -> session.
SessionFactory = Callable[
    [socket.socket, str, int, Callable[[Any, Any], None], Callable[[str], None]], Any
]


class SupervisedLink:
    #: What the log calls one: "bind", "link".
    kind = "link"
    #: The `view()` key of `up_since`.
    up_since_key = "up_since"
    #: Builds the session on each connect: the protocol's session class.
    session_factory: SessionFactory
    #: Counted on each log-in.
    up_counter = "logins"
    #: What the peer did when it ended the session (its counter and last error).
    peer_ending = "ended by peer"

    def __init__(
        self,
        name: str,
        protocol: str,
        config: LinkConfig,
        states: tuple[StrEnum, StrEnum, StrEnum, StrEnum, StrEnum],
        on_request: Callable[..., None],
    ) -> None:
        """`states` are (idle, connecting, up, waiting, stopped); `config.tps` paces submits
        (0 = unlimited); `on_request(link, session, request)` takes the peer's requests."""
        self.name = name
        self.config: LinkConfig = config
        self.on_request = on_request
        self.bucket = TokenBucket(config.tps)
        self.response_timeout = config.response_timeout
        self.state, self._connecting, self._up_state, self._waiting, self._stopped = states
        self.reconnect_base, self.reconnect_max = config.reconnect_base, config.reconnect_max
        self.session: Any = None
        self.counters: Counter[str] = Counter()
        self.last_error = ""
        #: When the current session logged in (wall clock); None while down.
        self.up_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{protocol}-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Begin stopping without waiting (a gateway stops all its links in parallel)."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _set_state(self, state: StrEnum) -> None:
        if state is not self.state:
            log.info("%s %s: %s -> %s", self.kind, self.name, self.state, state)
        self.state = state

    @property
    def bound(self) -> bool:
        session = self.session
        return self.state is self._up_state and session is not None and not session.closed.is_set()

    @property
    def can_transmit(self) -> bool:
        """Whether submits may go on this link (an SMPP receiver's may not)."""
        return True

    def _connect_and_serve(self) -> None:
        """One session: connect, log in, keep it alive until it ends; log out
        politely if it ends because we are stopping."""
        session = self._start_session()
        self._log_in(session)
        self._up()
        self._stay_alive(session)
        if self._session_ended(session, session.ended_by_peer, self.peer_ending):
            self._log_out_of(session)

    def _log_in(self, session: Any) -> None:
        """The protocol's bind or CONNECT; raises if refused."""
        raise NotImplementedError

    def _stay_alive(self, session: Any) -> None:
        """The protocol's keep-alive (see `_keep_alive`)."""
        raise NotImplementedError

    def _log_out_of(self, session: Any) -> None:
        """The protocol's unbind or TERMINATE (see `_log_out`)."""
        raise NotImplementedError

    def _open(self, host: str, port: int, timeout: float) -> socket.socket:
        self.counters["connects"] += 1
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _start_session(self) -> Any:
        """Connect and start a session on the socket; it is the link's session."""
        self._set_state(self._connecting)
        config: LinkConfig = self.config
        sock = self._open(config.host, config.port, config.response_timeout)
        session = self.session_factory(
            sock, self.name, config.window, self._on_request, self._count
        )
        self.session = session
        session.start()
        return session

    def _on_request(self, session: Any, request: Any) -> None:
        self.on_request(self, session, request)

    def _count(self, event: str) -> None:
        self.counters[event] += 1

    def _up(self) -> None:
        """Logged in: count it, forget the last error, note since when."""
        self.counters[self.up_counter] += 1
        self.last_error = ""
        self.up_since = time.time()
        self._set_state(self._up_state)

    def _described(self) -> dict[str, Any]:
        """What `view()` shows of the link's protocol settings."""
        return {}

    def view(self) -> dict[str, Any]:
        session = self.session
        return {
            "name": self.name,
            "host": self.config.host,
            "port": self.config.port,
            **self._described(),
            "state": str(self.state),
            self.up_since_key: self.up_since,
            "window": self.config.window,
            "outstanding": session.window.outstanding if session else 0,
            "tps": self.config.tps,
            "throttled": self.bucket.paused,
            "last_error": self.last_error,
            "counters": dict(self.counters),
        }

    def _session_ended(self, session: Any, by_peer: bool, peer: str) -> bool:
        """After the keep-alive returned: True if we are stopping and must log out
        politely; else the reason the session ended is noted."""
        if self._stop.is_set() and not session.closed.is_set():
            return True
        if by_peer:
            self.counters[f"{peer.replace(' ', '_').lower()}"] += 1
            self.last_error = peer
        else:
            self.counters["disconnects"] += 1
            self.last_error = session.close_reason
        return False

    def _log_out(self, session: Any, request: Callable[[], object], what: str) -> None:
        """Let responses to submits already sent arrive (for a while), send the
        protocol's log-out (`request`), wait for its response, close."""
        deadline = time.monotonic() + self.response_timeout
        while session.window.outstanding and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            request()
            log.info("%s %s: %s", self.kind, self.name, what)
        except (ResponseTimeout, WindowClosed) as error:
            log.warning("%s %s: no response to the log-out: %s", self.kind, self.name, error)
        session.close(what)

    def _paced_session(self, timeout: float) -> Any:
        """The session to submit on, once the bucket gives a token; NotBound if none."""
        session = self.session
        if session is None or not self.bound:
            raise NotBound(self.name)
        if not self.bucket.take(timeout):
            raise NotBound(f"{self.name}: throttled")
        return session

    def _paced_request(self, counter: str, request: Callable[[Any], R]) -> R:
        """`request` on the paced session (see `_paced_session`), counted under
        `counter`; one that gets no response counts as `submit_timeouts`."""
        session = self._paced_session(self.response_timeout)
        self.counters[counter] += 1
        try:
            return request(session)
        except ResponseTimeout:
            self.counters["submit_timeouts"] += 1
            raise

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._connect_and_serve()
            except Exception as error:  # a link must outlive any failure
                self.last_error = str(error) or type(error).__name__
                self.counters["failures"] += 1
                log.warning("%s %s: %s", self.kind, self.name, self.last_error)
            finally:
                if self.session is not None:
                    self.session.close(self.last_error or "session ended")
                self.session = None
                self.up_since = None
            if self._stop.is_set():
                break
            attempt = 0 if time.monotonic() - started > STABLE_AFTER else attempt + 1
            delay = rebind_delay(attempt, self.reconnect_base, self.reconnect_max)
            self._set_state(self._waiting)
            log.info("%s %s: again in %.2fs (attempt %d)", self.kind, self.name, delay, attempt)
            self._stop.wait(delay)
        self._set_state(self._stopped)

    def _keep_alive(
        self,
        session: Any,
        interval: float,
        misses_allowed: int,
        probe: Callable[[], object],
        what: str,
    ) -> None:
        """`probe` (enquire_link, ACTIVE_TEST) after `interval` seconds of silence;
        `misses_allowed` unanswered in a row close the session. Returns when the
        session is closed or the link is stopping. Each probe counts `<what>_sent`."""
        misses = 0
        while not self._stop.is_set() and not session.closed.is_set():
            idle = time.monotonic() - session.last_received
            if idle >= interval:
                try:
                    self.counters[f"{what.lower()}_sent"] += 1
                    probe()
                    misses = 0
                except ResponseTimeout as error:
                    misses += 1
                    self.counters["keep_alive_unanswered"] += 1
                    if misses >= misses_allowed:
                        session.close(f"{what} unanswered ({misses} in a row): {error}")
                        return
                except WindowClosed:
                    return
                continue
            wait = min(interval - idle, 0.2)
            self._stop.wait(max(wait, 0.01))


L = TypeVar("L", bound=SupervisedLink)


def stop_all(links: Iterable[SupervisedLink]) -> None:
    """Every link logs out in parallel, then each is waited for."""
    links = list(links)
    for link in links:
        link.request_stop()
    for link in links:
        link.stop()


def round_robin(ready: Sequence[L], turn: itertools.count[int]) -> L | None:
    """The next of `ready` links, unpaused ones first (a paused one if that is all)."""
    if not ready:
        return None
    unpaused = [link for link in ready if not link.bucket.paused] or list(ready)
    return unpaused[next(turn) % len(unpaused)]
