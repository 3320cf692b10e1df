"""MO latency and import speed as the subscriber base grows (PostgreSQL).

What is measured, for each size N in `--sizes` (default 10,000 and 1,000,000; the
issue's 10,000,000 runs the same way and takes its time):

* **fill**: N subscribers and `--usage-months` months of usage each are generated
  inside PostgreSQL (`INSERT … SELECT … generate_series`), then ANALYZE: the base
  the service then works against. Its time is shown for information only.
* **import**: `smshall import subscribers` of a CSV of `--import-rows` rows (half of
  them existing subscribers changed, half new), then `smshall import usage` of a
  month for as many subscribers: rows per second against a table of N rows.
* **MO latency**: `smshall serve` answers `POST /v1/mo` one request at a time (one
  MO waits for its answer before the next is sent: no queueing, the latency of a
  single message), `--mo` MOs from numbers drawn at random across the base, texts
  CXYE, CXLL, "IWJZS 2" and HELP in turn, after `--warmup` MOs not counted. p50,
  p95, p99 of the answer times measured by this client.

The standard it is read against (issue "Operator scale"): p50 at the largest size at
most 1.2 times p50 at the smallest. Every query on the path uses an index
(tests/store/test_query_plans.py checks the plans); this shows it in time.
Say what else shared the machine's cores when quoting figures.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.processes import (  # noqa: E402
    FIRST_NUMBER,
    Smshall,
    exit_on_sigterm,
    smshall_serving,
    table_row,
    workdir,
)
from tests import databases  # noqa: E402

TEXTS = ("CXYE", "CXLL", "IWJZS 2", "HELP")
TOKEN = "bench-scale-gateway-token"

FILL_SUBSCRIBERS = """
INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen, birthday,
    contact_method, alert, plan_fee_fen, guaranteed_spend_fen, cmmb_handset, mobile_payment,
    opted_out, vip_type, vip_level, vip_source, vip_valid_from, vip_valid_to, updated_at)
SELECT (%(first)s + i)::text, (ARRAY['gotone', 'mzone', 'easyown'])[1 + i %% 3],
    CASE WHEN i %% 10 = 9 THEN 'suspended' ELSE 'active' END,
    date '2005-01-01' + (i %% 7300), (i %% 30000) * 100, date '1960-01-01' + (i %% 15000),
    'sms', false, 0, 0, false, false, false,
    CASE WHEN i %% 4 = 0 THEN 'individual' END, CASE WHEN i %% 4 = 0 THEN 'gold' END,
    CASE WHEN i %% 4 = 0 THEN 'spend' END,
    CASE WHEN i %% 4 = 0 THEN date '2026-02-01' END,
    CASE WHEN i %% 4 = 0 THEN date '2027-01-31' END, now()
FROM generate_series(0, %(count)s - 1) AS i
"""
FILL_USAGE = """
INSERT INTO monthly_usage (subscriber_id, month, spend_fen, mou)
SELECT s.id, (date '2025-12-01' + m * interval '1 month')::date,
    5000 + (s.id * 7919 + m * 104729) %% 40000, 100 + (s.id + m) %% 900
FROM subscribers AS s, generate_series(0, %(months)s - 1) AS m
"""

COLUMNS = [
    ("subscribers", 12), ("usage rows", 11), ("fill s", 7), ("import subs/s", 13),
    ("import usage/s", 14), ("MO p50 ms", 9), ("p95", 7), ("p99", 7), ("db MB", 7),
]  # fmt: skip


def fill(url: str, count: int, months: int) -> tuple[float, int]:
    """Generate the base in the database; seconds taken, usage rows."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(FILL_SUBSCRIBERS, {"first": FIRST_NUMBER, "count": count})
        connection.execute(FILL_USAGE, {"months": months})
        connection.execute("ANALYZE")
        usage = connection.execute("SELECT count(*) FROM monthly_usage").fetchone()
    return time.monotonic() - started, int(usage[0]) if usage else 0


