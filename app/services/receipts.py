"""Delivery receipts settle the parts of sent replies, and through them the replies.

A receipt names a part by the id its submit response gave. One may arrive before
the sender's sent mark commits (its submit_sm_resp was slow): it is kept as a
pending receipt and applied by the sent mark that records its part (`settle_in`),
or, where the two commit in the same instant and neither sees the other, by the
senders' sweep a second later (`settle_stray_receipts`).
A reply is delivered when every part is, failed or expired when any part is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from app.domain.delivery_receipts import Receipt, normalise_id
from app.metrics import replies as reply_metrics
from app.services.clock import utc_now
from app.store.receipts import ReceiptRepository
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]

#: How far back the sweep for early receipts that met their part looks.
STRAY_WITHIN = timedelta(minutes=10)


def record_receipt(uow_factory: UowFactory, receipt: Receipt) -> bool:
    """Apply a receipt to its part; keep it for later if its id is not known yet.

    `receipt.message_id` is in the submit_sm_resp's form already (the gateway
    converts it by the bind's id convention): only an exact match counts.
    """
    return record_receipts(uow_factory, [receipt])[0]


def record_receipts(uow_factory: UowFactory, receipts: Sequence[Receipt]) -> list[bool]:
    """`record_receipt` for several receipts in one transaction; whether each matched.

    Six statements at most, whatever the batch's size: the parts named, their
    replies locked, the receipts written, those kept for later, the replies' part
    states read and the replies they end written. A receipt kept for later counts
    as not matched.
    """
    wanted = [normalise_id(r.message_id) for r in receipts]
    now = utc_now()
    with uow_factory() as uow:
        store = uow.receipts
        parts = store.newest_parts(sorted(set(wanted)))
        replies = store.lock_replies([p.reply_id for p in parts.values()])
        changes: list[dict[str, object]] = []
        early: list[dict[str, object]] = []
        for receipt, message_id in zip(receipts, wanted, strict=True):
            found = parts.get(message_id)
            if found is None:
                early.append(_early_row(message_id, receipt, now))
            else:
                changes.append(_change(found.id, receipt.stat, receipt.state, receipt.error, now))
        store.apply(changes)
        store.keep_early(early)
        ended = store.end_replies(replies, now)
        uow.commit()
    reply_metrics.received(r.stat for r in receipts)
    reply_metrics.entered(ended)
    return [m in parts for m in wanted]


def settle_stray_receipts(uow_factory: UowFactory, limit: int = 500) -> int:
    """Settle early receipts whose part is known by now; how many were settled.

    A sent mark and an early receipt each look for the other before committing;
    where transactions interleave (not on SQLite, whose transactions take turns),
    each can miss the other when both commit in the same instant. Every sender's
    loop sweeps them up within a second (`app/gateways/sending.py`), so neither
    side needs a second look of its own. Only receipts of the last `STRAY_WITHIN`
    are looked at: the race is an instant's, and receipts for ids never sent
    here may pile up until the retention purge.
    """
    entered: list[str | None] = []
    with uow_factory() as uow:
        stray = uow.receipts.stray(utc_now() - STRAY_WITHIN, limit)
        settled = settle_in(uow.receipts, stray, entered) if stray else set()
        uow.commit()
    reply_metrics.entered(entered)
    return len(settled)


def settle_in(
    store: ReceiptRepository, message_ids: Sequence[str], entered: list[str | None]
) -> set[str]:
    """Apply early receipts; the states of the replies they end are added to `entered`."""
    early = store.early(sorted({normalise_id(m) for m in message_ids}))
    if not early:
        return set()
    parts = store.newest_parts(sorted({e.message_id for e in early}))
    store.lock_replies([p.reply_id for p in parts.values()])
    taken = store.take_early([e.id for e in early if e.message_id in parts])
    now = utc_now()
    changes: list[dict[str, object]] = []
    touched: set[int] = set()
    settled: set[str] = set()
    for receipt in early:
        found = parts.get(receipt.message_id)
        if found is not None and receipt.id in taken:
            changes.append(_change(found.id, receipt.stat, receipt.state, receipt.error, now))
            touched.add(found.reply_id)
            settled.add(receipt.message_id)
    store.apply(changes)
    entered.extend(store.end_replies(sorted(touched), now))
    return settled


def _change(
    part_id: int, stat: str, state: str | None, error: str | None, now: datetime
) -> dict[str, object]:
    """A receipt's row for `ReceiptRepository.apply`."""
    return {
        "part_id": part_id,
        "stat": stat[:16],
        "error": (error or "")[:32] or None,
        "new_state": state,
        "now": now,
    }


def _early_row(message_id: str, receipt: Receipt, now: datetime) -> dict[str, object]:
    return {
        "gateway_message_id": message_id,
        "stat": receipt.stat[:16],
        "state": receipt.state,
        "error": receipt.error[:32] or None,
        "received_at": now,
    }
