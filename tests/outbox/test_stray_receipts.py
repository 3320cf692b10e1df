"""Early receipts that met their part in a race are swept up (app/services/receipts.py).

A sent mark looks for early receipts before it commits, and a receipt stored
early looks for its part once committed; where transactions interleave, a
receipt stored after the mark's look and before its commit is seen by neither.
The tests store such a receipt as it would be left, then sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select

from app.gateways.sending import ReplySender
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.outbox import SentPart, claim_replies, mark_sent_many
from app.services.receipts import STRAY_WITHIN, settle_stray_receipts
from app.store.models import OutboundMessageRow, PendingReceiptRow, table_of
from app.store.unit_of_work import UnitOfWork
from tests.support.outbox import outbound_row
from tests.support.polling import eventually

ZERO = timedelta(0)


def sent_replies(uow_factory: Callable[[], UnitOfWork], ids: list[str]) -> list[int]:
    """One reply per id, claimed and marked sent under that id."""
    now = utc_now()
    with uow_factory() as uow:
        assert uow.session is not None
        uow.session.add_all(
            [outbound_row("13800138000", f"r{i}", now, due=now, channel="smpp") for i in ids]
        )
        uow.commit()
    claimed = claim_replies(uow_factory, "smpp", "w", limit=len(ids), lease=60)
    mark_sent_many(
        uow_factory, [(c.id, [SentPart("main", i)]) for c, i in zip(claimed, ids, strict=True)]
    )
    return [c.id for c in claimed]


def left_early(
    uow_factory: Callable[[], UnitOfWork], message_id: str, stat: str, age: timedelta = ZERO
) -> None:
    """A receipt stored as early `age` ago, as the race leaves it (its part is there)."""
    state = {"DELIVRD": "delivered", "UNDELIV": "failed"}[stat]
    row = {"gateway_message_id": message_id, "stat": stat, "state": state, "error": None}
    with uow_factory() as uow:
        assert uow.session is not None
        uow.session.execute(
            insert(table_of(PendingReceiptRow)), [{**row, "received_at": utc_now() - age}]
        )
        uow.commit()


def states(uow_factory: Callable[[], UnitOfWork]) -> list[str]:
    with uow_factory() as uow:
        assert uow.session is not None
        query = select(OutboundMessageRow.state).order_by(OutboundMessageRow.id)
        return list(uow.session.scalars(query))


def pending(uow_factory: Callable[[], UnitOfWork]) -> list[str]:
    with uow_factory() as uow:
        assert uow.session is not None
        return list(uow.session.scalars(select(PendingReceiptRow.gateway_message_id)))


def test_a_sweep_settles_early_receipts_whose_part_is_known(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    sent_replies(uow_factory, ["a1", "a2", "a3"])
    left_early(uow_factory, "a1", "DELIVRD")
    left_early(uow_factory, "a3", "UNDELIV")
    left_early(uow_factory, "zz", "DELIVRD")  # nothing sent under this id (yet)
    assert states(uow_factory) == ["sent", "sent", "sent"]
    assert settle_stray_receipts(uow_factory) == 2
    assert states(uow_factory) == ["delivered", "sent", "failed"]
    assert pending(uow_factory) == ["zz"]
    assert settle_stray_receipts(uow_factory) == 0


def test_the_sweep_looks_at_the_last_minutes_only(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    """A race is an instant's; older early receipts (ids never sent here, waiting for
    the purge) are not read again every second."""
    sent_replies(uow_factory, ["c1", "c2"])
    left_early(uow_factory, "c1", "DELIVRD", age=STRAY_WITHIN - timedelta(minutes=1))
    left_early(uow_factory, "c2", "DELIVRD", age=STRAY_WITHIN + timedelta(minutes=1))
    assert settle_stray_receipts(uow_factory) == 1
    assert states(uow_factory) == ["delivered", "sent"]
    assert pending(uow_factory) == ["c2"]


class IdleSender(ReplySender):
    """A sender with nothing to send: only its loop's sweep runs."""

    channel = "smpp"

    def claim_and_send(self) -> int:
        return 0


def test_every_sender_loop_sweeps_within_a_second_or_so(runtime: Runtime) -> None:
    sent_replies(runtime.uow_factory, ["b1"])
    left_early(runtime.uow_factory, "b1", "DELIVRD")
    sender = IdleSender(runtime.uow_factory, runtime.settings.model_copy(
        update={"outbox_poll_interval": 0.05}
    ))  # fmt: skip
    sender.start()
    try:
        eventually(lambda: states(runtime.uow_factory) == ["delivered"], "the sweep", 5.0)
    finally:
        sender.stop()
    assert pending(runtime.uow_factory) == []