def database_mb(url: str) -> float:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return round(int(row[0]) / 2**20) if row else 0.0


def import_speed(service: Smshall, count: int, rows: int) -> tuple[float, float]:
    """Rows per second of `smshall import subscribers` (half changed, half new) and of
    `smshall import usage` (a new month for as many subscribers)."""
    rows = min(rows, count)
    subscribers = service.workdir / "import-subscribers.csv"
    with subscribers.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["msisdn", "brand", "status", "opened_on", "balance_yuan"])
        for i in range(rows):
            # The first half changes existing rows across the base; the rest are new.
            n = (i * (count // max(rows // 2, 1))) % count if i < rows // 2 else count + i
            writer.writerow([FIRST_NUMBER + n, "gotone", "active", "2012-05-06", f"{i % 500}.25"])
    usage = service.workdir / "import-usage.csv"
    with usage.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["msisdn", "month", "spend_yuan", "mou"])
        for i in range(rows):
            writer.writerow(
                [FIRST_NUMBER + (i * 7919) % count, "2026-12", f"{i % 400}.00", i % 900]
            )
    timed = []
    for kind, path in (("subscribers", subscribers), ("usage", usage)):
        started = time.monotonic()
        service.run("import", kind, str(path))
        timed.append(rows / (time.monotonic() - started))
    return timed[0], timed[1]


def mo_latency(service: Smshall, count: int, measured: int, warmup: int) -> list[float]:
    """Milliseconds per answer, one MO at a time."""
    rng = random.Random(count)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    times: list[float] = []
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as client:
        for n in range(warmup + measured):
            body = {
                "from": str(FIRST_NUMBER + rng.randrange(count)),
                "to": "10086",
                "text": TEXTS[n % len(TEXTS)],
                "message_id": f"scale-{count}-{n}",
            }
            started = time.perf_counter()
            answer = client.post("/v1/mo", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            answer.raise_for_status()
            if n >= warmup:
                times.append(elapsed)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def run_size(args: argparse.Namespace, count: int) -> list[object]:
    with (
        workdir(args.logs, f"scale-{count}") as tmp,
        databases.throwaway_database("postgresql", tmp) as url,
    ):
        service = Smshall(
            tmp, url,
            settings={
                "SMSHALL_GATEWAY_TOKEN": TOKEN,
                "SMSHALL_ACCESS_LOG": "false",
                "SMSHALL_SCHEDULED_INTERVAL": "0",
            },
        )  # fmt: skip
        service.run("migrate")
        service.run("catalog", "load")
        print(f"{count:,} subscribers: filling …", file=sys.stderr)
        seconds, usage_rows = fill(url, count, args.usage_months)
        print(f"  filled in {seconds:.0f} s; importing …", file=sys.stderr)
        subs_per_s, usage_per_s = import_speed(service, count, args.import_rows)
        print("  measuring MO latency …", file=sys.stderr)
        with smshall_serving(service):
            times = mo_latency(service, count, args.mo, args.warmup)
        return [
            f"{count:,}", f"{usage_rows:,}", round(seconds), round(subs_per_s),
            round(usage_per_s), percentile(times, 0.5), percentile(times, 0.95),
            percentile(times, 0.99), database_mb(url),
        ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="subscriber counts, comma list")
    parser.add_argument("--usage-months", type=int, default=12)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--mo", type=int, default=500, help="MOs measured per size")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--logs", help="keep each size's working directory under this one")
    args = parser.parse_args()
    exit_on_sigterm()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    rows = [run_size(args, n) for n in sizes]
    print(table_row([c for c, _ in COLUMNS], COLUMNS))
    for row in rows:
        print(table_row(row, COLUMNS))
    if len(rows) > 1:
        ratio = float(rows[-1][5]) / max(float(rows[0][5]), 1e-9)  # type: ignore[arg-type]
        print(f"p50 at {rows[-1][0]} over p50 at {rows[0][0]}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
