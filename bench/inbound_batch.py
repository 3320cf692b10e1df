"""The inbound service alone: `handle_inbound_many` on batches of MOs, in this process.

What it shows, per backend and batch size: MOs per second through the service
(no network, no SMPP), this process's CPU per MO, the database server's CPU per
MO (PostgreSQL), and the SQL statements each batch costs (they must not grow
with the batch: DESIGN.md, "Batches, not messages").

Method: a throwaway database, migrated, the shipped catalog with a photo window
around the service clock, `--subscribers` subscriber rows (brands in turn, every
tenth suspended) with six months of usage; MOs from `--numbers` handsets (half of
them unknown) with the load generator's mix (CXYE, CXLL, IWJZS 2, HELP, 查话费),
each batch with distinct numbers. Statements are counted by SQLAlchemy's
`before_cursor_execute` (an executemany or a multi-row INSERT counts once).

    .venv/bin/python bench/inbound_batch.py --backends sqlite,postgresql --batches 1,10,64
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, insert  # noqa: E402

from app.cli import migrate  # noqa: E402
from app.services.answers import ReplyContext  # noqa: E402
from app.services.catalog_load import load_catalog  # noqa: E402
from app.services.inbound import InboundMessage, OutboxClaim, handle_inbound_many  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.database import make_engine, make_session_factory  # noqa: E402
from app.store.models import MonthlyUsageRow, SubscriberRow  # noqa: E402
from app.store.unit_of_work import UnitOfWork  # noqa: E402
from bench.processes import (  # noqa: E402
    CpuWatch,
    postgresql_server,
    table_row,
    the_process,
    workdir,
)
from tests import databases  # noqa: E402

FIRST_NUMBER = 13900000000
MIX = ["CXYE"] * 4 + ["CXLL"] * 3 + ["IWJZS 2"] * 2 + ["HELP", "查话费"]
#: Messages are taken as of this moment: inside the shipped catalog's window.
RECEIVED_AT = datetime(2026, 9, 15, 4, 0, tzinfo=UTC)


def seed(session_factory: Any, subscribers: int) -> None:
    now = datetime.now(UTC)
    brands = ("gotone", "mzone", "easyown")
    rows = [
        dict(
            id=i + 1, msisdn=str(FIRST_NUMBER + i), brand=brands[i % 3],
            status="suspended" if i % 10 == 9 else "active",
            opened_on=date(2005 + i % 20, 1 + i % 12, 1 + i % 28), balance_fen=i * 13 % 30000,
            contact_method="sms", alert=False, updated_at=now,
        )
        for i in range(subscribers)
    ]  # fmt: skip
    usage = [
        dict(subscriber_id=i + 1, month=date(2026, m, 1), spend_fen=5000 + i % 40000, mou=300)
        for i in range(subscribers)
        for m in range(3, 9)
    ]
    with session_factory() as session:
        session.execute(insert(SubscriberRow), rows)
        session.execute(insert(MonthlyUsageRow), usage)
        session.commit()


def batches_of(
    size: int, count: int, numbers: int, rng: random.Random
) -> list[list[InboundMessage]]:
    """`count` MOs in batches of `size`, no number twice in a batch."""
    ids = itertools.count()
    out = []
    for _ in range(count // size):
        chosen = rng.sample(range(numbers), size)
        out.append(
            [
                InboundMessage(
                    "bench", f"m{next(ids)}", str(FIRST_NUMBER + n), "10086", rng.choice(MIX),
                    RECEIVED_AT,
                )
                for n in chosen
            ]
        )  # fmt: skip
    return out


@dataclass
class SeededStore:
    """A migrated throwaway database with the catalog and subscribers, and the MO
    batches to run through it (the first one to warm up on: the catalog built, the
    pool filled)."""

    engine: Engine
    uow_factory: Callable[[], UnitOfWork]
    context: ReplyContext
    claim: OutboxClaim
    batches: list[list[InboundMessage]]


@contextmanager
def seeded_store(
    backend: str, size: int, args: argparse.Namespace, label: str
) -> Iterator[SeededStore]:
    with (
        workdir(None, f"{label}-{backend}-{size}") as tmp,
        databases.throwaway_database(backend, tmp) as url,
    ):
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        migrate(settings)
        engine = make_engine(url)
        session_factory = make_session_factory(engine)

        def uow_factory() -> UnitOfWork:
            return UnitOfWork(session_factory)

        load_catalog(uow_factory)
        seed(session_factory, args.subscribers)
        context = ReplyContext(settings.language, settings.zone)
        claim = OutboxClaim("smpp", "bench", 120.0)
        batches = batches_of(size, args.count, args.numbers, random.Random(1))
        try:
            yield SeededStore(engine, uow_factory, context, claim, batches)
        finally:
            engine.dispose()


@dataclass
class Measured:
    """One pass over a store's batches: its time, this process's and the database's
    CPU, and the statements per batch."""

    elapsed: float
    cpu_s: float
    db_cpu_s: float | None
    statements_per_batch: float


def measure(
    store: SeededStore, backend: str, handle: Callable[[list[InboundMessage]], object]
) -> Measured:
    """`handle` every batch after the first, counting statements and CPU."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(store.engine, "before_cursor_execute", count)
    parties = {"postgresql": postgresql_server} if backend == "postgresql" else {}
    parties["bench"] = the_process(os.getpid())
    try:
        with CpuWatch(parties) as watch:
            started = time.perf_counter()
            for batch in store.batches[1:]:
                handle(batch)
            elapsed = time.perf_counter() - started
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    db = watch.usage("postgresql", rss=False).cpu_s if backend == "postgresql" else None
    cpu = watch.usage("bench", rss=False).cpu_s
    return Measured(elapsed, cpu, db, statements / (len(store.batches) - 1))


