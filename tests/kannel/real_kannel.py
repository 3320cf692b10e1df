"""A real Kannel 1.4 (bearerbox + smsbox) on loopback, and fakesmsc as the handset's network.

Kannel's `fake` SMSC listens on every interface (1.4.5 has no interface option
for it), so `connect-allow-ip` admits 127.0.0.1 alone; every other port binds
127.0.0.1. Processes are started here and killed in teardown; every wait is
bounded.

With `smpp=SmppSmsc(...)` the network is an SMPP SMSC instead (the project's
simulator): bearerbox binds to it as a transceiver and no `fake` SMSC listens.
"""

from __future__ import annotations

import contextlib
import ctypes
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
import uvicorn
from pydantic import SecretStr

from app.main import create_app
from app.runtime import Runtime
from tests.support.polling import eventually
from tests.support.ports import LOOPBACK, free_port

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
SENDSMS_USER, SENDSMS_PASSWORD = "smshall", "sendsms-secret"
PR_SET_PDEATHSIG = 1

__all__ = ["LOOPBACK", "free_port"]  # re-exported for the tests that import them from here


def installed() -> bool:
    return all(path.exists() for path in (BEARERBOX, SMSBOX, FAKESMSC))


def kannel_marks(available: bool, reason: str) -> list[pytest.MarkDecorator]:
    """A module's marks: slow, and skipped with `reason` when Kannel is not `available`."""
    return [pytest.mark.slow, pytest.mark.skipif(not available, reason=reason)]


def boxes_installed() -> bool:
    """bearerbox and smsbox (Debian's `kannel`), enough when the SMSC is not fakesmsc."""
    return all(path.exists() for path in (BEARERBOX, SMSBOX))


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, logs: Sequence[Path] = ()
) -> None:
    """`eventually`, with the tails of the Kannel logs in the failure."""
    eventually(check, what, timeout, every=0.1, explain=lambda: "\n" + log_tails(logs))


def log_tails(logs: Sequence[Path]) -> str:
    return "\n".join(f"--- {p.name}\n{_tail(p)}" for p in logs)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the process that started it dies, however
    it dies (a `finally` does not run on SIGKILL). Elsewhere `stop()` remains."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)


@dataclass
class SmppSmsc:
    """An SMPP SMSC on loopback for bearerbox to bind to as a transceiver."""

    port: int
    system_id: str
    password: str
    smsc_id: str = "sim"


