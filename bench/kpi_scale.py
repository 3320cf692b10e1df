"""The monthly KPI report (DOMAIN.md §8) as the subscriber base grows (PostgreSQL).

For each size N in `--sizes`: a throwaway database (migrated, default catalog) is
filled inside the server by `bench/kpi_fill.py` (N subscribers, the usage months
the report reads, bundles, sign-ups, reminders; the usage table's secondary
indexes and foreign key are dropped while it fills and built again after, then
VACUUM ANALYZE, as autovacuum would leave an import). Then `kpi_report`, what
`smshall report kpi` runs, `--runs` times: the wall time of the whole report and
of each of its statements, named by the store query that sent it, and
EXPLAIN (ANALYZE, BUFFERS) of every statement slower than `--explain-over` seconds.
The standard (issue 13): under a minute at 10 M subscribers. Say what else shared
the machine's cores when quoting figures.

    .venv/bin/python bench/kpi_scale.py --sizes 10000,1000000
    .venv/bin/python bench/kpi_scale.py --sizes 10000000 --keep   # then --database NAME
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.domain.kpi import KpiReport  # noqa: E402
from app.domain.segments import PhotoWindow  # noqa: E402
from app.domain.subscriber import Month  # noqa: E402
from app.runtime import Runtime  # noqa: E402
from app.services.reports import kpi_report  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.kpi_fill import statements  # noqa: E402
from bench.processes import Smshall, exit_on_sigterm, workdir  # noqa: E402
from tests.databases import PG_ADMIN_URL  # noqa: E402

#: The default catalog's photo window (app/catalog/default.yaml).
PHOTO = PhotoWindow(Month(2026, 1), Month(2026, 6))
STORE_QUERIES = "app/store/reports.py"


def dsn(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def sqlalchemy_url(name: str) -> str:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


#: The tables filled in bulk: their secondary indexes and constraints (checked row
#: by row while filling) are dropped first and built again after, set-based.
BULK_TABLES = ("monthly_usage", "subscriber_bundles")


def _secondary(connection: psycopg.Connection[Any], table: str) -> list[tuple[str, str, str]]:
    """A table's unique and foreign key constraints and plain indexes: (name, the
    statement dropping it, the statement making it again)."""
    rows = connection.execute(
        "SELECT conname, 'ALTER TABLE ' || %(t)s || ' DROP CONSTRAINT ' || quote_ident(conname),"
        " 'ALTER TABLE ' || %(t)s || ' ADD CONSTRAINT ' || quote_ident(conname) || ' '"
        " || pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(t)s::regclass AND contype IN ('u', 'f')"
        " UNION ALL SELECT indexname, 'DROP INDEX ' || quote_ident(indexname), indexdef"
        " FROM pg_indexes WHERE tablename = %(t)s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = %(t)s::regclass)",
        {"t": table},
    ).fetchall()
    # Foreign keys last: their check reads the unique indexes built before them.
    return sorted(((str(n), str(d), str(c)) for n, d, c in rows), key=lambda r: "FOREIGN" in r[2])


def fill(name: str, count: int, month: Month) -> None:
    """Generate the base, printing each step's time."""
    with psycopg.connect(dsn(name), autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '1GB'")
        kept = [index for table in BULK_TABLES for index in _secondary(connection, table)]
        for _, drop, _ in kept:
            connection.execute(drop)
        steps = statements(count, month, PHOTO)
        steps += [(f"rebuild {n}", sql, None) for n, _, sql in kept]
        steps.append(("vacuum analyze", "VACUUM (ANALYZE)", None))
        for what, sql, parameters in steps:
            started = time.monotonic()
            connection.execute(sql, parameters)
            print(f"  {what:<40} {time.monotonic() - started:7.1f} s", file=sys.stderr)


def describe(name: str) -> str:
    with psycopg.connect(dsn(name)) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM subscribers), (SELECT count(*) FROM monthly_usage),"
            " (SELECT count(*) FROM subscriber_bundles), (SELECT count(*) FROM activations),"
            " pg_database_size(current_database())"
        ).fetchone()
    assert row is not None
    subscribers, usage, bundles, activations, size = row
    return (
        f"{subscribers:,} subscribers, {usage:,} usage rows, {bundles:,} bundles, "
        f"{activations:,} sign-ups, {size / 2**30:.1f} GB"
    )


