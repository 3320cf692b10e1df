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
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from app.domain.delivery_receipts import Receipt  # noqa: E402
from app.services.inbound import (  # noqa: E402
    InboundResult,
    acknowledge_inbound,
    handle_inbound_many,
)
from app.services.outbox import SentPart, mark_sent_many  # noqa: E402
from app.services.receipts import record_receipts  # noqa: E402
from bench.inbound_batch import measure, runs, seeded_store, store_arguments  # noqa: E402
from bench.processes import table_row  # noqa: E402

STEPS = ("inbound", "acks", "sent", "receipts")


def run(backend: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    with seeded_store(backend, size, args, "reply-path") as store:
        uow_factory, batches = store.uow_factory, store.batches
        context, claim = store.context, store.claim
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

        def handle(batch: list[Any]) -> None:
            nonlocal replies
            replies += one_batch(batch)

        measured = measure(store, backend, handle)
        db = measured.db_cpu_s
        return {
            "backend": backend,
            "batch": size,
            "replies": replies,
            "per_s": replies / measured.elapsed,
            "cpu_ms": {s: 1000 * cpu[s] / replies for s in STEPS},
            "db_ms": None if db is None else 1000 * db / replies,
            "statements": measured.statements_per_batch,
        }


COLUMNS = (
    ("backend", 10), ("batch", 5), ("replies", 7), ("/s", 6), ("ms CPU", 6),
    *((f"{s} ms", 11) for s in STEPS), ("db ms", 5), ("statements/batch", 16),
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = store_arguments(argv, __doc__, "1,10,32")
    print(table_row([name for name, _ in COLUMNS], COLUMNS), flush=True)
    for backend, size in runs(args):
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
