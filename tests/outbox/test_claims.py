"""Outbox claims (app/services/outbox.py) on each backend.

Two senders with their own engines (separate connection pools, as two
processes would have) claim concurrently: no row is claimed twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, select

from app.domain.delivery_receipts import Receipt, submitted_id
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.outbox import (
    SentPart,
    claim_replies,
    mark_sent,
    mark_sent_many,
    schedule_retry,
)
from app.services.receipts import record_receipt, record_receipts
from app.store.database import make_engine, make_session_factory
from app.store.models import OutboundMessageRow, OutboundPartRow
from app.store.unit_of_work import UnitOfWork
from tests.support.outbox import outbound_row
from tests.support.statements import first_words, statements_sent


def queue(uow_factory: Callable[[], UnitOfWork], count: int, channel: str = "smpp") -> list[int]:
    now = utc_now()
    with uow_factory() as uow:
        assert uow.session is not None
        rows = [
            outbound_row("13800138000", f"r{n}", now, due=now, channel=channel)
            for n in range(count)
        ]
        uow.session.add_all(rows)
        uow.commit()
        return [r.id for r in rows]


def test_claim_takes_due_rows_of_the_channel_only(uow_factory: Callable[[], UnitOfWork]) -> None:
    ids = queue(uow_factory, 3)
    queue(uow_factory, 2, channel="http_response")
    claimed = claim_replies(uow_factory, "smpp", "w1", limit=10, lease=60)
    assert sorted(c.id for c in claimed) == ids
    assert all(c.attempts == 1 for c in claimed)
    assert claim_replies(uow_factory, "smpp", "w2", limit=10, lease=60) == []


def test_expired_lease_is_claimed_again(uow_factory: Callable[[], UnitOfWork]) -> None:
    [row_id] = queue(uow_factory, 1)
    assert claim_replies(uow_factory, "smpp", "crashed", limit=1, lease=0)
    [again] = claim_replies(uow_factory, "smpp", "w2", limit=1, lease=60)
    assert (again.id, again.attempts) == (row_id, 2)


def test_retry_waits_and_gives_up_after_max_attempts(uow_factory: Callable[[], UnitOfWork]) -> None:
    [row_id] = queue(uow_factory, 1)
    claim_replies(uow_factory, "smpp", "w", limit=1, lease=60)
    assert schedule_retry(uow_factory, row_id, "0x08", 8, delay=60, max_attempts=2) == "queued"
    assert claim_replies(uow_factory, "smpp", "w", limit=1, lease=60) == []
    with uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(OutboundMessageRow, row_id)
        assert row is not None
        row.next_attempt_at = utc_now() - timedelta(seconds=1)
        uow.commit()
    claim_replies(uow_factory, "smpp", "w", limit=1, lease=60)
    assert schedule_retry(uow_factory, row_id, "0x08", 8, delay=60, max_attempts=2) == "failed"


def test_receipts_roll_up_over_parts(uow_factory: Callable[[], UnitOfWork]) -> None:
    [row_id] = queue(uow_factory, 1)
    claim_replies(uow_factory, "smpp", "w", limit=1, lease=60)
    # the second part's receipt arrives before the parts are recorded
    assert not record_receipt(uow_factory, Receipt("00B2", "DELIVRD", "delivered", "", None))
    mark_sent(uow_factory, row_id, [SentPart("main", "a1"), SentPart("main", "b2")])
    with uow_factory() as uow:
        assert uow.session is not None
        assert uow.session.get(OutboundMessageRow, row_id).state == "sent"  # type: ignore[union-attr]
    # A decimal receipt for a hex id, converted as the bind's convention says.
    receipt_id = submitted_id("161", "decimal_for_hex")  # 0xa1
    assert record_receipt(uow_factory, Receipt(receipt_id, "DELIVRD", "delivered", "", None))
    with uow_factory() as uow:
        assert uow.session is not None
        assert uow.session.get(OutboundMessageRow, row_id).state == "delivered"  # type: ignore[union-attr]


def test_two_senders_with_their_own_engines_never_claim_one_row_twice(
    runtime: Runtime, engine: Engine, database_url: str
) -> None:
    ids = set(queue(runtime.uow_factory, 120))
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    engines = [make_engine(database_url), make_engine(database_url)]
    start = threading.Barrier(2)

    def sender(name: str, own_engine: Engine) -> None:
        sessions = make_session_factory(own_engine)
        try:
            start.wait(5)
            while True:
                batch = claim_replies(
                    lambda: UnitOfWork(sessions), "smpp", name, limit=7, lease=600
                )
                if not batch:
                    return
                claimed[name].extend(c.id for c in batch)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [
        threading.Thread(target=sender, args=(name, e))
        for name, e in zip("ab", engines, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for e in engines:
        e.dispose()
    assert not errors
    assert not set(claimed["a"]) & set(claimed["b"])
    assert set(claimed["a"]) | set(claimed["b"]) == ids
    assert len(claimed["a"]) + len(claimed["b"]) == len(ids)


def states(uow_factory: Callable[[], UnitOfWork], ids: list[int]) -> list[str]:
    with uow_factory() as uow:
        assert uow.session is not None
        return [uow.session.get(OutboundMessageRow, i).state for i in ids]  # type: ignore[union-attr]


def test_a_batch_of_marks_and_receipts_settles_each_reply(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    ids = queue(uow_factory, 4)
    claim_replies(uow_factory, "smpp", "w", limit=4, lease=60)
    # Receipts for replies 1 and 3 beat their submit_sm_resp; 2 has none yet.
    early = [
        Receipt("c1", "DELIVRD", "delivered", "", None),
        Receipt("c3", "UNDELIV", "failed", "1", None),
    ]
    assert record_receipts(uow_factory, early) == [False, False]
    mark_sent_many(
        uow_factory,
        [(ids[0], [SentPart("main", "c1")]), (ids[1], [SentPart("main", "c2")]),
         (ids[2], [SentPart("main", "c3")])],
    )  # fmt: skip
    assert states(uow_factory, ids) == ["delivered", "sent", "failed", "queued"]
    # One batch: a receipt for a known part, one for nothing sent yet, a duplicate.
    late = [
        Receipt("c2", "DELIVRD", "delivered", "", None),
        Receipt("c4", "DELIVRD", "delivered", "", None),
    ]
    assert record_receipts(uow_factory, late) == [True, False]
    assert states(uow_factory, ids) == ["delivered", "delivered", "failed", "queued"]
    mark_sent_many(uow_factory, [(ids[3], [SentPart("main", "c4")])])
    assert states(uow_factory, ids) == ["delivered", "delivered", "failed", "delivered"]


def test_a_resend_after_a_lost_lease_keeps_the_first_part_ids(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    [row_id] = queue(uow_factory, 1)
    mark_sent_many(uow_factory, [(row_id, [SentPart("main", "x1"), SentPart("main", "x2")])])
    mark_sent_many(uow_factory, [(row_id, [SentPart("main", "y1"), SentPart("main", "y2")])])
    with uow_factory() as uow:
        assert uow.session is not None
        parts = uow.session.scalars(select(OutboundPartRow).order_by(OutboundPartRow.part_no))
        assert [p.gateway_message_id for p in parts] == ["x1", "x2"]


def test_parts_accepted_before_a_retry_come_back_with_the_next_claim(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    [row_id] = queue(uow_factory, 1)
    [first] = claim_replies(uow_factory, "smpp", "w", limit=1, lease=60)
    assert first.accepted == ()
    # Part 1 of 3 accepted, part 2 refused for now; its receipt comes meanwhile.
    schedule_retry(uow_factory, row_id, "0x08", 8, 0.0, 5, [SentPart("main", "A1")])
    assert record_receipts(uow_factory, [Receipt("a1", "DELIVRD", "delivered", "", None)])
    [again] = claim_replies(uow_factory, "smpp", "w", limit=1, lease=60)
    assert (again.attempts, again.accepted) == (2, (SentPart("main", "a1"),))
    mark_sent_many(uow_factory, [(row_id, [*again.accepted, SentPart("main", "b2")])])
    with uow_factory() as uow:
        assert uow.session is not None
        parts = uow.session.scalars(select(OutboundPartRow).order_by(OutboundPartRow.part_no))
        assert [(p.gateway_message_id, p.state) for p in parts] == [
            ("a1", "delivered"),
            ("b2", "sent"),
        ]
    record_receipts(uow_factory, [Receipt("b2", "DELIVRD", "delivered", "", None)])
    assert states(uow_factory, [row_id]) == ["delivered"]


def receipt_statements(runtime: Runtime, receipts: list[Receipt]) -> list[str]:
    """The SQL statements one `record_receipts` call sends, by their first words."""
    with statements_sent(runtime.engine) as sent:
        record_receipts(runtime.uow_factory, receipts)
    return first_words(sent, 3)


def test_a_batch_of_receipts_costs_the_same_statements_whatever_its_size(
    runtime: Runtime,
) -> None:
    """DESIGN.md, "Batches, not messages": receipts for 2 replies and for 10 (each
    with one receipt that ends its reply, one that does not, one for nothing sent
    yet) send the same statements."""
    ids = queue(runtime.uow_factory, 12)
    mark_sent_many(
        runtime.uow_factory,
        [(i, [SentPart("main", f"p{i}a"), SentPart("main", f"p{i}b")]) for i in ids],
    )

    def receipts(of: list[int]) -> list[Receipt]:
        return [
            receipt
            for i in of
            for receipt in (
                Receipt(f"p{i}a", "DELIVRD", "delivered", "", None),
                Receipt(f"p{i}b", "UNDELIV", "failed", "7", None) if i % 2 else
                Receipt(f"p{i}b", "ENROUTE", None, "", None),
                Receipt(f"early{i}", "DELIVRD", "delivered", "", None),
            )
        ]  # fmt: skip

    alone = receipt_statements(runtime, receipts(ids[:2]))
    together = receipt_statements(runtime, receipts(ids[2:]))
    assert sorted(together) == sorted(alone)
    ended = states(runtime.uow_factory, ids)
    assert ended == ["failed" if i % 2 else "sent" for i in ids]
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        failed = uow.session.get(OutboundMessageRow, next(i for i in ids if i % 2))
        assert failed is not None
        assert (failed.last_error, failed.error_kind) == ("receipt UNDELIV err 7", "permanent")
        assert failed.finished_at is not None
