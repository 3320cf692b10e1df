"""`smshall import` against a plain COPY of the same CSV file.

What it shows: rows per second of smshall's import (every check of the file,
the merge into the subscriber store, inserted and updated counted) next to
what PostgreSQL's own COPY achieves with the same file into a same-shaped plain
table (one column per CSV column, typed as the CSV says: text, date, numeric,
boolean; no key, no index), and their ratio. The issue's bar: the import at
least 0.5x the plain COPY, for subscribers and for usage, at 1 M rows.

Method: `--rows` subscribers (default 100,000) are generated into a CSV file in
a temporary directory (every column, realistic shares of empty cells, Chinese
names and addresses, some with commas and quotes), and 12 months of usage for
`--usage-share` of them (default 1/12, so the usage file has about as many
rows as the subscriber file). Then, in one run, on PostgreSQL, for each file:

* plain COPY: in a throwaway database, `CREATE TABLE` of the plain table, then
  `COPY … FROM STDIN (FORMAT csv, HEADER)` streamed from the file by psycopg in
  1 MiB blocks, committed (no psql);
* indexed COPY: the same into the same plain table given the store's keys and
  indexes first (`INDEXES`: a bigserial primary key, the unique key — msisdn;
  msisdn and month — and the other indexes of `subscribers` and
  `monthly_usage`; no foreign key, as the plain usage table has no subscriber
  ids);
* right after it, smshall: `import_subscribers`, then `import_usage` (the
  service functions `smshall import` calls, in this process), into a
  throwaway database, migrated, each committed. With `--reimport` both files
  again (every row an update), each after a plain COPY of its own.

Pairing each import with the COPYs just before it puts them under the same
load from whatever else runs on the machine. Phases of an import, timed by
SQLAlchemy's cursor events: *merge s* is the merge statement alone (`INSERT …
SELECT … ON CONFLICT … RETURNING`): what the database spends writing the rows
into the real, indexed tables; *check s* the usage file's anti-join (numbers
with no subscriber); *stream s* the rest: reading and checking the file while
its rows are streamed into the staging table by COPY, and the commit. The same
imports on SQLite are measured for reference. CPU is this process's (Python)
and, on PostgreSQL, the server's (every `postgres` process on the machine: it
should otherwise be idle), from /proc.

    .venv/bin/python bench/import_speed.py                     # 100,000 subscribers
    .venv/bin/python bench/import_speed.py --rows 1000000 --backends postgresql
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.cli import migrate  # noqa: E402
from app.services.importing import (  # noqa: E402
    SUBSCRIBER_COLUMNS,
    USAGE_COLUMNS,
    import_subscribers,
    import_usage,
)
from app.settings import Settings  # noqa: E402
from app.store.database import make_engine, make_session_factory  # noqa: E402
from app.store.unit_of_work import UnitOfWork  # noqa: E402
from bench.processes import (  # noqa: E402
    CpuWatch,
    postgresql_server,
    table_row,
    the_process,
)
from tests import databases  # noqa: E402

#: Mobile ranges the numbers are spread over (all valid Chinese mobile prefixes).
PREFIXES = (134, 135, 136, 137, 138, 139, 150, 151, 158, 159, 182, 186, 187, 188, 198)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
CITIES = ("北京市海淀区", "上海市浦东新区", "广州市天河区", "成都市武侯区", "杭州市西湖区")
#: How plain COPY types each CSV column (no key, no index: a plain table).
PLAIN_TYPES = {
    "opened_on": "date", "birthday": "date", "vip_valid_from": "date", "vip_valid_to": "date",
    "bundle_ends_on": "date", "balance_yuan": "numeric", "plan_fee_yuan": "numeric",
    "guaranteed_spend_yuan": "numeric", "spend_yuan": "numeric", "alert": "boolean",
    "cmmb_handset": "boolean", "mobile_payment": "boolean", "mou": "integer",
    "last_contacted_on": "date", "last_visited_on": "date",
}  # fmt: skip
BLOCK = 1 << 20


def msisdns(count: int, rng: random.Random) -> list[str]:
    """`count` distinct valid mobile numbers, in no particular order."""
    per_prefix = -(-count // len(PREFIXES))
    numbers = [
        f"{prefix}{(i * 7_919 + 1_234) % 10**8:08d}"
        for prefix in PREFIXES
        for i in range(per_prefix)
    ]
    rng.shuffle(numbers)
    return numbers[:count]


def day(rng: random.Random, first: date, days: int) -> str:
    return (first + timedelta(days=rng.randrange(days))).isoformat()


def subscriber_row(msisdn: str, rng: random.Random) -> list[str]:
    vip = rng.random() < 0.2
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
    if rng.random() < 0.01:
        name = f'{name} "小{name[0]}"'  # quoted in the CSV, quotes doubled
    address = f"{rng.choice(CITIES)}{rng.randint(1, 999)}号"
    if rng.random() < 0.1:
        address += f",{rng.randint(1, 30)}栋"  # a comma: a quoted cell
    return [
        msisdn,
        rng.choice(("gotone", "mzone", "easyown")),
        "suspended" if rng.random() < 0.05 else "active",
        day(rng, date(2000, 1, 1), 9000),
        f"{rng.randint(0, 50000) / 100:.2f}" if rng.random() < 0.9 else str(rng.randint(0, 500)),
        name,
        rng.choice(("male", "female", "")),
        day(rng, date(1950, 1, 1), 20000) if rng.random() < 0.8 else "",
        address if rng.random() < 0.7 else "",
        rng.choice(SURNAMES) + "经理" if rng.random() < 0.5 else "",
        rng.choice(("individual", "group")) if vip else "",
        rng.choice(("diamond", "gold", "silver")) if vip else "",
        rng.choice(("spend", "spend", "spend", "granted")) if vip else "",
        f"GT{rng.randint(1, 10**8):08d}" if vip else "",
        "2026-02-01" if vip else "",
        "2027-01-31" if vip else "",
        rng.choice(("sms", "sms", "voice")),
        rng.choice(("09:00-21:00", "08:30-18:00", "")),
        rng.choice(("false", "false", "false", "true")),
        rng.choice(("", "", "88", "128", "58.50")),
        rng.choice(("", "", "", "100")),
        day(rng, date(2026, 1, 1), 700) if rng.random() < 0.1 else "",
        rng.choice(("", "true", "false")),
        rng.choice(("", "true", "false")),
        day(rng, date(2025, 1, 1), 700) if rng.random() < 0.3 else "",
        day(rng, date(2025, 1, 1), 700) if rng.random() < 0.1 else "",
    ]


def generate(tmp: Path, rows: int, usage_share: float, seed: int = 1) -> tuple[Path, Path, int]:
    """The two CSV files and the usage file's row count."""
    rng = random.Random(seed)
    numbers = msisdns(rows, rng)
    subscribers, usage = tmp / "subscribers.csv", tmp / "usage.csv"
    with subscribers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUBSCRIBER_COLUMNS)
        writer.writerows(subscriber_row(number, rng) for number in numbers)
    users = numbers[: round(rows * usage_share)]
    with usage.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(USAGE_COLUMNS)
        for number in users:
            for month in range(1, 13):
                spend = rng.randint(0, 60000)
                writer.writerow([number, f"2026-{month:02d}", f"{spend // 100}.{spend % 100:02d}",
                                 rng.randint(0, 3000)])  # fmt: skip
    return subscribers, usage, len(users) * 12


