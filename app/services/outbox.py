"""Outbox use cases for senders: claim due replies, record how sending went, apply receipts.

A reply's state runs queued -> sent -> delivered / failed / expired. A claim
keeps the row `queued` but pushes `next_attempt_at` a lease ahead and sets
`claimed_by`; a sender that dies mid-send therefore leaves the row to be
claimed again when the lease runs out (answered at least once). Each claim,
mark and receipt is its own short transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from app.domain.delivery_receipts import Receipt, normalise_id
from app.services.clock import utc_now
from app.store.models import OutboundMessageRow, OutboundPartRow, PendingReceiptRow
from app.store.outbox import OutboxRepository
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class ClaimedReply:
    id: int
    msisdn: str
    sender: str
    text: str
    attempts: int


@dataclass(frozen=True, slots=True)
class SentPart:
    gateway: str
    message_id: str


def _outbox(uow: UnitOfWork) -> OutboxRepository:
    assert uow.session is not None
    return OutboxRepository(uow.session)


def claim_replies(
    uow_factory: UowFactory, channel: str, worker: str, limit: int, lease: float
) -> list[ClaimedReply]:
    """Take up to `limit` due rows of `channel` for `worker` for `lease` seconds."""
    with uow_factory() as uow:
        now = utc_now()
        rows = _outbox(uow).due(channel, now, limit)
        for row in rows:
            row.claimed_by = worker
            row.attempts = (row.attempts or 0) + 1
            row.next_attempt_at = now + timedelta(seconds=lease)
            row.updated_at = now
        claimed = [ClaimedReply(r.id, r.msisdn, r.sender, r.text, r.attempts) for r in rows]
        uow.commit()
        return claimed


def mark_sent(uow_factory: UowFactory, reply_id: int, parts: Sequence[SentPart]) -> None:
    """Every part was accepted: keep their ids, then apply receipts that came early."""
    with uow_factory() as uow:
        outbox = _outbox(uow)
        row = outbox.get(reply_id, lock=True)
        if row is None:
            return
        now = utc_now()
        row.state = "sent"
        row.sent_at = now
        row.updated_at = now
        row.claimed_by = None
        row.next_attempt_at = None
        row.last_status = 0
        row.last_error = None
        row.error_kind = None
        row.gateway_message_id = parts[0].message_id if parts else None
        existing = {p.part_no for p in outbox.parts_of(reply_id)}
        for number, part in enumerate(parts, start=1):
            if number in existing:  # a resend after a lost lease: keep the first ids
                continue
            outbox.add_part(
                OutboundPartRow(
                    outbound_message_id=reply_id,
                    part_no=number,
                    gateway=part.gateway,
                    gateway_message_id=normalise_id(part.message_id),
                    state="sent",
                    submitted_at=now,
                    updated_at=now,
                )
            )
        assert uow.session is not None
        uow.session.flush()
        _settle_in(outbox, [p.message_id for p in parts])
        racing = uow.session.get_bind().dialect.name != "sqlite"
        uow.commit()
    # SQLite runs one writer at a time (BEGIN IMMEDIATE), so no receipt can race this
    # transaction; elsewhere look again once committed (see `_settle_early_receipts`).
    if racing:
        _settle_early_receipts(uow_factory, [p.message_id for p in parts])


def schedule_retry(
    uow_factory: UowFactory,
    reply_id: int,
    error: str,
    status: int | None,
    delay: float,
    max_attempts: int,
) -> str:
    """A temporary failure: try again after `delay`, or fail after `max_attempts`."""
    with uow_factory() as uow:
        row = _outbox(uow).get(reply_id, lock=True)
        if row is None:
            return "missing"
        now = utc_now()
        row.last_error = error[:200]
        row.last_status = status
        row.error_kind = "temporary"
        row.claimed_by = None
        row.updated_at = now
        if (row.attempts or 0) >= max_attempts:
            row.state = "failed"
            row.finished_at = now
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + timedelta(seconds=delay)
        uow.commit()
        return row.state


def mark_failed(uow_factory: UowFactory, reply_id: int, error: str, status: int | None) -> None:
    """A permanent failure: the SMSC will never take this message."""
    with uow_factory() as uow:
        row = _outbox(uow).get(reply_id, lock=True)
        if row is None:
            return
        now = utc_now()
        row.state = "failed"
        row.last_error = error[:200]
        row.last_status = status
        row.error_kind = "permanent"
        row.claimed_by = None
        row.next_attempt_at = None
        row.updated_at = now
        row.finished_at = now
        uow.commit()


def record_receipt(uow_factory: UowFactory, receipt: Receipt) -> bool:
    """Apply a receipt to its part; keep it for later if its id is not known yet.

    `receipt.message_id` is in the submit_sm_resp's form already (the gateway
    converts it by the bind's id convention): only an exact match counts.
    """
    with uow_factory() as uow:
        outbox = _outbox(uow)
        variants = [normalise_id(receipt.message_id)]
        parts = outbox.parts_by_message_id(variants)
        if not parts:
            outbox.add_pending_receipt(
                PendingReceiptRow(
                    gateway_message_id=variants[0],
                    stat=receipt.stat[:16],
                    state=receipt.state,
                    error=receipt.error[:32] or None,
                    received_at=utc_now(),
                )
            )
            uow.commit()
        else:
            part = parts[0]
            _apply(part, receipt.stat, receipt.state, receipt.error)
            row = outbox.get(part.outbound_message_id, lock=True)
            if row is not None:
                _roll_up(row, outbox.parts_of(row.id))
            uow.commit()
            return True
    return _settle_early_receipts(uow_factory, variants)


def _settle_early_receipts(uow_factory: UowFactory, message_ids: Sequence[str]) -> bool:
    """Apply stored early receipts to parts now known; True if any was applied.

    Runs after both `mark_sent` and the storing of an early receipt commit,
    each in a transaction of its own: when the two race (the receipt beat its
    submit_sm_resp), whichever commits last then sees the other's rows, on
    PostgreSQL's READ COMMITTED as on SQLite.
    """
    with uow_factory() as uow:
        settled = _settle_in(_outbox(uow), message_ids)
        uow.commit()
        return settled


def _settle_in(outbox: OutboxRepository, message_ids: Sequence[str]) -> bool:
    wanted = sorted({normalise_id(m) for m in message_ids})
    touched: set[int] = set()
    for part in outbox.parts_by_message_id(wanted):
        for early in outbox.pending_receipts([part.gateway_message_id]):
            if outbox.delete_pending_receipt(early.id):
                _apply(part, early.stat, early.state, early.error)
                touched.add(part.outbound_message_id)
    for row_id in sorted(touched):
        row = outbox.get(row_id, lock=True)
        if row is not None:
            _roll_up(row, outbox.parts_of(row_id))
    return bool(touched)


def _apply(part: OutboundPartRow, stat: str, state: str | None, error: str | None) -> None:
    part.receipt_stat = stat[:16]
    part.receipt_error = (error or "")[:32] or None
    part.updated_at = utc_now()
    if state is not None:
        part.state = state


def _roll_up(row: OutboundMessageRow, parts: Sequence[OutboundPartRow]) -> None:
    """The reply is delivered when every part is; failed or expired when any part is."""
    if row.state != "sent" or not parts:
        return
    states = {p.state for p in parts}
    if "failed" in states:
        row.state = "failed"
    elif "expired" in states:
        row.state = "expired"
    elif states == {"delivered"}:
        row.state = "delivered"
    else:
        return
    row.finished_at = utc_now()
    row.updated_at = row.finished_at
    if row.state != "delivered":
        failed = next(p for p in parts if p.state == row.state)
        row.last_error = f"receipt {failed.receipt_stat} err {failed.receipt_error or '-'}"
        row.error_kind = "permanent"
