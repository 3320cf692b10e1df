"""Delivery receipts settle the parts of sent replies, and through them the replies.

A receipt names a part by the id its submit response gave. One may arrive before
the sender's sent mark commits (its submit_sm_resp was slow): it is kept as a
pending receipt and applied when the part is recorded (`settle_early_receipts`).
A reply is delivered when every part is, failed or expired when any part is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain.delivery_receipts import Receipt, normalise_id
from app.domain.states import ReplyState
from app.metrics import replies as reply_metrics
from app.services.clock import utc_now
from app.store.models import OutboundMessageRow, OutboundPartRow, PendingReceiptRow
from app.store.outbox import OutboxRepository
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


def transactions_interleave(uow: UnitOfWork) -> bool:
    """Whether another transaction can commit between this one's statements: not on
    SQLite, where every transaction holds the one write lock (BEGIN IMMEDIATE)."""
    assert uow.session is not None
    return uow.session.get_bind().dialect.name != "sqlite"


def record_receipt(uow_factory: UowFactory, receipt: Receipt) -> bool:
    """Apply a receipt to its part; keep it for later if its id is not known yet.

    `receipt.message_id` is in the submit_sm_resp's form already (the gateway
    converts it by the bind's id convention): only an exact match counts.
    """
    return record_receipts(uow_factory, [receipt])[0]


def record_receipts(uow_factory: UowFactory, receipts: Sequence[Receipt]) -> list[bool]:
    """`record_receipt` for several receipts in one transaction; whether each matched."""
    wanted = [normalise_id(r.message_id) for r in receipts]
    with uow_factory() as uow:
        outbox = uow.outbox
        parts: dict[str, OutboundPartRow] = {}
        for part in outbox.parts_by_message_id(sorted(set(wanted))):
            parts.setdefault(part.gateway_message_id, part)  # the newest part with that id
        rows = outbox.lock_rows(sorted({p.outbound_message_id for p in parts.values()}))
        unmatched: list[str] = []
        for receipt, message_id in zip(receipts, wanted, strict=True):
            found = parts.get(message_id)
            if found is None:
                unmatched.append(message_id)
                outbox.add_pending_receipt(
                    PendingReceiptRow(
                        gateway_message_id=message_id,
                        stat=receipt.stat[:16],
                        state=receipt.state,
                        error=receipt.error[:32] or None,
                        received_at=utc_now(),
                    )
                )
            else:
                _apply(found, receipt.stat, receipt.state, receipt.error)
        parts_of = outbox.parts_of_rows([row.id for row in rows])
        ended = [_roll_up(row, parts_of.get(row.id, [])) for row in rows]
        racing = transactions_interleave(uow)
        uow.commit()
    reply_metrics.received(r.stat for r in receipts)
    reply_metrics.entered(ended)
    # A part recorded meanwhile (only possible where transactions interleave) meets its
    # early receipt here; on SQLite the sent mark, committing later, settles it.
    settled = settle_early_receipts(uow_factory, unmatched) if unmatched and racing else set()
    return [m in parts or m in settled for m in wanted]


def settle_early_receipts(uow_factory: UowFactory, message_ids: Sequence[str]) -> set[str]:
    """Apply stored early receipts to parts now known; the ids of those applied.

    Runs after both `mark_sent` and the storing of an early receipt commit,
    each in a transaction of its own: when the two race (the receipt beat its
    submit_sm_resp), whichever commits last then sees the other's rows, on
    PostgreSQL's READ COMMITTED as on SQLite.
    """
    entered: list[str | None] = []
    with uow_factory() as uow:
        settled = settle_in(uow.outbox, message_ids, entered)
        uow.commit()
    reply_metrics.entered(entered)
    return settled


def settle_in(
    outbox: OutboxRepository, message_ids: Sequence[str], entered: list[str | None]
) -> set[str]:
    """Apply early receipts; the states of the replies they end are added to `entered`."""
    settled: set[str] = set()
    early = outbox.pending_receipts(sorted({normalise_id(m) for m in message_ids}))
    if not early:
        return settled
    parts: dict[str, OutboundPartRow] = {}
    for part in outbox.parts_by_message_id(sorted({e.gateway_message_id for e in early})):
        parts.setdefault(part.gateway_message_id, part)  # the newest part with that id
    rows = outbox.lock_rows(sorted({p.outbound_message_id for p in parts.values()}))
    touched: set[int] = set()
    taken = outbox.delete_pending_receipts([e.id for e in early if e.gateway_message_id in parts])
    for receipt in early:
        found = parts.get(receipt.gateway_message_id)
        if found is not None and receipt.id in taken:
            _apply(found, receipt.stat, receipt.state, receipt.error)
            touched.add(found.outbound_message_id)
            settled.add(receipt.gateway_message_id)
    parts_of = outbox.parts_of_rows(sorted(touched))
    for row in rows:
        if row.id in touched:
            entered.append(_roll_up(row, parts_of.get(row.id, [])))
    return settled


def _apply(part: OutboundPartRow, stat: str, state: str | None, error: str | None) -> None:
    part.receipt_stat = stat[:16]
    part.receipt_error = (error or "")[:32] or None
    part.updated_at = utc_now()
    if state is not None:
        part.state = state


def _roll_up(row: OutboundMessageRow, parts: Sequence[OutboundPartRow]) -> str | None:
    """The reply is delivered when every part is; failed or expired when any part is.
    Returns the state the reply entered, if it ended."""
    if row.state != ReplyState.SENT or not parts:
        return None
    states = {p.state for p in parts}
    if ReplyState.FAILED in states:
        row.state = ReplyState.FAILED
    elif ReplyState.EXPIRED in states:
        row.state = ReplyState.EXPIRED
    elif states == {ReplyState.DELIVERED}:
        row.state = ReplyState.DELIVERED
    else:
        return None
    row.finished_at = utc_now()
    row.updated_at = row.finished_at
    if row.state != ReplyState.DELIVERED:
        failed = next(p for p in parts if p.state == row.state)
        row.last_error = f"receipt {failed.receipt_stat} err {failed.receipt_error or '-'}"
        row.error_kind = "permanent"
    return row.state
