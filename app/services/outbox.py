"""Outbox use cases for senders: claim due replies, record how sending went.

A reply's state runs queued -> sent -> delivered / failed / expired. A claim
keeps the row `queued` but pushes `next_attempt_at` a lease ahead and sets
`claimed_by`; a sender that dies mid-send therefore leaves the row to be
claimed again when the lease runs out (answered at least once). Claims, marks
and receipts (`receipts.py`) are short transactions, each taking a gateway's whole
batch at once.

A long reply whose attempt ended after some parts were accepted keeps those
parts (`schedule_retry`); the claim of its next attempt carries them
(`ClaimedReply.accepted`), and the sender goes on from the first part not
accepted, so the SMSC never gets a part twice and each part keeps its first id.

A notice held for its window (DOMAIN.md §7a) may no longer apply when it is due:
the claim checks the batch's notices again, and a sender checks those it holds
once more as it hands them to its link (`still_to_send`). One that no longer
applies is `dropped` with its reason (app/domain/held_notices.py), never sent.
Nor does a notice leave outside §7a's hours because its slot has come: the
claim puts one back until the next time allowed (operator hours, the
subscriber's contact window, the day's cap of notices per number), unleased,
or drops it `out_of_date` when that time is past its end. Answers to MOs are
no notices: they leave at once, and cost the claim no statement for this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.delivery_receipts import normalise_id
from app.domain.held_notices import DROPPED, NoticeRules, drop_reason, leaves_at
from app.domain.states import ReplyState
from app.metrics import replies as reply_metrics
from app.services.clock import utc_now
from app.services.receipts import settle_in
from app.settings import Settings
from app.store.models import OutboundMessageRow
from app.store.notices import HeldRow
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


def notice_rules(settings: Settings) -> NoticeRules:
    """§7a as `settings` configure it: the rules the scheduled job books notices by."""
    return NoticeRules(settings.zone, settings.notice_daily_cap)


#: §7a with the settings' defaults, for a claim not told otherwise.
DEFAULT_RULES = NoticeRules(
    ZoneInfo(Settings.model_fields["timezone"].default),
    Settings.model_fields["notice_daily_cap"].default,
)


@dataclass(frozen=True, slots=True)
class ClaimedReply:
    id: int
    msisdn: str
    sender: str
    text: str
    attempts: int
    #: A message the service started itself (no inbound message): checked again
    #: before it is submitted.
    notice: bool = False
    created_at: datetime | None = None
    #: Parts an earlier attempt had accepted, from part 1 on, in order.
    accepted: tuple[SentPart, ...] = ()


@dataclass(frozen=True, slots=True)
class SentPart:
    gateway: str
    message_id: str


def claim_replies(
    uow_factory: UowFactory,
    channel: str,
    worker: str,
    limit: int,
    lease: float,
    rules: NoticeRules = DEFAULT_RULES,
) -> list[ClaimedReply]:
    """Take up to `limit` due rows of `channel` for `worker` for `lease` seconds.

    Held notices that no longer apply are dropped instead; those §7a (`rules`)
    does not let leave now are put back until it does (`_settle_notices`).
    """
    with uow_factory() as uow:
        now = utc_now()
        due = uow.outbox.due(channel, now, limit)
        notices = [r.id for r in due if r.inbound_message_id is None]
        not_now = _settle_notices(uow, notices, now, rules) if notices else set()
        due = [r for r in due if r.id not in not_now]
        uow.outbox.lease([r.id for r in due], worker, now + timedelta(seconds=lease), now)
        # Only a reply tried before may have parts accepted: one statement for those.
        accepted = _accepted(uow, [r.id for r in due if r.attempts > 0])
        uow.commit()
    return [
        ClaimedReply(
            r.id, r.msisdn, r.sender, r.text, r.attempts + 1, r.inbound_message_id is None,
            r.created_at, accepted.get(r.id, ()),
        )
        for r in due
    ]  # fmt: skip


def _accepted(uow: UnitOfWork, reply_ids: Sequence[int]) -> dict[int, tuple[SentPart, ...]]:
    """The parts accepted so far of each reply, from part 1 up to the first gap."""
    found: dict[int, list[SentPart]] = {}
    for reply_id, number, gateway, message_id in uow.outbox.parts_of(reply_ids):
        parts = found.setdefault(reply_id, [])
        if number == len(parts) + 1:
            parts.append(SentPart(gateway, message_id))
    return {reply_id: tuple(parts) for reply_id, parts in found.items() if parts}


def on_queued(
    uow_factory: UowFactory, channel: str, wake: Callable[[], None]
) -> Callable[[], None]:
    """Call `wake` whenever any process commits replies of `channel` queued unclaimed
    (PostgreSQL; with SQLite's one process, its gateways wake their sender directly).
    Returns the unsubscribe."""
    with uow_factory() as uow:
        return uow.outbox.wakeups.subscribe(channel, wake)


def lease_row(row: OutboundMessageRow, worker: str, lease: float, now: datetime) -> None:
    """Lease a row to `worker`: another attempt, held for `lease` seconds (the
    claim of one row; `claim_replies` makes the claim of a batch)."""
    row.claimed_by = worker
    row.attempts = (row.attempts or 0) + 1
    row.next_attempt_at = now + timedelta(seconds=lease)
    row.updated_at = now


def claimed_reply(row: OutboundMessageRow) -> ClaimedReply:
    return ClaimedReply(
        row.id, row.msisdn, row.sender, row.text, row.attempts, _is_notice(row), row.created_at
    )


def still_to_send(uow_factory: UowFactory, replies: Sequence[ClaimedReply]) -> list[ClaimedReply]:
    """The claimed `replies` a sender may still submit, in order.

    An opt-out or a cancel committed since the claim has dropped what it made
    moot, claimed or not; anything else that no longer applies is dropped here.
    Answers pass unread; the notices take one query (and one update if any is
    dropped) for the whole batch.
    """
    notices = [r.id for r in replies if r.notice]
    if not notices:
        return list(replies)
    with uow_factory() as uow:
        dropped = _drop_moot(uow, notices, utc_now())
        uow.commit()
    return [r for r in replies if r.id not in dropped]


def _is_notice(row: OutboundMessageRow) -> bool:
    return row.inbound_message_id is None


def _drop_moot(uow: UnitOfWork, notice_ids: Sequence[int], now: datetime) -> set[int]:
    """Drop the held notices among `notice_ids` that no longer apply at `now`;
    the ids not to send (dropped now, or no longer queued)."""
    gone, reasons = _moot(uow.notices.held(notice_ids), now)
    _drop(uow, reasons, now)
    return gone | set(reasons)


def _moot(held: Mapping[int, HeldRow], now: datetime) -> tuple[set[int], dict[int, str]]:
    """Of the held notices: those no longer queued, and why each other one no
    longer applies at `now` (`drop_reason`)."""
    gone = {i for i, h in held.items() if h.state != ReplyState.QUEUED}
    reasons = {
        i: reason
        for i, h in held.items()
        if i not in gone and (reason := drop_reason(h.notice, now)) is not None
    }
    return gone, reasons


def _drop(uow: UnitOfWork, reasons: Mapping[int, str], now: datetime) -> None:
    uow.notices.drop(reasons, now)
    reply_metrics.entered([DROPPED] * len(reasons))


def _settle_notices(
    uow: UnitOfWork, notice_ids: Sequence[int], now: datetime, rules: NoticeRules
) -> set[int]:
    """The claimed notices (`notice_ids`, in claim order) not to send now.

    Dropped: those that no longer apply (`drop_reason`). Held: those §7a does not
    let leave at `now` (operator hours, the subscriber's contact window, fewer
    than `rules.cap` notices to the number this local day, the batch's own
    counted in order): put back, unleased and their attempts unchanged, until
    the next time allowed (`leaves_at`), or dropped `out_of_date` when that is
    past their end. Whatever the batch's size: the read of the notices, one of
    the day's count per number, and a write each for the dropped and the held.
    """
    held = uow.notices.held(notice_ids)
    local = now.astimezone(rules.zone)
    not_now, reasons = _moot(held, now)
    going = [i for i in notice_ids if i in held and i not in not_now and i not in reasons]
    day = datetime.combine(local.date(), time(0), tzinfo=rules.zone)
    sent = uow.notices.sent_between(
        {held[i].msisdn for i in going},
        day.astimezone(now.tzinfo),
        (day + timedelta(days=1)).astimezone(now.tzinfo),
        now,
    )
    later: dict[int, datetime] = {}
    for i in going:
        h = held[i]
        at = leaves_at(local, h.contact_window, sent.get(h.msisdn, 0), rules.cap)
        if at == local:
            sent[h.msisdn] = sent.get(h.msisdn, 0) + 1
        elif (reason := drop_reason(h.notice, at)) is not None:
            reasons[i] = reason
        else:
            later[i] = at.astimezone(now.tzinfo)
    _drop(uow, reasons, now)
    uow.notices.hold(later, rules.zone, now)
    return not_now | set(reasons) | set(later)


def mark_sent(uow_factory: UowFactory, reply_id: int, parts: Sequence[SentPart]) -> None:
    """Every part was accepted: keep their ids, then apply receipts that came early."""
    mark_sent_many(uow_factory, [(reply_id, parts)])


def mark_sent_many(uow_factory: UowFactory, sent: Sequence[tuple[int, Sequence[SentPart]]]) -> None:
    """`mark_sent` for several replies in one transaction (a sender's batch).

    A statement for the rows and one for their parts, whatever the batch's
    size; rows are updated in id order, so two batches never wait for each
    other in a cycle.
    """
    by_reply = dict(sent)
    message_ids = [p.message_id for parts in by_reply.values() for p in parts]
    with uow_factory() as uow:
        outbox = uow.outbox
        now = utc_now()
        ordered = sorted(by_reply)
        outbox.mark_sent(
            [(i, by_reply[i][0].message_id if by_reply[i] else None) for i in ordered], now
        )
        outbox.add_parts(
            [row for reply_id in ordered for row in _part_rows(reply_id, by_reply[reply_id], now)]
        )
        entered: list[str | None] = [ReplyState.SENT] * len(ordered)
        # A receipt stored after this look and committed before this mark is swept
        # up by the sender's loop (`settle_stray_receipts`).
        settle_in(uow.receipts, message_ids, entered)
        uow.commit()
    reply_metrics.entered(entered)


def _part_rows(reply_id: int, parts: Sequence[SentPart], now: datetime) -> list[dict[str, object]]:
    """`outbound_parts` rows of a reply's accepted parts, numbered from 1."""
    return [
        {
            "outbound_message_id": reply_id,
            "part_no": number,
            "gateway": part.gateway,
            "gateway_message_id": normalise_id(part.message_id),
            "state": ReplyState.SENT,
            "submitted_at": now,
            "updated_at": now,
        }
        for number, part in enumerate(parts, start=1)
    ]


def schedule_retry(
    uow_factory: UowFactory,
    reply_id: int,
    error: str,
    status: int | None,
    delay: float,
    max_attempts: int,
    accepted: Sequence[SentPart] = (),
) -> str:
    """A temporary failure: try again after `delay`, or fail after `max_attempts`.

    `accepted` are the parts the SMSC took before the failure, from part 1 on:
    kept, with their ids, so the next attempt sends only the rest and their
    receipts find them.
    """
    with uow_factory() as uow:
        row = uow.outbox.get(reply_id, lock=True)
        if row is None:
            return "missing"
        if row.state == DROPPED:  # dropped while in a sender's hands: stays so
            return row.state
        now = utc_now()
        uow.outbox.add_parts(_part_rows(reply_id, accepted, now))
        row.last_error = error[:200]
        row.last_status = status
        row.error_kind = "temporary"
        row.claimed_by = None
        row.updated_at = now
        if (row.attempts or 0) >= max_attempts:
            row.state = ReplyState.FAILED
            row.finished_at = now
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + timedelta(seconds=delay)
        uow.commit()
        reply_metrics.entered([row.state if row.state == ReplyState.FAILED else None])
        return row.state


def mark_failed(uow_factory: UowFactory, reply_id: int, error: str, status: int | None) -> None:
    """A permanent failure: the SMSC will never take this message."""
    with uow_factory() as uow:
        row = uow.outbox.get(reply_id, lock=True)
        if row is None or row.state == DROPPED:
            return
        now = utc_now()
        row.state = ReplyState.FAILED
        row.last_error = error[:200]
        row.last_status = status
        row.error_kind = "permanent"
        row.claimed_by = None
        row.next_attempt_at = None
        row.updated_at = now
        row.finished_at = now
        uow.commit()
    reply_metrics.entered([ReplyState.FAILED])
