"""The retention (app/services/retention.py): old answered MOs, settled replies, their
parts and stale early receipts go; what is still needed stays. On both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.retention import RetentionReport, purge_messages
from app.settings import Settings, get_settings
from app.store.models import (
    ActivationRow,
    InboundMessageRow,
    NoticeRow,
    OutboundMessageRow,
    OutboundPartRow,
    PendingPromptRow,
    PendingReceiptRow,
)

MSISDN = "13800138000"
DAYS = 30
SECOND = timedelta(seconds=1)


@pytest.fixture
def now() -> datetime:
    return utc_now()


@pytest.fixture
def horizon(now: datetime) -> datetime:
    return now - timedelta(days=DAYS)


def _settings(runtime: Runtime, days: float = DAYS, dedupe_days: float = 7) -> Settings:
    # The suite's settings take MOs from ten years back; the retention's floor is that age.
    return runtime.settings.model_copy(
        update={"retention_days": days, "received_at_max_age_days": dedupe_days}
    )


def _purge(
    runtime: Runtime, now: datetime, settings: Settings | None = None, batch: int | None = None
) -> dict[str, int]:
    report = purge_messages(runtime.uow_factory, now, settings or _settings(runtime), batch)
    return report.deleted


def _add(runtime: Runtime, *rows: object) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        for row in rows:
            uow.session.add(row)
            uow.session.flush()
        uow.commit()


def mo(runtime: Runtime, at: datetime, msisdn: str = MSISDN) -> int:
    row = InboundMessageRow(
        gateway="json",
        gateway_message_id=f"m-{at.timestamp()}-{msisdn}-{_serial()}",
        msisdn=msisdn,
        short_code="10086",
        text="CXYE",
        received_at=at,
        outcome="balance",
    )
    _add(runtime, row)
    return row.id


def reply(
    runtime: Runtime,
    at: datetime,
    inbound_id: int | None,
    state: str = "delivered",
    channel: str = "smpp",
    parts: int = 2,
) -> int:
    row = OutboundMessageRow(
        inbound_message_id=inbound_id,
        msisdn=MSISDN,
        sender="10086",
        text="余额86.50元",
        channel=channel,
        state=state,
        attempts=1,
        created_at=at,
        updated_at=at,
        sent_at=at if state != "queued" else None,
    )
    _add(runtime, row)
    _add(
        runtime,
        *(
            OutboundPartRow(
                outbound_message_id=row.id,
                part_no=n,
                gateway="smsc",
                gateway_message_id=f"{row.id:x}{n}",
                state="delivered" if state == "delivered" else "sent",
                submitted_at=at,
                updated_at=at,
            )
            for n in range(1, parts + 1)
        ),
    )
    return row.id


def receipt(runtime: Runtime, at: datetime) -> int:
    row = PendingReceiptRow(gateway_message_id=f"ee{_serial()}", stat="DELIVRD", received_at=at)
    _add(runtime, row)
    return row.id


_count = iter(range(10**9))


def _serial() -> int:
    return next(_count)


def _ids(runtime: Runtime, model: type) -> set[int]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        return set(uow.session.scalars(select(model.id)))  # type: ignore[attr-defined]


def _rows(runtime: Runtime, model: type) -> int:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_each_table_on_both_sides_of_the_horizon(
    runtime: Runtime, now: datetime, horizon: datetime
) -> None:
    old_mo = mo(runtime, horizon - SECOND)
    old_reply = reply(runtime, horizon - SECOND, old_mo)
    young_mo = mo(runtime, horizon + SECOND)
    young_reply = reply(runtime, horizon + SECOND, young_mo)
    old_receipt, young_receipt = receipt(runtime, horizon - SECOND), receipt(runtime, horizon)
    assert _purge(runtime, now) == {
        "outbound_messages": 1,
        "outbound_parts": 2,
        "inbound_messages": 1,
        "pending_receipts": 1,
        "long_mos": 0,
        "ussd_dialogues": 0,
    }
    assert _ids(runtime, InboundMessageRow) == {young_mo}
    assert _ids(runtime, OutboundMessageRow) == {young_reply}
    assert _rows(runtime, OutboundPartRow) == 2
    assert _ids(runtime, PendingReceiptRow) == {young_receipt}
    assert old_reply not in _ids(runtime, OutboundMessageRow)
    assert old_receipt not in _ids(runtime, PendingReceiptRow)
    # Nothing more to do: a second run deletes nothing.
    assert set(_purge(runtime, now).values()) == {0}


@pytest.mark.parametrize("state", ["delivered", "failed", "expired", "dropped"])
def test_settled_replies_go(runtime: Runtime, now: datetime, horizon: datetime, state: str) -> None:
    reply(runtime, horizon - SECOND, mo(runtime, horizon - SECOND), state=state)
    assert _purge(runtime, now)["outbound_messages"] == 1
    assert _rows(runtime, InboundMessageRow) == 0


def test_a_reply_younger_than_the_horizon_keeps_its_old_mo(
    runtime: Runtime, now: datetime, horizon: datetime
) -> None:
    reply(runtime, horizon + SECOND, mo(runtime, horizon - SECOND))
    assert set(_purge(runtime, now).values()) == {0}


@pytest.mark.parametrize(
    ("state", "channel", "age_days", "kept"),
    [
        ("queued", "smpp", 40, True),  # waiting for (or held by) a sender
        ("sent", "smpp", 3, True),  # its delivery receipt may still come
        ("sent", "smpp", 8, False),  # past the SMSC's validity: no receipt comes
        ("sent", "http_response", 3, False),  # carried in the HTTP answer: final
        ("delivered", "smpp", 3, False),
    ],
)
def test_unsettled_replies_and_their_mo_stay(
    runtime: Runtime, now: datetime, state: str, channel: str, age_days: int, kept: bool
) -> None:
    at = now - timedelta(days=age_days)
    mo_id = mo(runtime, at)
    reply_id = reply(runtime, at, mo_id, state=state, channel=channel)
    _purge(runtime, now, _settings(runtime, days=1, dedupe_days=1))
    assert (reply_id in _ids(runtime, OutboundMessageRow)) is kept
    assert (mo_id in _ids(runtime, InboundMessageRow)) is kept
    assert _rows(runtime, OutboundPartRow) == (2 if kept else 0)


@pytest.mark.parametrize("open_question", [True, False])
def test_an_open_question_keeps_its_conversation(
    runtime: Runtime, now: datetime, horizon: datetime, open_question: bool
) -> None:
    mo_id = mo(runtime, horizon - SECOND)
    reply_id = reply(runtime, horizon - SECOND, mo_id)
    other = mo(runtime, horizon - SECOND, msisdn="13900139000")
    expires = now + timedelta(hours=1) if open_question else now - SECOND
    _add(
        runtime,
        PendingPromptRow(
            msisdn=MSISDN, kind="confirm", payload={}, expires_at=expires, created_at=now
        ),
    )
    _purge(runtime, now)
    assert (mo_id in _ids(runtime, InboundMessageRow)) is open_question
    assert (reply_id in _ids(runtime, OutboundMessageRow)) is open_question
    assert other not in _ids(runtime, InboundMessageRow)  # another number's MO goes


def test_the_mo_that_placed_an_order_stays(
    runtime: Runtime, now: datetime, horizon: datetime, add_subscriber: Callable
) -> None:
    mo_id = mo(runtime, horizon - SECOND)
    reply(runtime, horizon - SECOND, mo_id)
    _add(
        runtime,
        ActivationRow(
            subscriber_id=add_subscriber(MSISDN),
            campaign_code="IWJZS",
            exclusivity_key="IWJZS",
            package_code="2",
            monthly_fee_fen=26_00,
            free_months=9,
            activated_on=date(2026, 11, 23),
            starts_on=date(2026, 12, 1),
            ends_on=date(2027, 8, 31),
            state="active",
            inbound_message_id=mo_id,
            created_at=now,
        ),
    )
    deleted = _purge(runtime, now)
    assert (deleted["outbound_messages"], deleted["inbound_messages"]) == (1, 0)
    assert _ids(runtime, InboundMessageRow) == {mo_id}


def test_never_shorter_than_the_dedupe_window(runtime: Runtime, now: datetime) -> None:
    """A gateway repeats an MO for days: its first copy must answer the repeat."""
    inside = mo(runtime, now - timedelta(days=6))
    reply(runtime, now - timedelta(days=6), inside)
    outside = mo(runtime, now - timedelta(days=7) - SECOND)
    report = purge_messages(
        runtime.uow_factory, now, _settings(runtime, days=1, dedupe_days=7), None
    )
    assert isinstance(report, RetentionReport)
    assert report.horizon == now - timedelta(days=7)
    assert _ids(runtime, InboundMessageRow) == {inside}
    assert outside not in _ids(runtime, InboundMessageRow)


def test_a_sent_notice_goes_and_its_record_stays(
    runtime: Runtime, now: datetime, horizon: datetime
) -> None:
    notice_message = reply(runtime, horizon - SECOND, None)
    _add(
        runtime,
        NoticeRow(
            msisdn=MSISDN,
            kind="birthday",
            subject="2026",
            local_day=(horizon - SECOND).date(),
            outbound_message_id=notice_message,
            created_at=horizon - SECOND,
        ),
    )
    assert _purge(runtime, now)["outbound_messages"] == 1
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        found = uow.session.execute(
            select(NoticeRow.kind, NoticeRow.subject, NoticeRow.outbound_message_id)
        ).all()
    # The record still keeps the scheduled job from greeting twice.
    assert [tuple(row) for row in found] == [("birthday", "2026", None)]


def test_batches_smaller_than_the_backlog_delete_it_all(
    runtime: Runtime, now: datetime, horizon: datetime
) -> None:
    stuck_mo = mo(runtime, horizon - timedelta(days=9))
    stuck = reply(runtime, horizon - timedelta(days=9), stuck_mo, state="queued")
    for n in range(23):
        at = horizon - timedelta(hours=23 - n)
        reply(runtime, at, mo(runtime, at), parts=1)
        receipt(runtime, at)
    young = mo(runtime, horizon + SECOND)
    deleted = _purge(runtime, now, batch=5)
    assert deleted == {
        "outbound_messages": 23,
        "outbound_parts": 23,
        "inbound_messages": 23,
        "pending_receipts": 23,
        "long_mos": 0,
        "ussd_dialogues": 0,
    }
    assert _ids(runtime, InboundMessageRow) == {stuck_mo, young}
    assert _ids(runtime, OutboundMessageRow) == {stuck}


def test_cli_purge_reports_per_table(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    now: datetime,
) -> None:
    long_ago = now - timedelta(days=200)
    reply(runtime, long_ago, mo(runtime, long_ago))
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SMSHALL_RECEIVED_AT_MAX_AGE_DAYS", "7")
    get_settings.cache_clear()
    try:
        assert main(["purge", "--batch-size", "1"]) == 0  # the default: 180 days
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "inbound_messages: 1 deleted" in out and "outbound_parts: 2 deleted" in out
    assert _rows(runtime, InboundMessageRow) == 0
