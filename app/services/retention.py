"""purge_messages: the message log keeps what support and the service need, and
no more (DESIGN.md "Data" and "Where it runs": a retention window; the rules are
in `app/domain/retention.py`).

Answered MOs, settled replies with their parts, and early receipts whose message
never came are deleted once older than `SMSHALL_RETENTION_DAYS`, a window of
`retention_batch_size` ids per short transaction, so no lock is held for long and
the hot path goes on meanwhile. Replies go first: an MO whose replies have all
gone may go in the same run. Safe to run while the service runs, and twice at
once (a row another transaction holds is left for the next run).

The links' shared state goes too (`purge_link_state`): long MOs finished a
TTL ago, or never finished and older than the horizon, and USSD dialogues
silent past their timeout. The gateways forget these themselves as they run;
this is for the rows of processes no longer running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from app.domain import retention
from app.services.inbound import IN_ANSWER
from app.settings import Settings
from app.store.long_mo import LongMoRepository
from app.store.retention import RetentionRepository, Rules, Window
from app.store.unit_of_work import UnitOfWork
from app.store.ussd_dialogues import UssdDialogueRepository

UowFactory = Callable[[], UnitOfWork]


@dataclass
class RetentionReport:
    horizon: datetime
    #: Rows deleted, per table.
    deleted: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "outbound_messages",
                "outbound_parts",
                "inbound_messages",
                "pending_receipts",
                "long_mos",
                "ussd_dialogues",
            ),
            0,
        )
    )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def purge_messages(
    uow_factory: UowFactory, now: datetime, settings: Settings, batch_size: int | None = None
) -> RetentionReport:
    """Delete what the retention window lets go as of `now` (an aware instant)."""
    now = now.astimezone(UTC)
    rules = Rules(
        horizon=retention.horizon(now, settings.retention_days, settings.received_at_max_age_days),
        now=now,
        settled=retention.SETTLED,
        in_answer=IN_ANSWER,
        receipts_since=retention.receipts_awaited_since(now),
    )
    report = RetentionReport(rules.horizon)
    size = batch_size or settings.retention_batch_size
    deleted = report.deleted

    def replies(store: RetentionRepository, window: Window) -> None:
        messages, parts = store.purge_replies(window, rules)
        deleted["outbound_messages"] += messages
        deleted["outbound_parts"] += parts

    def inbound(store: RetentionRepository, window: Window) -> None:
        deleted["inbound_messages"] += store.purge_inbound(window, rules)

    def receipts(store: RetentionRepository, window: Window) -> None:
        deleted["pending_receipts"] += store.purge_receipts(window, rules)

    _walk(uow_factory, "outbound_messages", size, rules.horizon, replies)
    _walk(uow_factory, "inbound_messages", size, rules.horizon, inbound)
    _walk(uow_factory, "pending_receipts", size, rules.horizon, receipts)
    deleted.update(purge_link_state(uow_factory, now, rules.horizon, settings))
    return report


def purge_link_state(
    uow_factory: UowFactory, now: datetime, horizon: datetime, settings: Settings
) -> dict[str, int]:
    """Delete the long MOs and USSD dialogues no process needs any more: never an
    open long MO younger than the horizon (a process answers it, with what came,
    once its TTL is out), nor a finished one within its TTL (a part delivered
    again is known by it), nor a dialogue within its timeout."""
    with uow_factory() as uow:
        assert uow.session is not None
        long_mos = LongMoRepository(uow.session).forget(
            now - timedelta(seconds=settings.smpp_concat_ttl), opened_before=horizon
        )
        dialogues = UssdDialogueRepository(uow.session).forget(
            now - timedelta(seconds=settings.ussd_session_timeout)
        )
        uow.commit()
    return {"long_mos": long_mos, "ussd_dialogues": dialogues}


def _walk(
    uow_factory: UowFactory,
    table: str,
    size: int,
    horizon: datetime,
    purge: Callable[[RetentionRepository, Window], None],
) -> None:
    """Purge `table` a window of ids at a time, each in its own transaction, up to
    the first window that reaches rows younger than the horizon."""
    after = 0
    while True:
        with uow_factory() as uow:
            assert uow.session is not None
            store = RetentionRepository(uow.session)
            window = store.window(table, after, size, horizon)
            if window is None:
                return
            purge(store, window)
            uow.commit()
        if window.reached_young or not window.full:
            return
        after = window.last