#: The store's keys and indexes, on the plain table's columns (`--indexed`): an id
#: from a sequence, the unique key, and the other indexes of `subscribers` and
#: `monthly_usage` (no foreign key: the plain usage table names no subscriber ids).
INDEXES = {
    "subscribers": (
        "ALTER TABLE {t} ADD COLUMN id bigserial PRIMARY KEY",
        "ALTER TABLE {t} ADD UNIQUE (msisdn)",
        "CREATE INDEX ON {t} (account_manager)",
        "CREATE INDEX ON {t} (extract(month FROM birthday), extract(day FROM birthday))",
    ),
    "usage": (
        "ALTER TABLE {t} ADD COLUMN id bigserial PRIMARY KEY",
        "ALTER TABLE {t} ADD UNIQUE (msisdn, month)",
        "CREATE INDEX ON {t} (month)",
    ),
}


def plain_copy(
    url: str, path: Path, columns: tuple[str, ...], table: str, indexes: tuple[str, ...] = ()
) -> float:
    """Seconds to COPY `path` into a fresh plain table shaped like its columns (with
    `indexes` made first, on the empty table), committed."""
    shape = ", ".join(f"{c} {PLAIN_TYPES.get(c, 'text')}" for c in columns)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(f"CREATE TABLE {table} ({shape})")
        for index in indexes:
            connection.execute(index.format(t=table))
        connection.commit()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while block := handle.read(BLOCK):
                copy.write(block)
        connection.commit()
        return time.perf_counter() - started


def timed(watch_db: bool, work: Callable[[], Any]) -> tuple[float, Any, dict[str, float]]:
    parties = {"bench": the_process(os.getpid())}
    if watch_db:
        parties["postgresql"] = postgresql_server
    with CpuWatch(parties) as watch:
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
    cpu = {name: watch.usage(name, rss=False).cpu_s for name in parties}
    return elapsed, result, cpu


@dataclass
class Run:
    file: str
    backend: str
    rows: int
    new: int
    updated: int
    seconds: float
    cpu: dict[str, float]
    merge_s: float | None = None  # the merge statement alone (PostgreSQL)
    check_s: float | None = None  # the usage file's anti-join (PostgreSQL)
    copy_rate: float | None = None  # plain COPY of the same file just before
    indexed_rate: float | None = None  # the same into a table with the store's indexes


