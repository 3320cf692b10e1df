"""The operator's reports at scale: the KPI report (DOMAIN.md §8), a segment
search and an account manager's worklist (§9) on PostgreSQL with `--subscribers`
generated subscribers, twelve months of usage each and a bundle for every third.

What it shows: each report's wall time and the statements it costs (a constant
number, whatever the base: nothing is loaded row by row into Python). The data
is made by the server itself (generate_series), so setting up a million
subscribers takes seconds, not an import.

    .venv/bin/python bench/kpi_report.py --subscribers 100000
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import migrate  # noqa: E402
from app.domain.segments import Segment  # noqa: E402
from app.domain.subscriber import Month  # noqa: E402
from app.runtime import Runtime  # noqa: E402
from app.services.catalog_load import load_catalog  # noqa: E402
from app.services.reports import kpi_report  # noqa: E402
from app.services.subscriber_search import find_subscribers  # noqa: E402
from app.services.worklists import worklist  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.subscriber_search import SubscriberFilter  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MANAGERS = 2000

FILL = """
INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen, account_manager,
    vip_level, vip_source, vip_valid_from, vip_valid_to, contact_method, alert,
    plan_fee_fen, guaranteed_spend_fen, cmmb_handset, mobile_payment, opted_out,
    updated_at, birthday, last_contacted_on)
SELECT (13000000000 + n)::text, (ARRAY['gotone','mzone','easyown'])[n % 3 + 1],
    CASE WHEN n % 20 = 0 THEN 'closed' WHEN n % 10 = 0 THEN 'suspended' ELSE 'active' END,
    DATE '2010-01-01' + (n % 5000), (n * 37) % 50000, 'manager-' || (n % :managers),
    (ARRAY[NULL,'diamond','gold','silver'])[n % 4 + 1], 'spend', DATE '2026-02-01',
    DATE '2027-01-31', CASE WHEN n % 7 = 0 THEN 'voice' ELSE 'sms' END, false,
    0, 0, false, false, false, now(), DATE '1970-01-01' + (n % 15000),
    DATE '2026-11-23' - (n % 30)
FROM generate_series(1, :count) AS n;
INSERT INTO monthly_usage (subscriber_id, month, spend_fen, mou)
SELECT s.id, (DATE '2025-12-01' + make_interval(months => m))::date,
    (s.id * 7919 + m * 104729) % 25000, (s.id * 31 + m * 17) % 400
FROM subscribers s, generate_series(0, 11) AS m;
INSERT INTO subscriber_bundles (subscriber_id, kind, valid_from, valid_to)
SELECT id, (ARRAY['terminal','payment_rebate','family_plan','value_added'])[id % 4 + 1],
    DATE '2026-01-01', NULL
FROM subscribers WHERE id % 3 = 0;
INSERT INTO activations (subscriber_id, campaign_code, exclusivity_key, package_code,
    monthly_fee_fen, free_months, activated_on, starts_on, ends_on, state, created_at, kind,
    service_code, details)
SELECT id, 'IWJZS', 'IWJZS', (id % 4 + 1)::text, 2600, 6, DATE '2026-10-01' + (id % 31),
    DATE '2026-11-01', DATE '2027-04-30', 'active', now(), 'free_experience',
    'IWJZS' || (id % 4 + 1), '{}'
FROM subscribers WHERE id % 50 = 0;
ANALYZE;
"""


def timed(label: str, runtime: Runtime, work) -> None:  # type: ignore[no-untyped-def]
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(runtime.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    event.remove(runtime.engine, "before_cursor_execute", count)
    print(f"{label:<34} {elapsed * 1000:9.0f} ms  {statements:3d} statements  {result}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()
    name = f"smshall_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        settings = Settings(database_url=url.render_as_string(False), _env_file=None)  # type: ignore[call-arg]
        migrate(settings)
        runtime = Runtime.from_settings(settings)
        load_catalog(runtime.uow_factory)
        started = time.perf_counter()
        with runtime.engine.begin() as connection:
            for statement in FILL.split(";"):
                if statement.strip():
                    connection.execute(
                        text(statement), {"count": args.subscribers, "managers": MANAGERS}
                    )
        print(f"{args.subscribers:,} subscribers, 12 months of usage: "
              f"{time.perf_counter() - started:.1f} s to generate")  # fmt: skip
        today = date(2026, 11, 23)
        october = Month(2026, 10)
        report = kpi_report(runtime.uow_factory, october)
        timed(
            "KPI report 2026-10", runtime, lambda: kpi_report(runtime.uow_factory, october).dynamic
        )
        print(
            f"  retention {report.retention}, bundled {report.bundling and report.bundling.bundled}"
        )
        for segment in (Segment.VIP_GOLD, Segment.NEW_HIGH_END, Segment.STABLE_HIGH_END):
            timed(
                f"search segment={segment} (page 50)",
                runtime,
                lambda s=segment: len(
                    find_subscribers(runtime.uow_factory, SubscriberFilter(segment=s), today, 0, 50)
                ),
            )
        timed(
            "worklist manager-7",
            runtime,
            lambda: len(worklist(runtime.uow_factory, "manager-7", today)),
        )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