class Statements:
    """Each statement the engine sends: the store query that sent it, its SQL and
    parameters, and its wall time."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any, float]] = []
        self._started = 0.0

    def before(self, conn: Any, cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        self._started = time.perf_counter()

    def after(self, conn: Any, cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started
        frames = [f for f in traceback.extract_stack() if f.filename.endswith(STORE_QUERIES)]
        caller = frames[0].name if frames else "other"
        self.sent.append((caller, sql, parameters, elapsed))

    @contextmanager
    def listening(self, runtime: Runtime) -> Iterator[None]:
        event.listen(runtime.engine, "before_cursor_execute", self.before)
        event.listen(runtime.engine, "after_cursor_execute", self.after)
        try:
            yield
        finally:
            event.remove(runtime.engine, "before_cursor_execute", self.before)
            event.remove(runtime.engine, "after_cursor_execute", self.after)


def summary(report: KpiReport) -> str:
    """The report's figures, to compare two versions of the queries."""
    return (
        f"dynamic {report.dynamic.count} (before {report.dynamic.previous}); {report.retention};"
        f" {report.bundling}; uptake {[(u.campaign, u.package, u.activations, u.eligible) for u in report.uptake]};"
        f" conversion {[(c.campaign, c.reminded, c.kept) for c in report.conversion]}"
    )  # fmt: skip


def measure(name: str, month: Month, runs: int, explain_over: float) -> None:
    settings = Settings(database_url=sqlalchemy_url(name), _env_file=None)  # type: ignore[call-arg]
    runtime = Runtime.from_settings(settings)
    try:
        slow: dict[str, tuple[str, Any]] = {}
        for run in range(1, runs + 1):
            recorder = Statements()
            started = time.perf_counter()
            with recorder.listening(runtime):
                report = kpi_report(runtime.uow_factory, month)
            total = time.perf_counter() - started
            print(f"run {run}: KPI report {month}: {total:.2f} s, {len(recorder.sent)} statements")
            for caller, sql, parameters, elapsed in recorder.sent:
                print(f"  {caller:<16} {elapsed:8.3f} s")
                if run == runs and elapsed >= explain_over >= 0:
                    slow[f"{caller} #{len(slow) + 1}"] = (sql, parameters)
        if runs > 0:  # `--runs 0`: fill (and keep) only
            print("  " + summary(report))
        for label, (sql, parameters) in slow.items():
            with runtime.engine.connect() as connection:
                plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters)
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) {label}:")
                print("\n".join(row[0] for row in plan))
    finally:
        runtime.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="subscriber counts, comma list")
    parser.add_argument("--month", default="2026-10", help="the report month, YYYY-MM")
    parser.add_argument("--runs", type=int, default=2, help="reports per size (cache warms)")
    parser.add_argument("--explain-over", type=float, default=1.0, help="seconds; -1: none")
    parser.add_argument("--database", help="measure this filled database again, no fill")
    parser.add_argument("--keep", action="store_true", help="keep each filled database")
    args = parser.parse_args()
    exit_on_sigterm()
    month = Month.parse(args.month)
    if args.database:
        print(describe(args.database))
        measure(args.database, month, args.runs, args.explain_over)
        return 0
    for count in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
        name = f"smshall_kpi_{count}_{int(time.time())}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            with workdir(None, f"kpi-{count}") as tmp:
                service = Smshall(tmp, sqlalchemy_url(name))
                service.run("migrate")
                service.run("catalog", "load")
            started = time.monotonic()
            fill(name, count, month)
            print(f"{describe(name)}: filled in {time.monotonic() - started:.0f} s")
            measure(name, month, args.runs, args.explain_over)
        finally:
            if args.keep:
                print(f"kept database {name}", file=sys.stderr)
            else:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
