"""The processes the benchmarks start and measure, shared by every bench in this folder.

* Spawning: every process is started with a clean environment (no SMSHALL_*,
  GATEWAY_SIM_* or DATABASE_URL of the developer's own, so nothing but the bench
  decides what is measured), its output in a log file, and PR_SET_PDEATHSIG, so it
  gets SIGTERM when the bench dies, however it dies.
* Measuring: CPU seconds are utime + stime of every thread from /proc/PID/stat, peak
  RSS is VmHWM from /proc/PID/status; `CpuWatch` takes them over a stretch of time,
  with the busiest second, for named parties of one or more processes.
* smshall: `Smshall` is `smshall …` (`python -m app.cli …`) configured by `SMSHALL_*`
  environment variables only, in a working directory of its own (so no `.env` is
  read): migrate, load the default catalog, import generated subscribers, serve,
  wait until `/health` answers. Databases come from `tests.databases` (a SQLite file
  in the working directory, or a PostgreSQL database created and dropped around the
  run).
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from tests import databases  # noqa: E402
from tests.kannel.real_kannel import (  # noqa: E402
    die_with_parent,
    free_port,
    log_tails,
    stop,
    wait_until,
)

LOOPBACK = "127.0.0.1"
#: Handsets number from here; generated subscribers too.
FIRST_NUMBER = 13900000000
START_TIMEOUT = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- starting and stopping -------------------------------------------------------------


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without settings of the service or the simulator, plus `extra`:
    a developer's own SMSHALL_* variables must not change what is measured."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMSHALL_", "GATEWAY_SIM_")) and key != "DATABASE_URL"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | extra


def spawn(command: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start a process that dies with this one, its output going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=out, env=env, cwd=cwd, preexec_fn=die_with_parent
        )


def alive(process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    if process.poll() is not None:
        raise RuntimeError(f"{what} exited with {process.returncode}\n{log_tails([log])}")


def exit_on_sigterm() -> None:
    """SIGTERM ends this process as Ctrl-C would: through every `finally`, so the
    processes it started are stopped and throwaway databases dropped."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@contextlib.contextmanager
def workdir(keep_under: str | None, name: str) -> Iterator[Path]:
    """A temporary directory, or `keep_under/name` kept after the run (logs, configs)."""
    if keep_under is None:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            yield Path(tmp)
        return
    path = Path(keep_under).resolve() / name
    path.mkdir(parents=True, exist_ok=True)
    yield path


# -- /proc -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, all its threads."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def processes_named(*names: str, parent: int | None = None) -> dict[int, str]:
    """Processes whose command name is one of `names` (children of `parent` if given)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            if name in names and parent in (None, ppid):
                found[int(stat.parent.name)] = name
    return found


#: The processes of one party, looked up when measured (a database server's may change).
Pids = Callable[[], list[int]]


def the_process(pid: int) -> Pids:
    return lambda: [pid]


def the_process_and_children(pid: int) -> Pids:
    """A server and the worker processes it started (uvicorn's --workers)."""

    def pids() -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(stat.parent.name))
        return [pid, *children]

    return pids


def postgresql_server() -> list[int]:
    """Every PostgreSQL server process on this machine: its backends do the contender's
    queries. The server should otherwise be idle while this runs."""
    return list(processes_named("postgres"))


def postgresql_reachable() -> bool:
    try:
        psycopg.connect(databases.PG_ADMIN_URL, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            found[pid] = cpu_seconds(pid)
    return found


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two looks; a process new since the first counts from zero."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


@dataclass
class Usage:
    cpu_s: float
    busy_pct: float  # CPU over the stretch's wall time; 100 = one core
    peak_busy_pct: float  # the busiest second
    peak_rss_mb: float | None  # VmHWM


class CpuWatch:
    """CPU seconds of each party over a stretch of time, and its busiest second."""

    def __init__(self, parties: dict[str, Pids], interval: float = 1.0) -> None:
        self.parties, self.interval = parties, interval
        self.peak_busy = dict.fromkeys(parties, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="cpu-watch", daemon=True)

    def look(self) -> dict[str, dict[int, float]]:
        return {name: cpu_by_pid(pids()) for name, pids in self.parties.items()}

    def __enter__(self) -> CpuWatch:
        self.first, self.started = self.look(), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.last, self.wall = self.look(), time.monotonic() - self.started

    def _sample(self) -> None:
        before, then = self.first, self.started
        while not self._stop.wait(self.interval):
            now, at = self.look(), time.monotonic()
            for name in self.parties:
                busy = 100 * spent(before[name], now[name]) / max(at - then, 1e-6)
                self.peak_busy[name] = max(self.peak_busy[name], busy)
            before, then = now, at

    def usage(self, name: str, rss: bool = True) -> Usage:
        cpu = spent(self.first[name], self.last[name])
        return Usage(
            cpu_s=round(cpu, 2),
            busy_pct=round(100 * cpu / max(self.wall, 1e-6)),
            peak_busy_pct=round(self.peak_busy[name]),
            peak_rss_mb=round(sum(peak_rss_mb(pid) for pid in self.last[name]), 1) if rss else None,
        )


# -- smshall ---------------------------------------------------------------------------


def write_subscribers(path: Path, first_number: int, count: int) -> None:
    """`count` subscribers from `first_number` up: brands in turn, every tenth suspended."""
    brands = ("gotone", "mzone", "easyown")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["msisdn", "brand", "status", "opened_on", "balance_yuan"])
        for i in range(count):
            status = "suspended" if i % 10 == 9 else "active"
            opened = f"{2005 + i % 20}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            writer.writerow([first_number + i, brands[i % 3], status, opened, f"{i % 300}.50"])