@dataclass
class Kannel:
    directory: Path
    app_port: int
    admin_port: int
    smsbox_port: int
    sendsms_port: int
    fake_port: int
    token: str
    smpp: SmppSmsc | None = None  # None: the `fake` SMSC on fake_port, for fakesmsc
    #: When set, the catch-all service answers every MO with this text itself (Kannel's
    #: `text`), asking no application: Kannel's own MO -> MT path, for the benchmark.
    static_reply: str | None = None

    @property
    def sendsms_url(self) -> str:
        return f"http://{LOOPBACK}:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def logs(self) -> list[Path]:
        names = ["bearerbox.log", "smsbox.log", "access.log"]
        if self.smpp is not None:
            names.append("smsc.log")
        return [self.directory / name for name in names]

    def smsc_config(self) -> str:
        if self.smpp is None:
            return f"""
group = smsc
smsc = fake
smsc-id = fake
port = {self.fake_port}
connect-allow-ip = {LOOPBACK}
"""
        smpp = self.smpp
        return f"""
group = smsc
smsc = smpp
smsc-id = {smpp.smsc_id}
host = {LOOPBACK}
port = {smpp.port}
transceiver-mode = true
smsc-username = {smpp.system_id}
smsc-password = {smpp.password}
system-type = ""
enquire-link-interval = 30
max-pending-submits = 10
reconnect-delay = 1
log-file = "{self.directory}/smsc.log"
log-level = 1
"""

    def config(self) -> str:
        """The README's snippet with test ports; `omit-empty` makes sendsms mode's empty
        answer send nothing, `accept-x-kannel-headers` lets the answer pick UCS-2.
        MOs starting with `kpost` go by post-url instead, the keyword stripped."""
        d = self.directory
        app = f"http://{LOOPBACK}:{self.app_port}/v1/kannel/mo?token={self.token}"
        return f"""
group = core
admin-port = {self.admin_port}
admin-interface = {LOOPBACK}
admin-password = adminpw
admin-allow-ip = "{LOOPBACK}"
smsbox-port = {self.smsbox_port}
smsbox-interface = {LOOPBACK}
box-allow-ip = "{LOOPBACK}"
log-file = "{d}/bearerbox.log"
access-log = "{d}/access.log"
log-level = 1
dlr-storage = internal
{self.smsc_config()}
group = smsbox
bearerbox-host = {LOOPBACK}
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = {LOOPBACK}
log-file = "{d}/smsbox.log"
log-level = 1

group = sendsms-user
username = {SENDSMS_USER}
password = {SENDSMS_PASSWORD}
concatenation = true
max-messages = 10

group = sms-service
keyword = default
catch-all = true
{self.default_answer(app)}
accept-x-kannel-headers = true
omit-empty = true
concatenation = true
max-messages = 10

group = sms-service
keyword = kpost
catch-all = true
strip-keyword = true
send-sender = true
post-url = "{app}&id=%I"
accept-x-kannel-headers = true
omit-empty = true
concatenation = true
max-messages = 10
"""

    def default_answer(self, app: str) -> str:
        """The catch-all service's answer: the service's reply by get-url, or static text."""
        if self.static_reply is None:
            return f'get-url = "{app}&from=%p&to=%P&text=%b&id=%I&time=%t&coding=%c&charset=%C"'
        if any(c in self.static_reply for c in '"%\\\n'):
            raise ValueError("a static reply holds no quote, %, backslash or newline")
        return f'text = "{self.static_reply}"'

    def status(self) -> str:
        url = f"http://{LOOPBACK}:{self.admin_port}/status.txt?password=adminpw"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode(errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def running(box: Kannel) -> Iterator[Kannel]:
    """Write the config, start bearerbox then smsbox, wait (bounded) until smsbox is
    connected; kill both on the way out."""
    conf = box.directory / "kannel.conf"
    conf.write_text(box.config())
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for program in (BEARERBOX, SMSBOX):
            out = (box.directory / f"{program.name}.out").open("wb")
            processes.append(
                subprocess.Popen(
                    [str(program), str(conf)],
                    stdout=out,
                    stderr=out,
                    cwd=box.directory,
                    preexec_fn=die_with_parent,
                )
            )
            out.close()  # the child holds its own copy
            if program == BEARERBOX:
                wait_until(lambda: listening(box.smsbox_port), 15, "bearerbox listening", box.logs)
        wait_until(lambda: listening(box.sendsms_port), 15, "smsbox listening", box.logs)
        wait_until(lambda: "smsbox:" in box.status(), 15, "smsbox connected", box.logs)
        yield box
    finally:
        for process in reversed(processes):
            stop(process)


def listening(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Handset:
    """One fakesmsc session: sends one MO, collects the MT lines Kannel passes back."""

    def __init__(self, kannel: Kannel, line: str) -> None:
        command = [str(FAKESMSC), "-H", LOOPBACK, "-r", str(kannel.fake_port), "-m", "1", line]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(raw.decode(errors="replace"))

    def reply_to(self, msisdn: str, timeout: float) -> str:
        """The first SMS (all its parts) that reaches `msisdn`, decoded."""
        parts: dict[int, bytes] = {}
        total = 1
        deadline = time.monotonic() + timeout
        while len(parts) < total:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete reply to {msisdn} within {timeout:.0f}s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            message = parse_mt(line)
            if message is None or message[1] != msisdn:
                continue
            _, _, seq, count, data = message
            total = count
            parts[seq] = data
        return b"".join(parts[i] for i in sorted(parts)).decode("utf-16-be")

    def close(self) -> None:
        stop(self.process)


def parse_mt(line: str) -> tuple[str, str, int, int, bytes] | None:
    """`Got message N: <sender receiver ucs-2 DATA>` or `<… udh UDH data DATA>` (fakesmsc)."""
    start, end = line.find("Got message"), line.rfind(">")
    if start < 0 or end < 0:
        return None
    fields = line[line.index("<", start) + 1 : end].split(" ")
    sender, receiver, kind = fields[:3]
    if kind == "ucs-2":
        return sender, receiver, 1, 1, _bytes(fields[3])
    if kind == "udh":  # 05 00 03 ref total seq: one part of a long message
        udh = _bytes(fields[3])
        return sender, receiver, udh[5], udh[4], _bytes(fields[5])
    raise AssertionError(f"expected a UCS-2 reply, fakesmsc got: {line.strip()}")


def _bytes(encoded: str) -> bytes:
    return unquote_to_bytes(encoded.replace("+", " "))


@contextlib.contextmanager
def serving(runtime: Runtime, box: Kannel, reply_mode: str) -> Iterator[Runtime]:
    """The service on Kannel's get-url port, in one reply mode, on the test database;
    stopped on the way out."""
    runtime.settings = runtime.settings.model_copy(
        update={
            "kannel_token": SecretStr(box.token),
            "kannel_reply_mode": reply_mode,
            "kannel_sendsms_url": box.sendsms_url,
            "kannel_sendsms_username": SENDSMS_USER,
            "kannel_sendsms_password": SecretStr(SENDSMS_PASSWORD),
            "kannel_dlr_url": f"http://{LOOPBACK}:{box.app_port}/v1/kannel/dlr",
            "outbox_poll_interval": 0.2,
        }
    )
    config = uvicorn.Config(
        create_app(runtime=runtime), host=LOOPBACK, port=box.app_port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 10, "the service started")
        yield runtime
    finally:
        server.should_exit = True
        thread.join(10)
