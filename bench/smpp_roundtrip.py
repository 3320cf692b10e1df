"""MO -> MT round trips over SMPP against the project's SMSC simulator, one OS process per party.

What is measured: handsets text the short code; each MO reaches the contender as a
`deliver_sm` and the contender's reply comes back as a `submit_sm`. Per contender
and offered rate: MOs sent, MOs answered / unanswered (no reply within 10 s),
errors (MOs the load generator failed to inject), complete MT per second, MO -> MT
latency percentiles, and the CPU seconds and peak RSS of every process involved.

Method:

* The SMSC is `python -m gateway_sim serve` in its own process on 127.0.0.1 free
  ports, with receipts 0.05 s after each submit. A fresh simulator is started for
  every contender and rate, so no counters or queues carry over.
* The load is `gateway_sim.load.run_load` in this process: it injects MOs through
  the simulator's control API at the offered rate across `--numbers` handsets, each
  handset waiting for the reply to its MO before it texts again. Latency is taken
  on the simulator's clock, from the MO's injection to the reply's (last) submit_sm,
  so the load generator's own HTTP overhead is not counted.
* Contenders, each in processes of its own:
  - `smshall-sqlite`, `smshall-postgresql`: `smshall serve` bound to the simulator
    as a transceiver, configured by environment only and otherwise on its defaults
    (`outbox_poll_interval` included; the bind's window is `--window`, its TPS
    unlimited). Its database is new, migrated, with the default catalog and
    subscriber rows for half of the handsets (the other half are unknown numbers,
    which are answered too). On PostgreSQL the server's processes' CPU counts as
    the contender's (the server should be otherwise idle).
  - `kannel-static`: Kannel's bearerbox + smsbox bound to the simulator as a
    transceiver (`max-pending-submits` = 10, no `throughput` limit) with a catch-all
    `sms-service` answering a fixed text: Kannel's own MO -> MT path, no
    application behind it.
  - `kannel-smshall-http`: the same Kannel with `get-url` to `smshall serve`'s
    `/v1/kannel/mo` in body mode, on SQLite.
* CPU seconds are utime + stime from /proc/PID/stat over the load only (start-up
  excluded); peak RSS is VmHWM from /proc/PID/status. "ms/MT" is the contender's
  CPU per reply delivered; "busy" is CPU seconds over the load's wall time, and its
  peak the busiest second: 100 % is one core. The load generator's CPU is this
  process's. On a small machine the simulator, the load generator and the
  contender share the cores, which the CPU columns make visible.

Run (Linux; Kannel from Debian's `kannel` package for the Kannel contenders;
PostgreSQL at SMSHALL_TEST_PG_ADMIN_URL or --pg-admin-url for smshall-postgresql):

    .venv/bin/python bench/smpp_roundtrip.py
    .venv/bin/python bench/smpp_roundtrip.py --contenders smshall-sqlite,kannel-static \\
        --count 2000 --rates 100,200,400,800 --numbers 90 --repeat 3 --json

The load generator sends every MO over one HTTP client of 100 connections: with
more handsets than that, its requests queue in the client, which then costs it a
core and makes the offered load bursty. bench/README.md has figures and how to
read them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

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
    postgresql_reachable,
    postgresql_server,
    processes_named,
    smshall_serving,
    spawn,
    table_row,
    the_process,
    workdir,
)
from gateway_sim.load import LoadReport, run_load  # noqa: E402
from tests import databases  # noqa: E402
from tests.kannel.real_kannel import (  # noqa: E402
    Kannel,
    SmppSmsc,
    boxes_installed,
    free_port,
    running,
    stop,
    wait_until,
)

#: Kannel makes an SMPP source address of TON 1 "+<digits>": handsets of the Kannel +
#: smshall contender carry the country code, as a real international number would.
FIRST_NUMBER_WITH_COUNTRY_CODE = 8613900000000
STATIC_REPLY = "Thank you, your request has been received."
REPLY_TIMEOUT = 10.0
#: The SP id smshall logs in with at the simulator's ISMG (the CMPP contender).
CMPP_SP_ID = "901234"


# -- the simulator ---------------------------------------------------------------------


@dataclass
class Simulator:
    """`python -m gateway_sim serve` on loopback, with one account and a control token."""

    workdir: Path
    system_id: str
    password: str = field(default_factory=lambda: secrets.token_hex(4))  # SMPP: ≤ 8 characters
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    smpp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    #: How the contender reaches the simulator: SMPP, or CMPP (its ISMG is started too).
    protocol: str = "smpp"
    cmpp_port: int = field(default_factory=free_port)
    cmpp_secret: str = field(default_factory=lambda: secrets.token_hex(8))
    process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def log(self) -> Path:
        return self.workdir / "simulator.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gateway_sim", "serve",
            "--host", LOOPBACK, "--http-host", LOOPBACK,
            "--smpp-port", str(self.smpp_port), "--http-port", str(self.http_port),
            "--system-id", self.system_id, "--password", self.password,
            "--receipt-delay", "0.05", "--log-level", "WARNING",
        ]  # fmt: skip
        if self.protocol == "cmpp":
            command += ["--cmpp-port", str(self.cmpp_port),
                        "--cmpp-account", f"{CMPP_SP_ID}:{self.cmpp_secret}"]  # fmt: skip
        env = clean_environment(GATEWAY_SIM_TOKEN=self.token)
        self.process = spawn(command, self.log, env, self.workdir)
        wait_until(self.healthy, START_TIMEOUT, "the simulator answering", [self.log])

    def api(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        response = httpx.get(self.http_url + path, headers=headers, timeout=5.0)
        response.raise_for_status()
        return response.json()

    def healthy(self) -> bool:
        assert self.process is not None
        alive(self.process, "the simulator", self.log)
        try:
            return bool(self.api("/api/health")["ok"])
        except httpx.HTTPError:
            return False

    def bound(self) -> bool:
        """The account holds a bound transceiver (whoever the contender is)."""
        return any(
            b["system_id"] == self.system_id
            and b["mode"] == "transceiver"
            and b["state"] == "bound"
            for b in self.api("/api/binds")["binds"]
        )

    def connected(self) -> bool:
        """A CMPP link of the SP is up at the ISMG."""
        return any(link["state"] == "connected" for link in self.api("/api/cmpp")["links"])

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=10.0)


@contextlib.contextmanager
def simulator(workdir: Path, system_id: str, protocol: str = "smpp") -> Iterator[Simulator]:
    sim = Simulator(workdir, system_id, protocol=protocol)
    try:
        sim.start()
        yield sim
    finally:
        sim.stop()


# -- contenders ------------------------------------------------------------------------


@dataclass
class Running:
    """A contender up and bound: its processes (name -> pids), where its handsets
    number from, and its own counters after the load."""

    processes: dict[str, Pids]
    first_number: int = FIRST_NUMBER
    counters: Callable[[], dict[str, Any]] = dict
    #: Parties whose RSS means nothing to add up (shared memory of a database server).
    no_rss: tuple[str, ...] = ()


@dataclass
class Options:
    numbers: int
    window: int


Starter = Callable[[Simulator, Path, Options], AbstractContextManager[Running]]


def smpp_counters(service: Smshall) -> dict[str, Any]:
    """The outbox sender's counters and each bind's, from `/v1/smpp/binds`."""
    view = service.get("/v1/smpp/binds")
    binds = {b["name"]: b["counters"] for b in view["binds"]}
    return {"outbox_sender": view["outbox_sender"], "binds": binds}


def smpp_bind(sim: Simulator, window: int) -> str:
    bind = {
        "name": "sim", "host": LOOPBACK, "port": sim.smpp_port,
        "system_id": sim.system_id, "password": sim.password, "window": window, "tps": 0,
    }  # fmt: skip
    return json.dumps([bind])


def smshall_over_smpp(backend: str) -> Starter:
    @contextlib.contextmanager
    def start(sim: Simulator, workdir: Path, options: Options) -> Iterator[Running]:
        with databases.throwaway_database(backend, workdir) as url:
            bind = smpp_bind(sim, options.window)
            service = Smshall(workdir, url, {"SMSHALL_SMPP_BINDS": bind})
            counters = functools.partial(smpp_counters, service)
            service.prepare(subscribers=options.numbers // 2)
            with smshall_serving(service) as pid:
                wait_until(sim.bound, START_TIMEOUT, "smshall bound", [service.log, sim.log])
                processes = {"smshall": the_process(pid)}
                if backend == "postgresql":
                    processes["postgresql"] = postgresql_server
                yield Running(processes, counters=counters, no_rss=("postgresql",))

    return start


def binds_bound(sim: Simulator, count: int) -> bool:
    """The account holds `count` bound transceivers."""
    return (
        sum(
            b["system_id"] == sim.system_id and b["mode"] == "transceiver" and b["state"] == "bound"
            for b in sim.api("/api/binds")["binds"]
        )
        >= count
    )


def smshall_processes_over_smpp(count: int) -> Starter:
    """`count` `smshall serve` processes on one PostgreSQL, each with a bind of its own
    to the simulator, which spreads the MOs over the binds."""

    @contextlib.contextmanager
    def start(sim: Simulator, workdir: Path, options: Options) -> Iterator[Running]:
        with databases.throwaway_database("postgresql", workdir) as url:
            bind = smpp_bind(sim, options.window)
            services = []
            for number in range(count):
                home = workdir / f"smshall-{number + 1}"
                home.mkdir()
                services.append(Smshall(home, url, {"SMSHALL_SMPP_BINDS": bind}))
            services[0].prepare(subscribers=options.numbers // 2)
            with contextlib.ExitStack() as stack:
                pids = [stack.enter_context(smshall_serving(service)) for service in services]
                logs = [service.log for service in services]
                wait_until(
                    lambda: binds_bound(sim, count),
                    START_TIMEOUT,
                    "smshall bound",
                    [*logs, sim.log],
                )
                processes = {f"smshall-{n + 1}": the_process(pid) for n, pid in enumerate(pids)}
                processes["postgresql"] = postgresql_server

                def counters() -> dict[str, Any]:
                    return {f"smshall-{n + 1}": smpp_counters(s) for n, s in enumerate(services)}

                yield Running(processes, counters=counters, no_rss=("postgresql",))

    return start


def cmpp_counters(service: Smshall) -> dict[str, Any]:
    """The CMPP sender's counters and each link's, from `/v1/cmpp/links`."""
    view = service.get("/v1/cmpp/links")
    links = {link["name"]: link["counters"] for link in view["links"]}
    return {"outbox_sender": view["outbox_sender"], "links": links}


def smshall_over_cmpp(backend: str) -> Starter:
    """smshall as the SP of a CMPP 3.0 link to the simulator's ISMG, replies by CMPP."""

    @contextlib.contextmanager
    def start(sim: Simulator, workdir: Path, options: Options) -> Iterator[Running]:
        with databases.throwaway_database(backend, workdir) as url:
            link = {
                "name": "ismg", "host": LOOPBACK, "port": sim.cmpp_port,
                "source_addr": CMPP_SP_ID, "shared_secret": sim.cmpp_secret,
                "sp_code": "10086", "window": options.window, "tps": 0,
            }  # fmt: skip
            settings = {"SMSHALL_CMPP_LINKS": json.dumps([link])}
            service = Smshall(workdir, url, settings)
            service.prepare(subscribers=options.numbers // 2)
            with smshall_serving(service) as pid:
                wait_until(
                    sim.connected, START_TIMEOUT, "smshall connected", [service.log, sim.log]
                )
                processes = {"smshall": the_process(pid)}
                if backend == "postgresql":
                    processes["postgresql"] = postgresql_server
                yield Running(
                    processes,
                    counters=functools.partial(cmpp_counters, service),
                    no_rss=("postgresql",),
                )

    return start


def kannel_box(workdir: Path, sim: Simulator, app_port: int, token: str, **kw: Any) -> Kannel:
    directory = workdir / "kannel"
    directory.mkdir(exist_ok=True)
    smsc = SmppSmsc(sim.smpp_port, sim.system_id, sim.password)
    ports = (free_port() for _ in range(4))
    return Kannel(directory, app_port, *ports, token=token, smpp=smsc, **kw)


def kannel_processes() -> dict[str, Pids]:
    """bearerbox and smsbox, started by this process."""
    mine = processes_named("bearerbox", "smsbox", parent=os.getpid())
    return {name: the_process(pid) for pid, name in mine.items()}


@contextlib.contextmanager
def kannel_static(sim: Simulator, workdir: Path, options: Options) -> Iterator[Running]:
    box = kannel_box(workdir, sim, free_port(), "unused", static_reply=STATIC_REPLY)
    with running(box):
        wait_until(sim.bound, START_TIMEOUT, "Kannel bound", [*box.logs, sim.log])
        yield Running(kannel_processes())


@contextlib.contextmanager
def kannel_smshall_http(sim: Simulator, workdir: Path, options: Options) -> Iterator[Running]:
    with databases.throwaway_database("sqlite", workdir) as url:
        token = secrets.token_urlsafe(16)
        settings = {"SMSHALL_KANNEL_TOKEN": token, "SMSHALL_KANNEL_REPLY_MODE": "body"}
        service = Smshall(workdir, url, settings)
        service.prepare(subscribers=options.numbers // 2)
        with smshall_serving(service) as pid:
            box = kannel_box(workdir, sim, service.port, token)
            with running(box):
                wait_until(sim.bound, START_TIMEOUT, "Kannel bound", [*box.logs, sim.log])
                processes = {"smshall": the_process(pid), **kannel_processes()}
                yield Running(processes, FIRST_NUMBER_WITH_COUNTRY_CODE)


@dataclass(frozen=True)
class Contender:
    name: str
    system_id: str  # its account at the simulator
    start: Starter
    available: Callable[[], bool] = lambda: True
    protocol: str = "smpp"


CONTENDERS = {
    c.name: c
    for c in (
        Contender("smshall-sqlite", "smshall", smshall_over_smpp("sqlite")),
        Contender(
            "smshall-postgresql", "smshall", smshall_over_smpp("postgresql"), postgresql_reachable
        ),
        Contender(
            "smshall-postgresql-2proc",
            "smshall",
            smshall_processes_over_smpp(2),
            postgresql_reachable,
        ),
        Contender("smshall-cmpp-sqlite", "smshall", smshall_over_cmpp("sqlite"), protocol="cmpp"),
        Contender("kannel-static", "kannel", kannel_static, boxes_installed),
        Contender("kannel-smshall-http", "kannel", kannel_smshall_http, boxes_installed),
    )
}


# -- measuring -------------------------------------------------------------------------


@dataclass
class Result:
    contender: str
    rate: float
    numbers: int
    load: LoadReport
    processes: dict[str, Usage]
    simulator: Usage
    load_generator: Usage
    mt_parts_per_mt: float | None
    receipts: int
    submit_sm_resp: dict[str, int]
    counters: dict[str, Any]

    @property
    def cpu_s(self) -> float:
        return sum(u.cpu_s for u in self.processes.values())

    @property
    def rss_mb(self) -> float:
        return sum(u.peak_rss_mb or 0.0 for u in self.processes.values())

    @property
    def cpu_ms_per_mt(self) -> float | None:
        """The contender's CPU per reply delivered: what one round trip costs it."""
        mt = self.load.mt_received
        return round(1000 * self.cpu_s / mt, 2) if mt else None

    @property
    def db_ms_per_mt(self) -> float | None:
        """The database server's share of `cpu_ms_per_mt` (PostgreSQL only)."""
        db, mt = self.processes.get("postgresql"), self.load.mt_received
        return round(1000 * db.cpu_s / mt, 2) if db is not None and mt else None

    @property
    def offered(self) -> str:
        """The offered load: a rate, or W for a closed loop."""
        return f"{self.rate:g}/s" if math.isfinite(self.rate) else f"W={self.numbers}"

    @property
    def busiest(self) -> str:
        name, usage = max(self.processes.items(), key=lambda item: item[1].busy_pct)
        return f"{name} {usage.busy_pct:.0f}/{usage.peak_busy_pct:.0f}%"

    def to_dict(self) -> dict[str, Any]:
        extra = {"cpu_s": self.cpu_s, "cpu_ms_per_mt": self.cpu_ms_per_mt, "rss_mb": self.rss_mb}
        return asdict(self) | {"load": self.load.to_dict()} | extra


def measure(
    contender: str, rate: float, sim: Simulator, up: Running, args: argparse.Namespace
) -> Result:
    parties = {**up.processes, "simulator": the_process(sim.pid), "load": the_process(os.getpid())}
    with CpuWatch(parties) as watch:
        report = asyncio.run(
            run_load(
                sim.http_url, sim.token, rate=rate, count=args.count, numbers=args.numbers,
                timeout=REPLY_TIMEOUT, first_number=up.first_number, seed=1,
                protocol=sim.protocol,
            )
        )  # fmt: skip
    stats = sim.api("/api/stats")
    mt = stats["mt"]
    return Result(
        contender=contender,
        rate=rate,
        numbers=args.numbers,
        load=report,
        processes={name: watch.usage(name, name not in up.no_rss) for name in up.processes},
        simulator=watch.usage("simulator"),
        load_generator=watch.usage("load"),
        mt_parts_per_mt=round(mt["parts"] / mt["total"], 2) if mt["total"] else None,
        receipts=stats["receipts"]["total"],
        submit_sm_resp=stats["submit_sm_resp"],
        counters=up.counters(),
    )


def run_one(contender: Contender, rate: float, args: argparse.Namespace, label: str) -> Result:
    options = Options(args.numbers, args.window)
    with (
        workdir(args.logs, label) as tmp,
        simulator(tmp, contender.system_id, contender.protocol) as sim,
        contender.start(sim, tmp, options) as up,
    ):
        return measure(contender.name, rate, sim, up, args)


# -- output ----------------------------------------------------------------------------

COLUMNS = (
    ("contender", 19), ("load", 6), ("MO", 5), ("answd", 5), ("unans", 5), ("errs", 4),
    ("MO/s", 6), ("MT/s", 6), ("p50ms", 6), ("p95ms", 6), ("p99ms", 6), ("parts", 5),
    ("RSS MB", 6), ("CPU s", 5), ("ms/MT", 5), ("db ms", 5), ("busiest avg/peak", 21), ("sim CPU", 12),
    ("load CPU", 12),
)  # fmt: skip


def row(values: list[Any]) -> str:
    return table_row(values, COLUMNS)


def preamble(args: argparse.Namespace) -> str:
    handsets = (
        f"closed loop (W handsets, each texting again as its reply arrives: W={args.closed_loop})"
        if args.closed_loop
        else f"across {args.numbers} handsets"
    )
    return (
        f"{args.count} MO per run {handsets}, window {args.window}. "
        "MO/s, MT/s and latency on the simulator's clock;\n"
        "parts: submit_sm per MT; RSS: peak, contender's processes; CPU: seconds during the "
        "load, ms/MT: the contender's CPU per reply (db ms: PostgreSQL's share of it),\n"
        "avg/peak busy: % of one core over the load / in its busiest second."
    )


def header() -> str:
    return row([name for name, _ in COLUMNS])


def cpu_cell(usage: Usage) -> str:
    return f"{usage.cpu_s:.1f} {usage.busy_pct:.0f}/{usage.peak_busy_pct:.0f}%"


def line(result: Result) -> str:
    load, lat = result.load, result.load.latency_ms
    return row([
        result.contender, result.offered, load.sent, load.answered, load.unanswered,
        load.errors, f"{load.mo_per_s:.0f}", f"{load.mt_per_s:.1f}", lat.get("p50"),
        lat.get("p95"), lat.get("p99"), result.mt_parts_per_mt, f"{result.rss_mb:.0f}",
        f"{result.cpu_s:.1f}", result.cpu_ms_per_mt, result.db_ms_per_mt or "–", result.busiest, cpu_cell(result.simulator),
        cpu_cell(result.load_generator),
    ])  # fmt: skip


def ratios(results: list[Result], yardstick: str = "kannel-static") -> str:
    """Each contender's MT/s and p50 beside the yardstick's under the same load, this run."""
    lines = [f"Against {yardstick} under the same load, this run (MT/s ratio, p50 ratio):"]
    for result in results:
        if result.contender == yardstick:
            continue
        same = [r for r in results if r.contender == yardstick and r.offered == result.offered]
        if not same:
            continue
        mt = sum(r.load.mt_per_s for r in same) / len(same)
        p50s = [r.load.latency_ms.get("p50") for r in same]
        p50 = sum(p for p in p50s if p) / max(1, len([p for p in p50s if p]))
        own = result.load.latency_ms.get("p50")
        lines.append(
            f"  {result.contender:<19} {result.offered:<7} MT/s {result.load.mt_per_s / mt:.2f}x"
            + (f", p50 {own / p50:.2f}x ({own:.0f} vs {p50:.0f} ms)" if own and p50 else "")
        )
    return "\n".join(lines)


# -- command line ----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="MOs per run (default 2000)")
    parser.add_argument("--rate", type=float, default=400.0, help="MOs offered per second")
    parser.add_argument("--rates", help="comma list of rates to sweep, e.g. 100,200,400,800")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender per rate")
    parser.add_argument("--numbers", type=int, default=200, help="distinct handsets")
    parser.add_argument("--window", type=int, default=10, help="smshall's SMPP window")
    parser.add_argument(
        "--closed-loop",
        help="comma list of W: closed loop, at most W MOs awaiting their reply (W handsets, "
        "each texting again as soon as its reply arrived); replaces --rate(s) and --numbers",
    )
    parser.add_argument(
        "--contenders",
        help=f"comma list of {', '.join(CONTENDERS)} (default: every one available here)",
    )
    parser.add_argument("--pg-admin-url", help="PostgreSQL server for smshall-postgresql")
    parser.add_argument("--logs", help="keep every process's log and config under this folder")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pg_admin_url:
        databases.PG_ADMIN_URL = args.pg_admin_url
    if args.closed_loop:
        # A closed loop: W handsets, none with more than one MO awaiting its reply, each
        # texting again at once; the offered rate is whatever the contender answers.
        loads = [(math.inf, int(w)) for w in args.closed_loop.split(",")]
    else:
        rates = [float(r) for r in args.rates.split(",")] if args.rates else [args.rate]
        loads = [(rate, args.numbers) for rate in rates]
    contenders = choose(args.contenders, CONTENDERS, "Kannel or PostgreSQL")
    human = sys.stderr if args.json else sys.stdout
    print(preamble(args), file=human)
    print(header(), file=human, flush=True)
    results, failures = [], 0
    runs = [(load, c) for load in loads for _ in range(args.repeat) for c in contenders]
    for number, ((rate, numbers), contender) in enumerate(runs, start=1):
        label = f"{number:02d}-{contender.name}-{rate:g}-{numbers}"
        try:
            result = run_one(
                contender, rate, argparse.Namespace(**{**vars(args), "numbers": numbers}), label
            )
        except Exception as error:  # report it and go on with the others
            failures += 1
            print(f"{contender.name} at {rate:g}/s failed: {error}", file=human, flush=True)
            continue
        results.append(result)
        print(line(result), file=human, flush=True)
    print(file=human)
    print(ratios(results), file=human)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
