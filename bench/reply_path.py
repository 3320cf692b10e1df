"""The service's whole work per reply, without a transport, in this process.

What an SMPP gateway asks of the database for a batch of MOs, called in the
order it calls it: `handle_inbound_many` (replies claimed as written), the MOs
marked acknowledged, the replies marked sent with their parts (`mark_sent_many`),
then one receipt per part (`record_receipts`). Per backend and batch size: replies
per second, this process's CPU per reply split by step, PostgreSQL's CPU per reply,
and the statements per batch. Set beside `bench/smpp_roundtrip.py`'s CPU per reply,
it tells what the transport (PDUs, threads, windows) costs apart from the store.

The database, catalog, subscribers and MO mix are `bench/inbound_batch.py`'s.
Every reply is sent in two parts (the MO mix's replies average 1.47).

    .venv/bin/python bench/reply_path.py --backends postgresql,sqlite --batches 1,10,32
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from app.cli import migrate  # noqa: E402
from app.domain.delivery_receipts import Receipt  # noqa: E402
from app.services.answers import ReplyContext  # noqa: E402
from app.services.catalog_load import load_catalog  # noqa: E402
from app.services.inbound import (  # noqa: E402
    InboundResult,
    OutboxClaim,
    acknowledge_inbound,
    handle_inbound_many,
)
from app.services.outbox import SentPart, mark_sent_many  # noqa: E402
from app.services.receipts import record_receipts  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.database import make_engine, make_session_factory  # noqa: E402
from app.store.unit_of_work import UnitOfWork  # noqa: E402
from bench.inbound_batch import batches_of, seed  # noqa: E402
from bench.processes import CpuWatch, postgresql_server, table_row, the_process, workdir  # noqa: E402
from tests import databases  # noqa: E402

STEPS = ("inbound", "acks", "sent", "receipts")


def run(backend: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    with (
        workdir(None, f"reply-path-{backend}-{size}") as tmp,
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
        ids = itertools.count()
        cpu: Counter[str] = Counter()
        replies = 0

        def one_batch(batch: list[Any]) -> int:
            step = time.process_time()

            def lap(name: str) -> None:
                nonlocal step
                now = time.process_time()
                cpu[name] += now - step
                step = now

            results = handle_inbound_many(uow_factory, batch, context, "smpp", claim=claim)
            lap("inbound")
            done = [r for r in results if isinstance(r, InboundResult)]
            if len(done) != len(results):
                raise next(r for r in results if isinstance(r, Exception))
            acknowledge_inbound(uow_factory, [(f"d{next(ids)}", r.message_id) for r in done])
            lap("acks")
            claimed = [c for r in done for c in r.claimed]
            sent = [(c.id, [SentPart("bench", f"{next(ids):x}") for _ in "ab"]) for c in claimed]
            mark_sent_many(uow_factory, sent)
            lap("sent")
            receipts = [
                Receipt(p.message_id, "DELIVRD", "delivered", "", None)
                for _, ps in sent
                for p in ps
            ]
            record_receipts(uow_factory, receipts)
            lap("receipts")
            return len(claimed)

        one_batch(batches[0])  # warm up: the catalog built, the pool filled
        cpu.clear()
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)
        parties = {"postgresql": postgresql_server} if backend == "postgresql" else {}
        parties["bench"] = the_process(os.getpid())
        with CpuWatch(parties) as watch:
            started = time.perf_counter()
            for batch in batches[1:]:
                replies += one_batch(batch)
            elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
        db = watch.usage("postgresql", rss=False).cpu_s if backend == "postgresql" else None
        return {
            "backend": backend,
            "batch": size,
            "replies": replies,
            "per_s": replies / elapsed,
            "cpu_ms": {s: 1000 * cpu[s] / replies for s in STEPS},
            "db_ms": None if db is None else 1000 * db / replies,
            "statements": statements / (len(batches) - 1),
        }


COLUMNS = (
    ("backend", 10), ("batch", 5), ("replies", 7), ("/s", 6), ("ms CPU", 6),
    *((f"{s} ms", 11) for s in STEPS), ("db ms", 5), ("statements/batch", 16),
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--batches", default="1,10,32", help="batch sizes")
    parser.add_argument("--count", type=int, default=3000, help="MOs per run")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--numbers", type=int, default=2000, help="handsets (half unknown)")
    args = parser.parse_args(argv)
    print(table_row([name for name, _ in COLUMNS], COLUMNS), flush=True)
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.batches.split(",")):
            r = run(backend, size, args)
            db = "–" if r["db_ms"] is None else f"{r['db_ms']:.2f}"
            values = [
                backend, size, r["replies"], f"{r['per_s']:.0f}",
                f"{sum(r['cpu_ms'].values()):.2f}", *(f"{r['cpu_ms'][s]:.2f}" for s in STEPS),
                db, f"{r['statements']:.1f}",
            ]  # fmt: skip
            print(table_row(values, COLUMNS), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
