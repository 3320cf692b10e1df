"""`POST /v1/mo` of `smshall serve` against a bare uvicorn endpoint, both driven by wrk.

What is measured: requests per second a contender answers under a closed-loop load
of `--connections` keep-alive connections (each sends its next request as soon as
the previous answer arrived), the latency percentiles of those answers, the answers
that were not 2xx, socket errors, the server's CPU seconds per request and its peak
RSS. The standard it is read against: the HTTP path should reach half of the bare
endpoint's requests per second.

Method:

* Contenders, each a process of its own on 127.0.0.1, started anew for every run:
  - `uvicorn-bare`: `python -m uvicorn bench.bare_endpoint:app` (a raw ASGI app that
    reads the body and answers a fixed small JSON), one worker, no access log: the
    same uvicorn, uvloop and httptools as smshall, with no application behind them.
    The yardstick.
  - `smshall-sqlite`, `smshall-postgresql`: `smshall serve --port P`, configured by
    environment only (`SMSHALL_GATEWAY_TOKEN`, `SMSHALL_ACCESS_LOG=false`,
    `SMSHALL_SCHEDULED_INTERVAL=0`), on a new database, migrated, with the default
    catalog and subscriber rows for half of the handsets (the other half are unknown
    numbers, answered too). On PostgreSQL the server's processes' CPU is shown
    apart (the server should be otherwise idle).
* The load is wrk with a Lua script written into the run's directory: every request
  is the JSON MO contract (`{"from", "to": "10086", "text", "message_id"}` with the
  gateway's Bearer token), from one of `--numbers` handsets from 13900000000 up,
  with a text out of CXYE, CXLL, "IWJZS 2", HELP and 查话费 (UTF-8 in the body), and
  a message id made of the run's prefix, wrk's thread number and the thread's count
  of requests, so no two requests share one. `--warmup` seconds of the same load
  (its own prefix) precede the `--duration` seconds measured. wrk's `done()` prints
  requests, duration, req/s, latency p50/p95/p99 (`latency:percentile`, µs),
  non-2xx answers (`summary.errors.status`: status 400 and above) and socket
  errors as JSON, which this script reads.
* CPU seconds are utime + stime from /proc/PID/stat over the measured load; "busy"
  is that over the load's wall time (100 % = one core), its peak the busiest second.
  wrk's CPU is its rusage as a child of this process. RSS is VmHWM. On a machine of
  few cores wrk and the server share them, which the CPU columns make visible.
* Correctness: once the load has stopped and the server has written what it
  received, the inbound rows whose message id carries the measured run's prefix are
  counted in the contender's database and compared with the 2xx answers. When wrk
  stops it abandons the requests in flight, which the server may still record:
  such rows are reported apart (at most one per connection).

Run (Linux, `wrk` on PATH, Debian's `wrk` package; PostgreSQL at
SMSHALL_TEST_PG_ADMIN_URL or --pg-admin-url for smshall-postgresql):

    .venv/bin/python bench/http_mo.py
    .venv/bin/python bench/http_mo.py --contenders uvicorn-bare,smshall-sqlite \\
        --duration 10 --connections 8,32,64 --json

bench/README.md has figures and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import resource
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import sqlalchemy  # noqa: E402

from app.gateways.http.mo_json import GATEWAY  # noqa: E402
from bench.processes import (  # noqa: E402
    FIRST_NUMBER,
    LOOPBACK,
    START_TIMEOUT,
    CpuWatch,
    Pids,
    Smshall,
    Usage,
    alive,
    choose,
    clean_environment,
    exit_on_sigterm,
    postgresql_reachable,
    postgresql_server,
    smshall_serving,
    spawn,
    table_row,
    the_process_and_children,
    workdir,
)
from tests import databases  # noqa: E402
from tests.kannel.real_kannel import free_port, log_tails, stop, wait_until  # noqa: E402

PATH = "/v1/mo"
SHORT_CODE = "10086"
TEXTS = ("CXYE", "CXLL", "IWJZS 2", "HELP", "查话费")
BARE = "uvicorn-bare"
#: wrk gives up on an answer after this long (its default, 2 s, would drop slow ones).
WRK_TIMEOUT_S = 10
#: How long the server may take to write what it received once the load has stopped.
SETTLE_TIMEOUT = 15.0
MARK = "WRK_JSON "

LUA = Template(r"""-- POST $path as a gateway would: a new message_id on every request.
-- done() prints one line: "$mark" followed by JSON.
local token = $token
local path = $path_literal
local short_code = $short_code
local first_number = $first_number
local numbers = $numbers
local texts = { $texts }