def run(backend: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    with seeded_store(backend, size, args, "inbound") as store:

        def handle(batch: list[InboundMessage]) -> None:
            results = handle_inbound_many(
                store.uow_factory, batch, store.context, "smpp", claim=store.claim
            )
            failed = [r for r in results if isinstance(r, Exception)]
            if failed:
                raise failed[0]

        handle(store.batches[0])  # warm up: the catalog built, the pool filled
        measured = measure(store, backend, handle)
        done = size * (len(store.batches) - 1)
        db = measured.db_cpu_s
        return {
            "backend": backend,
            "batch": size,
            "mo": done,
            "mo_per_s": done / measured.elapsed,
            "cpu_ms_per_mo": 1000 * measured.cpu_s / done,
            "db_ms_per_mo": None if db is None else 1000 * db / done,
            "statements_per_batch": measured.statements_per_batch,
        }


COLUMNS = (
    ("backend", 10), ("batch", 5), ("MO", 6), ("MO/s", 7), ("ms CPU/MO", 9), ("db ms/MO", 8),
    ("statements/batch", 16),
)  # fmt: skip


def store_arguments(argv: list[str] | None, doc: str | None, batches: str) -> argparse.Namespace:
    """The options of a bench over `seeded_store`."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--batches", default=batches, help="batch sizes")
    parser.add_argument("--count", type=int, default=3000, help="MOs per run")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--numbers", type=int, default=2000, help="handsets (half unknown)")
    return parser.parse_args(argv)


def runs(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    """(backend, batch size) of every run the options ask for."""
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.batches.split(",")):
            yield backend, size


def main(argv: list[str] | None = None) -> int:
    args = store_arguments(argv, __doc__, "1,10,64")
    print(table_row([name for name, _ in COLUMNS], COLUMNS), flush=True)
    for backend, size in runs(args):
        r = run(backend, size, args)
        db = "–" if r["db_ms_per_mo"] is None else f"{r['db_ms_per_mo']:.2f}"
        values = [
            backend, size, r["mo"], f"{r['mo_per_s']:.0f}", f"{r['cpu_ms_per_mo']:.2f}", db,
            f"{r['statements_per_batch']:.1f}",
        ]  # fmt: skip
        print(table_row(values, COLUMNS), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