def smshall_imports(
    backend: str,
    files: dict[str, Path],
    rounds: int,
    plain: Callable[[str], tuple[float, float]] | None,
) -> Iterator[Run]:
    """Import each file into a fresh migrated database (`rounds` times: the second
    round updates every row); with `plain`, a plain COPY of the same file just
    before each import, so that both run under the same load."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-import-") as tmp,
        databases.throwaway_database(backend, Path(tmp)) as url,
    ):
        migrate(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        engine = make_engine(url)
        session_factory = make_session_factory(engine)
        spent: dict[str, float] = {}  # seconds by the statement's first word

        def started(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            word = statement.split(None, 1)[0]
            spent[word] = spent.get(word, 0.0) - time.perf_counter()

        def ended(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            word = statement.split(None, 1)[0]
            spent[word] += time.perf_counter()

        event.listen(engine, "before_cursor_execute", started)
        event.listen(engine, "after_cursor_execute", ended)

        def uow_factory() -> UnitOfWork:
            return UnitOfWork(session_factory)

        importers = {"subscribers": import_subscribers, "usage": import_usage}
        for round_ in range(rounds):
            for kind, path in files.items():
                copy_rate, indexed_rate = plain(kind) if plain else (None, None)
                importer = importers[kind]
                spent.clear()
                elapsed, report, cpu = timed(
                    backend == "postgresql",
                    lambda: importer(uow_factory, path),  # noqa: B023
                )
                yield Run(
                    kind + (" again" if round_ else ""), backend, report.rows, report.inserted,
                    report.updated, elapsed, cpu, spent.get("WITH"), spent.get("SELECT"),
                    copy_rate, indexed_rate,
                )  # fmt: skip
        engine.dispose()


COLUMNS = (
    ("file", 17), ("backend", 10), ("rows", 8), ("new", 8), ("updated", 8), ("seconds", 7),
    ("rows/s", 8), ("stream s", 8), ("check s", 7), ("merge s", 7), ("CPU py s", 8),
    ("CPU db s", 8), ("COPY rows/s", 11), ("x COPY", 6), ("idx COPY/s", 10), ("x idx", 5),
)  # fmt: skip


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _ratio(rate: float, copy_rate: float | None) -> tuple[str, str]:
    if not copy_rate:
        return "–", "–"
    return f"{copy_rate:.0f}", f"{rate / copy_rate:.2f}"


def show(run: Run) -> str:
    rate = run.rows / run.seconds
    db = run.cpu.get("postgresql")
    # Everything but the statements: reading and checking the file while it is
    # streamed into the staging table (COPY), and the commit.
    stream = run.seconds - (run.merge_s or 0) - (run.check_s or 0)
    values = [
        run.file, run.backend, run.rows, run.new, run.updated, f"{run.seconds:.2f}",
        f"{rate:.0f}", f"{stream:.2f}", _seconds(run.check_s), _seconds(run.merge_s),
        f"{run.cpu['bench']:.1f}", "–" if db is None else f"{db:.1f}",
        *_ratio(rate, run.copy_rate), *_ratio(rate, run.indexed_rate),
    ]  # fmt: skip
    return table_row(values, COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="subscribers (100,000)")
    parser.add_argument(
        "--usage-share", type=float, default=1 / 12,
        help="share of subscribers with 12 months of usage (1/12: as many usage rows)",
    )  # fmt: skip
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--reimport", action="store_true", help="import both files twice")
    parser.add_argument("--keep", default=None, help="write the CSV files here and keep them")
    args = parser.parse_args(argv)
    rounds = 2 if args.reimport else 1

    with tempfile.TemporaryDirectory(prefix="bench-import-csv-") as tmp:
        where = Path(args.keep or tmp)
        where.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subscribers, usage, usage_rows = generate(where, args.rows, args.usage_share)
        print(
            f"generated {args.rows:,} subscribers ({subscribers.stat().st_size / 2**20:.0f} MiB), "
            f"{usage_rows:,} usage rows ({usage.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        files = {"subscribers": subscribers, "usage": usage}
        counts = {"subscribers": args.rows, "usage": usage_rows}
        print(table_row([name for name, _ in COLUMNS], COLUMNS), flush=True)
        for backend in args.backends.split(","):
            if backend != "postgresql":
                for run in smshall_imports(backend, files, rounds, None):
                    print(show(run), flush=True)
                continue
            with (
                tempfile.TemporaryDirectory() as scratch,
                databases.throwaway_database("postgresql", Path(scratch)) as plain_url,
            ):
                tables = itertools.count(1)

                def plain(kind: str) -> tuple[float, float]:
                    columns = SUBSCRIBER_COLUMNS if kind == "subscribers" else USAGE_COLUMNS
                    bare = plain_copy(
                        plain_url,
                        files[kind],
                        columns,
                        f"plain_{kind}_{next(tables)}",  # noqa: B023
                    )
                    indexed = plain_copy(
                        plain_url, files[kind], columns, f"plain_{kind}_{next(tables)}",  # noqa: B023
                        INDEXES[kind],
                    )  # fmt: skip
                    return counts[kind] / bare, counts[kind] / indexed

                for run in smshall_imports(backend, files, rounds, plain):
                    print(show(run), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