local threads = {}
local next_thread = 1

function setup(thread)
   thread:set("id", next_thread)
   next_thread = next_thread + 1
   table.insert(threads, thread)
end

function init(args)
   prefix = args[1] .. "-" .. id .. "-"
   written = 0
   math.randomseed(id)
   headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
   written = written + 1
   local number = string.format("%.0f", first_number + math.random(0, numbers - 1))
   local body = '{"from":"' .. number .. '","to":' .. short_code
      .. ',"text":' .. texts[math.random(#texts)]
      .. ',"message_id":"' .. prefix .. written .. '"}'
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   local sent = 0
   for _, thread in ipairs(threads) do
      sent = sent + thread:get("written")
   end
   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      '$mark{"requests":%d,"duration_s":%.3f,"req_per_s":%.1f,"sent":%d,'
      .. '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"non_2xx":%d,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, seconds, summary.requests / seconds, sent,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
      errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
""")


def lua_string(value: str) -> str:
    """A Lua string literal of `value`'s UTF-8 bytes: printable ASCII as is, every other
    byte (and the quote and backslash) as a decimal escape."""
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}"
        for byte in value.encode()
    )
    return f'"{escaped}"'


def json_literal(value: str) -> str:
    """`value` as a JSON string (UTF-8, not \\u escapes), as a Lua string literal."""
    return lua_string(json.dumps(value, ensure_ascii=False))


def write_script(path: Path, token: str, numbers: int) -> Path:
    path.write_text(
        LUA.substitute(
            path=PATH,
            mark=MARK,
            token=lua_string(token),
            path_literal=lua_string(PATH),
            short_code=json_literal(SHORT_CODE),
            first_number=FIRST_NUMBER,
            numbers=numbers,
            texts=", ".join(json_literal(text) for text in TEXTS),
        )
    )
    return path


# -- the load --------------------------------------------------------------------------


@dataclass
class Load:
    """What wrk's `done()` reports."""

    requests: int  # answers received
    duration_s: float
    req_per_s: float
    sent: int  # requests written, abandoned ones included
    p50_us: int
    p95_us: int
    p99_us: int
    max_us: int
    non_2xx: int
    socket_errors: dict[str, int]

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx

    def ms(self, percentile: int) -> float:
        return round(getattr(self, f"p{percentile}_us") / 1000, 1)


@dataclass(frozen=True)
class Wrk:
    script: Path
    url: str
    connections: int
    threads: int

    def run(self, prefix: str, seconds: int, log: Path) -> Load:
        """wrk for `seconds`, its message ids starting with `prefix`."""
        command = [
            "wrk", "-t", str(self.threads), "-c", str(self.connections), "-d", f"{seconds}s",
            "--timeout", f"{WRK_TIMEOUT_S}s", "-s", str(self.script), self.url + PATH,
            "--", prefix,
        ]  # fmt: skip
        process = spawn(command, log, clean_environment(), log.parent)
        try:
            process.wait(seconds + WRK_TIMEOUT_S + 30)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"wrk did not finish\n{log_tails([log])}") from error
        finally:
            stop(process)
        lines = [ln for ln in log.read_text().splitlines() if ln.startswith(MARK)]
        if process.returncode != 0 or not lines:
            raise RuntimeError(f"wrk exited with {process.returncode}\n{log_tails([log])}")
        return Load(**json.loads(lines[-1].removeprefix(MARK)))


def children_cpu() -> float:
    """CPU seconds of this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- contenders ------------------------------------------------------------------------


@dataclass
class Server:
    """A contender answering: its base URL, its pid, other processes whose CPU is its
    work (a database server's), and how to count the MOs it recorded."""

    url: str
    pid: int
    log: Path
    token: str = "unused"
    others: dict[str, Pids] = field(default_factory=dict)
    inbound: Callable[[str], int] | None = None


Starter = Callable[[Path, int], AbstractContextManager[Server]]


def answering(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    alive(process, "uvicorn", log)
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def uvicorn_bare(tmp: Path, numbers: int) -> Iterator[Server]:
    port, log = free_port(), tmp / "uvicorn-bare.log"
    command = [
        sys.executable, "-m", "uvicorn", "bench.bare_endpoint:app", "--host", LOOPBACK,
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = spawn(command, log, clean_environment(), tmp)
    try:
        url = f"http://{LOOPBACK}:{port}"
        wait_until(lambda: answering(process, url, log), START_TIMEOUT, "uvicorn answering", [log])
        yield Server(url, process.pid, log)
    finally:
        stop(process)


def inbound_rows(database_url: str, prefix: str) -> int:
    """MOs of the JSON gateway recorded with a message id starting with `prefix`."""
    engine = sqlalchemy.create_engine(database_url)
    query = sqlalchemy.text(
        "SELECT count(*) FROM inbound_messages WHERE gateway = :gateway"
        " AND gateway_message_id LIKE :prefix"
    )
    try:
        with engine.connect() as connection:
            params = {"gateway": GATEWAY, "prefix": prefix + "%"}
            return int(connection.execute(query, params).scalar_one())
    finally:
        engine.dispose()


def smshall_http(backend: str, workers: int = 1) -> Starter:
    @contextlib.contextmanager
    def start(tmp: Path, numbers: int) -> Iterator[Server]:
        with databases.throwaway_database(backend, tmp) as url:
            token = secrets.token_urlsafe(16)
            settings = {
                "SMSHALL_GATEWAY_TOKEN": token,
                "SMSHALL_ACCESS_LOG": "false",
                "SMSHALL_SCHEDULED_INTERVAL": "0",
            }
            serve_args = ("--workers", str(workers)) if workers > 1 else ()
            service = Smshall(tmp, url, settings, serve_args=serve_args)
            service.prepare(subscribers=numbers // 2)
            with smshall_serving(service) as pid:
                others = {"postgresql": postgresql_server} if backend == "postgresql" else {}
                count = functools.partial(inbound_rows, url)
                yield Server(service.url, pid, service.log, token, others, count)

    return start


@dataclass(frozen=True)
class Contender:
    name: str
    start: Starter
    available: Callable[[], bool] = lambda: True


CONTENDERS = {
    c.name: c
    for c in (
        Contender(BARE, uvicorn_bare),
        Contender("smshall-sqlite", smshall_http("sqlite")),
        Contender("smshall-postgresql", smshall_http("postgresql"), postgresql_reachable),
        Contender(
            "smshall-postgresql-2w", smshall_http("postgresql", workers=2), postgresql_reachable
        ),
    )
}


# -- measuring -------------------------------------------------------------------------


@dataclass
class Result:
    contender: str
    connections: int
    threads: int
    load: Load
    server: Usage
    others: dict[str, Usage]
    wrk_cpu_s: float
    wrk_busy_pct: float
    #: Inbound rows of the measured run; None for the bare endpoint, which keeps nothing.
    inbound_rows: int | None
    ratio_to_bare: float | None = None

    @property
    def cpu_ms_per_request(self) -> float | None:
        """The server process's CPU per answer."""
        n = self.load.requests
        return round(1000 * self.server.cpu_s / n, 3) if n else None

    @property
    def others_ms_per_request(self) -> float | None:
        n, cpu = self.load.requests, sum(u.cpu_s for u in self.others.values())
        return round(1000 * cpu / n, 3) if n and self.others else None

    @property
    def in_flight_rows(self) -> int | None:
        """Rows beyond the 2xx answers: requests abandoned by wrk that the server kept."""
        return None if self.inbound_rows is None else self.inbound_rows - self.load.ok

    @property
    def counts_agree(self) -> bool:
        extra, abandoned = self.in_flight_rows, self.load.sent - self.load.requests
        return self.load.non_2xx == 0 and (extra is None or 0 <= extra <= abandoned)

    def to_dict(self) -> dict[str, Any]:
        extra = {
            "ok_2xx": self.load.ok,
            "cpu_ms_per_request": self.cpu_ms_per_request,
            "others_ms_per_request": self.others_ms_per_request,
            "in_flight_rows": self.in_flight_rows,
            "counts_agree": self.counts_agree,
        }
        return asdict(self) | extra


def settled_count(count: Callable[[str], int], prefix: str) -> int:
    """The count once it has stopped changing: the server writes in batches, and requests
    wrk abandoned at its end may still be on their way to the database."""
    deadline, last = time.monotonic() + SETTLE_TIMEOUT, -1
    while True:
        now = count(prefix)
        if now == last or time.monotonic() > deadline:
            return now
        last = now
        time.sleep(0.5)


def measure(
    name: str, server: Server, tmp: Path, args: argparse.Namespace, connections: int
) -> Result:
    run = secrets.token_hex(4)
    script = write_script(tmp / "mo.lua", server.token, args.numbers)
    wrk = Wrk(script, server.url, connections, args.threads)
    if args.warmup > 0:
        wrk.run(f"{run}w", args.warmup, tmp / "wrk-warmup.log")
    parties = {"server": the_process_and_children(server.pid), **server.others}
    before = children_cpu()
    with CpuWatch(parties) as watch:
        load = wrk.run(f"{run}m", args.duration, tmp / "wrk.log")
    wrk_cpu = children_cpu() - before
    rows = None if server.inbound is None else settled_count(server.inbound, f"{run}m-")
    return Result(
        contender=name,
        connections=connections,
        threads=args.threads,
        load=load,
        server=watch.usage("server"),
        others={other: watch.usage(other, rss=False) for other in server.others},
        wrk_cpu_s=round(wrk_cpu, 2),
        wrk_busy_pct=round(100 * wrk_cpu / max(watch.wall, 1e-6)),
        inbound_rows=rows,
    )


def run_one(
    contender: Contender, args: argparse.Namespace, connections: int, label: str
) -> tuple[Result, str]:
    """One measured run on a fresh contender; the result and the tail of its log."""
    with workdir(args.logs, label) as tmp, contender.start(tmp, args.numbers) as server:
        result = measure(contender.name, server, tmp, args, connections)
        return result, log_tails([server.log])


# -- output ----------------------------------------------------------------------------

COLUMNS = (
    ("contender", 18), ("conns", 5), ("req/s", 7), ("p50ms", 6), ("p95ms", 6), ("p99ms", 6),
    ("non2xx", 6), ("sockerr", 7), ("ms CPU/req", 10), ("server avg/peak", 15), ("db ms/req", 9),
    ("wrk", 5), ("RSS MB", 6), ("rows", 7), ("=2xx", 7), ("x bare", 6),
)  # fmt: skip


def row(values: list[Any]) -> str:
    return table_row(values, COLUMNS)


def header() -> str:
    return row([name for name, _ in COLUMNS])


def preamble(args: argparse.Namespace) -> str:
    return (
        f"wrk POST {PATH}: {args.duration} s measured after {args.warmup} s of warm-up, "
        f"{args.threads} wrk thread(s), {args.numbers} handsets.\n"
        "ms CPU/req: the server process's CPU per answer; avg/peak: % of one core over the "
        "load / in its busiest second;\ndb ms/req: PostgreSQL's CPU per answer; wrk: its CPU "
        "as % of one core; RSS: the server's peak;\nrows: inbound rows recorded, =2xx: how "
        "they compare with the 2xx answers; x bare: req/s over uvicorn-bare's."
    )


def agreement(result: Result) -> str:
    extra = result.in_flight_rows
    if extra is None:
        return "-"
    return "yes" if extra == 0 else f"{extra:+d}"


def line(result: Result) -> str:
    load, server = result.load, result.server
    errors = sum(load.socket_errors.values())
    others = result.others_ms_per_request
    ratio = result.ratio_to_bare
    return row([
        result.contender, result.connections, f"{load.req_per_s:.0f}", load.ms(50), load.ms(95),
        load.ms(99), load.non_2xx, errors, result.cpu_ms_per_request,
        f"{server.busy_pct:.0f}/{server.peak_busy_pct:.0f}%", "-" if others is None else others,
        f"{result.wrk_busy_pct:.0f}%", f"{server.peak_rss_mb or 0:.0f}",
        "-" if result.inbound_rows is None else result.inbound_rows, agreement(result),
        "-" if ratio is None else f"{ratio:.3f}",
    ])  # fmt: skip


def complaints(result: Result, log: str) -> list[str]:
    """What a reader must know about a run: non-2xx answers, socket errors, counts that
    do not agree (with the server's log when the server answered in error)."""
    found, load = [], result.load
    name = f"{result.contender} at {result.connections} connections"
    if load.non_2xx:
        found.append(f"{name}: {load.non_2xx} answers were not 2xx; the server's log:\n{log}")
    if any(load.socket_errors.values()):
        found.append(f"{name}: socket errors {load.socket_errors}")
    extra = result.in_flight_rows
    if extra is not None and extra != 0:
        abandoned = load.sent - load.requests
        verdict = "requests abandoned in flight at wrk's end" if result.counts_agree else "WRONG"
        found.append(
            f"{name}: {result.inbound_rows} inbound rows for {load.ok} 2xx answers "
            f"({extra:+d}; wrk sent {load.sent}, {abandoned} unanswered): {verdict}"
        )
    return found


# -- command line ----------------------------------------------------------------------


def positive_ints(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma list of positive integers")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before (2)")
    parser.add_argument(
        "--connections", type=positive_ints, default=[32],
        help="wrk connections, or a comma list to run each (32)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--numbers", type=int, default=1000, help="distinct handsets (1000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender")
    parser.add_argument(
        "--contenders",
        help=f"comma list of {', '.join(CONTENDERS)} (default: every one available here)",
    )
    parser.add_argument("--pg-admin-url", help="PostgreSQL server for smshall-postgresql")
    parser.add_argument("--logs", help="keep every process's log and the wrk script here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.threads > min(args.connections):
        parser.error("--threads must be between 1 and the fewest --connections")
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1 s, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if args.pg_admin_url:
        databases.PG_ADMIN_URL = args.pg_admin_url
    contenders = choose(args.contenders, CONTENDERS, "PostgreSQL")
    # The yardstick first, so each smshall run has its ratio to hand.
    contenders.sort(key=lambda c: c.name != BARE)
    human = sys.stderr if args.json else sys.stdout
    print(preamble(args), file=human)
    print(header(), file=human, flush=True)
    results: list[Result] = []
    notes: list[str] = []
    failures = 0
    runs = [(n, c) for n in args.connections for _ in range(args.repeat) for c in contenders]
    bare: Result | None = None
    for number, (connections, contender) in enumerate(runs, start=1):
        try:
            label = f"{number:02d}-{contender.name}-c{connections}"
            result, log = run_one(contender, args, connections, label)
        except Exception as error:  # report it and go on with the others
            failures += 1
            print(f"{contender.name} at {connections} failed: {error}", file=human, flush=True)
            continue
        if contender.name == BARE:
            bare = result
        elif bare is not None and bare.connections == connections and bare.load.req_per_s:
            result.ratio_to_bare = round(result.load.req_per_s / bare.load.req_per_s, 3)
        results.append(result)
        notes += complaints(result, log)
        print(line(result), file=human, flush=True)
    for note in notes:
        print(note, file=human)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    return 1 if failures or not all(r.counts_agree for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