@dataclass
class Smshall:
    """The service as its own process (`smshall …` = `python -m app.cli …`), configured by
    environment variables only, in a working directory of its own (so no `.env` is read)."""

    workdir: Path
    database_url: str
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    serve_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "smshall.log"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def environment(self) -> dict[str, str]:
        settings = {
            "SMSHALL_DATABASE_URL": self.database_url,
            "SMSHALL_HOST": LOOPBACK,
            "SMSHALL_PORT": str(self.port),
            "SMSHALL_ADMIN_TOKEN": self.admin_token,  # for the admin API
            # A few handsets texting as fast as they are answered: no subscriber's pace,
            # so the per-number flood limit is off for the measurement.
            "SMSHALL_MO_PER_MINUTE": "0",
            "SMSHALL_HTTP_PER_SECOND": "0",
        }
        return clean_environment(**settings, **self.settings)

    def command(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "app.cli", *argv]

    def run(self, *argv: str) -> None:
        with self.log.open("ab") as out:
            done = subprocess.run(
                self.command(*argv), stdout=out, stderr=out, env=self.environment(),
                cwd=self.workdir, timeout=120, preexec_fn=die_with_parent,
            )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"smshall {' '.join(argv)} failed\n{log_tails([self.log])}")

    def prepare(self, subscribers: int) -> None:
        """Migrate, load the default catalog, import `subscribers` subscriber rows."""
        self.run("migrate")
        self.run("catalog", "load")
        if subscribers > 0:
            csv_file = self.workdir / "subscribers.csv"
            write_subscribers(csv_file, FIRST_NUMBER, subscribers)
            self.run("import", "subscribers", str(csv_file))

    def start(self) -> None:
        command = self.command("serve", "--port", str(self.port), *self.serve_args)
        self.process = spawn(command, self.log, self.environment(), self.workdir)
        wait_until(self.healthy, START_TIMEOUT, "smshall serving", [self.log])

    def get(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        response = httpx.get(self.url + path, headers=headers, timeout=5)
        response.raise_for_status()
        return response.json()

    def healthy(self) -> bool:
        assert self.process is not None
        alive(self.process, "smshall serve", self.log)
        try:
            return self.get("/health")["status"] == "ok"
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=15.0)


@contextlib.contextmanager
def smshall_serving(service: Smshall) -> Iterator[int]:
    """`smshall serve` running; its pid."""
    try:
        service.start()
        assert service.process is not None
        yield service.process.pid
    finally:
        service.stop()


# -- choosing contenders ---------------------------------------------------------------


class Choosable(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def available(self) -> Callable[[], bool]: ...


C = TypeVar("C", bound=Choosable)


def choose(names: str | None, known: Mapping[str, C], needs: str) -> list[C]:
    """The contenders named in a comma list, or every one available here; `needs` says
    what a contender that cannot run here lacks."""
    if names is None:
        return [c for c in known.values() if c.available()]
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in known:
            raise SystemExit(f"unknown contender {name!r}; known: {', '.join(known)}")
        if not known[name].available():
            raise SystemExit(f"{name} cannot run here ({needs} missing)")
        chosen.append(known[name])
    return chosen


def table_row(values: Sequence[Any], columns: Sequence[tuple[str, int]]) -> str:
    """One line of a report: the first cell left-aligned, the rest right-aligned,
    each as wide as its (name, width) column says."""
    cells = [f"{v!s:>{w}}" for v, (_, w) in zip(values, columns, strict=True)]
    cells[0] = f"{values[0]!s:<{columns[0][1]}}"
    return " ".join(cells)
