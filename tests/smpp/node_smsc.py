"""Driving `independent_smsc/smsc.js`: an SMSC built on node-smpp, the npm package.

node-smpp is an SMPP implementation written by other people (its own framing,
PDU codec, text and UDH decoding), so the gateway is checked against a peer that
shares none of its assumptions. The SMSC runs as a `node` subprocess on
127.0.0.1; commands go to its stdin and its events come back on stdout, one JSON
object a line (the protocol is described at the top of smsc.js). Every wait here
has a deadline, and the process is killed when the test ends.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "independent_smsc"
SCRIPT = HERE / "smsc.js"
NPM_CI_TIMEOUT = 300.0

Event = dict[str, Any]


def node_smsc_unavailable() -> str | None:
    """Why the node SMSC cannot run here (None when it can); installs its
    npm dependencies (`npm ci`) first when they are missing or stale."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        return f"{missing} not installed (Debian: apt-get install nodejs npm; ./dev test does it)"
    installed = HERE / "node_modules" / ".package-lock.json"
    lock = HERE / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return None
    command = [npm, "ci", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            command, cwd=HERE, capture_output=True, text=True, timeout=NPM_CI_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return f"`npm ci` in {HERE} did not finish within {NPM_CI_TIMEOUT:.0f}s"
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        return f"`npm ci` in {HERE} failed ({done.returncode}): {tail}"
    return None


class NodeSmscError(AssertionError):
    """The node SMSC did not do what it was asked, or said something unexpected."""


class NodeSmsc:
    """One running `smsc.js`: its port, its events, and commands to it."""

    def __init__(self, system_id: str = "smshall", password: str = "secret") -> None:
        self.system_id = system_id
        self.password = password
        self.events: list[Event] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), "--port", "0", "--system-id", system_id,
             "--password", password],
            cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", bufsize=1,
        )  # fmt: skip
        threading.Thread(target=self._read_events, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        try:
            self.port: int = self.wait_for_event("listening", timeout=10.0)["port"]
        except Exception:
            self.stop()
            raise

    # -- process --------------------------------------------------------------------

    def _read_events(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "unreadable", "line": line}
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self.events.append({"event": "exited"})
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip())

    def stop(self, grace: float = 3.0) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()  # smsc.js exits when its stdin closes
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(grace)

    # -- events ---------------------------------------------------------------------

    def of(
        self, kind: str, predicate: Callable[[Event], bool] | None = None, since: int = 0
    ) -> list[Event]:
        """Events of `kind` so far (after position `since`) satisfying `predicate`."""
        with self._changed:
            return [
                e
                for e in self.events[since:]
                if e["event"] == kind and (predicate is None or predicate(e))
            ]

    def mark(self) -> int:
        """A position in the event log; `since=` waits only for what came after it."""
        with self._changed:
            return len(self.events)

    def wait_for_event(
        self,
        kind: str,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float = 5.0,
        since: int = 0,
    ) -> Event:
        """The first event of `kind` (after `since`) that satisfies `predicate`."""
        found = self.wait_for_events(kind, 1, predicate, timeout, since)
        return found[0]

    def wait_for_events(
        self,
        kind: str,
        count: int,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float = 5.0,
        since: int = 0,
    ) -> list[Event]:
        """At least `count` events of `kind` (after `since`) satisfying `predicate`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    e
                    for e in self.events[since:]
                    if e["event"] == kind and (predicate is None or predicate(e))
                ]
                if len(found) >= count:
                    return found
                if self.events and self.events[-1]["event"] == "exited":
                    raise NodeSmscError(f"smsc.js exited waiting for {kind}: {self._diagnosis()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NodeSmscError(
                        f"{len(found)} of {count} {kind} event(s) within {timeout}s; "
                        f"{self._diagnosis()}"
                    )
                self._changed.wait(left)

    def _diagnosis(self) -> str:
        recent = [json.dumps(e, ensure_ascii=False)[:300] for e in self.events[-12:]]
        errors = [e for e in self.events if e["event"] == "error"]
        return (
            "last events:\n  " + "\n  ".join(recent)
            + (f"\nerrors: {errors}" if errors else "")
            + (f"\nstderr: {self.stderr[-10:]}" if self.stderr else "")
        )  # fmt: skip

    # -- commands -------------------------------------------------------------------

    def command(self, cmd: str, timeout: float = 5.0, **fields: Any) -> Event:
        """Send a command and wait for its acknowledgement; errors raise."""
        ident = next(self._ids)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, "id": ident, **fields}) + "\n")
        self.process.stdin.flush()
        ack = self.wait_for_event("ack", lambda e: e["id"] == ident, timeout)
        if "error" in ack:
            raise NodeSmscError(f"{cmd}: {ack['error']}")
        return ack

    def deliver(
        self,
        source: str,
        dest: str,
        short_message: bytes = b"",
        data_coding: int = 0,
        esm_class: int = 0,
        link: int | None = None,
        **tlvs: Any,
    ) -> tuple[int, int]:
        """A deliver_sm to a bound receiver; its (link, sequence number)."""
        fields: dict[str, Any] = dict(
            source=source, dest=dest, short_message_hex=short_message.hex(),
            data_coding=data_coding, esm_class=esm_class,
            tlvs={k: {"hex": v.hex()} if isinstance(v, bytes) else v for k, v in tlvs.items()},
        )  # fmt: skip
        if link is not None:
            fields["link"] = link
        ack = self.command("deliver", **fields)
        return ack["link"], ack["sequence"]

    def deliver_resp(self, link: int, sequence: int, timeout: float = 5.0) -> Event:
        """The ESME's deliver_sm_resp to that deliver_sm."""
        return self.wait_for_event(
            "deliver_sm_resp", lambda e: (e["link"], e["sequence"]) == (link, sequence), timeout
        )

    def bound_links(self, role: str | None = None) -> list[dict[str, Any]]:
        """Open links bound as `role` (bind_transceiver, ...), or bound at all."""
        links = self.command("links")["links"]
        return [
            link
            for link in links
            if link["open"] and link["bound_as"] and (role is None or link["bound_as"] == role)
        ]

    def accepted_submits(self, since: int = 0) -> list[Event]:
        """submit_sm accepted (answered, or held to be answered, with ESME_ROK)."""
        return self.of("submit_sm", lambda e: e["status"] == 0, since)
