"""`smshall purge` also clears the links' shared state (long-MO parts, USSD
dialogues) that no process needs any more, and never a row one still does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.retention import purge_messages
from app.store.link_rows import LongMoPartRow, LongMoRow, UssdDialogueRow

TTL = 120.0
TIMEOUT = 60.0
SECOND = timedelta(seconds=1)


def long_mo(
    runtime: Runtime, name: str, first_seen: datetime, finished_at: datetime | None
) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = LongMoRow(
            reference=name, link="sim", source="13800138000", destination="10086",
            total=2, data_coding=0, first_seen=first_seen, finished_at=finished_at,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        uow.session.add(LongMoPartRow(long_mo_id=row.id, part_no=1, payload=b"part"))
        uow.commit()


def dialogue(runtime: Runtime, msisdn: str, last_seen: datetime) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.add(
            UssdDialogueRow(
                key=f"{msisdn}|its:1",
                msisdn=msisdn,
                dialogue_id=f"{msisdn}-1",
                service_code="*10086#",
                inputs=["3"],
                sequences=[0],
                last_sequence=0,
                last_text="3",
                ended=False,
                last_seen=last_seen,
            )  # fmt: skip
        )
        uow.commit()


def remaining(runtime: Runtime) -> tuple[set[str], set[str], int]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        mos = set(uow.session.scalars(select(LongMoRow.reference)))
        parts = len(list(uow.session.scalars(select(LongMoPartRow.part_no))))
        dialogues = set(uow.session.scalars(select(UssdDialogueRow.msisdn)))
    return mos, dialogues, parts


def test_purge_clears_finished_long_mos_and_silent_dialogues_only(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(
        update={"smpp_concat_ttl": TTL, "ussd_session_timeout": TIMEOUT, "retention_days": 30}
    )
    now = utc_now()
    ttl = timedelta(seconds=TTL)
    long_ago = now - timedelta(days=4000)  # past the horizon (the suite's dedupe age: 3650 days)
    # Finished within its TTL: a part delivered again must still be known by it.
    long_mo(runtime, "finished-recently", now - ttl, now - ttl + SECOND)
    long_mo(runtime, "finished-long-ago", now - 2 * ttl, now - ttl - SECOND)
    # Open past its TTL: no process has answered it yet; one will, with what came.
    long_mo(runtime, "open-stale", now - ttl - SECOND, None)
    long_mo(runtime, "open-forgotten", long_ago, None)
    dialogue(runtime, "13800138001", now - timedelta(seconds=TIMEOUT) + SECOND)
    dialogue(runtime, "13800138002", now - timedelta(seconds=TIMEOUT) - SECOND)

    report = purge_messages(runtime.uow_factory, now, settings)

    assert report.deleted["long_mos"] == 2 and report.deleted["ussd_dialogues"] == 1
    mos, dialogues, parts = remaining(runtime)
    assert mos == {"finished-recently", "open-stale"}
    assert parts == 2  # the parts of those that went, went with them
    assert dialogues == {"13800138001"}
    # Nothing more to do: a second run deletes nothing.
    again = purge_messages(runtime.uow_factory, now, settings)
    assert again.deleted["long_mos"] == 0 and again.deleted["ussd_dialogues"] == 0
