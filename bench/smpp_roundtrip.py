"""MO -> MT round trips through the SMPP gateway, on SQLite and PostgreSQL.

    .venv/bin/python bench/smpp_roundtrip.py --count 500 --rate 200
    .venv/bin/python bench/smpp_roundtrip.py --backends postgresql \
        --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres

The SMSC is the project's simulator (gateway_sim) on 127.0.0.1, in this same
process (so both share one GIL: figures are a floor). MOs are injected through
its control API by `gateway_sim.load`; latency is MO injected -> reply
submit_sm seen by the SMSC, on the simulator's clock. RSS is this process's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr  # noqa: E402

from app.cli import migrate  # noqa: E402
from app.gateways.smpp.service import SmppService  # noqa: E402
from app.runtime import Runtime  # noqa: E402
from app.services.catalog import load_catalog  # noqa: E402
from app.settings import Settings, SmppBind  # noqa: E402
from gateway_sim.load import run_load  # noqa: E402
from gateway_sim.scenario import from_dict  # noqa: E402
from gateway_sim.simulator import SimulatorThread  # noqa: E402
from tests.databases import throwaway_database  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(backend: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(backend, Path(tmp)) as url:
        sim = SimulatorThread(from_dict({"receipts": {"delay": 0.05}, "seed": 1})).start()
        bind = SmppBind(
            name="bench", host="127.0.0.1", port=sim.smpp_port, system_id="smshall",
            password=SecretStr("secret"), window=args.window, tps=0,
        )  # fmt: skip
        settings = Settings(
            database_url=url, smpp_binds=[bind], outbox_poll_interval=0.01,
            _env_file=None,  # type: ignore[call-arg]
        )  # fmt: skip
        migrate(settings)
        runtime = Runtime.from_settings(settings)
        load_catalog(runtime.uow_factory)
        service = SmppService(runtime)
        service.start()
        deadline = time.monotonic() + 10
        while service.health()["bound"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        rss_before = rss_mb()
        report = asyncio.run(
            run_load(
                sim.http_url, None, rate=args.rate, count=args.count, numbers=args.numbers, seed=1
            )  # fmt: skip
        )
        service.stop()
        sim.stop()
        runtime.engine.dispose()
        lat = report.latency_ms
        print(
            f"{backend:10s} MO={report.sent} answered={report.answered} errors={report.errors} "
            f"MO->MT {report.mt_per_s:.1f} msg/s over {report.duration_s:.1f}s  "
            f"latency p50={lat.get('p50')} p95={lat.get('p95')} p99={lat.get('p99')} ms  "
            f"RSS {rss_before:.0f} -> {rss_mb():.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rate", type=float, default=200.0, help="MO offered per second")
    parser.add_argument("--numbers", type=int, default=100, help="distinct handsets")
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin-url", default=None)
    args = parser.parse_args()
    if args.pg_admin_url:
        os.environ["SMSHALL_TEST_PG_ADMIN_URL"] = args.pg_admin_url
    logging.basicConfig(level=logging.WARNING)
    for backend in args.backends.split(","):
        run_one(backend.strip(), args)


if __name__ == "__main__":
    main()
