"""A number flooding the short code: answered up to its limit, then one short
notice, then recorded and acknowledged but not answered (app/domain/flood.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.domain.flood import Admission, FloodGuard
from app.runtime import Runtime
from app.services.inbound import InboundMessage, InboundResult, handle_inbound_many
from app.store.models import InboundMessageRow, OutboundMessageRow
from tests.services.messaging import NOV_23, count

pytestmark = pytest.mark.usefixtures("catalog")


def test_a_burst_is_admitted_then_one_notice_then_silence() -> None:
    guard = FloodGuard(per_minute=6, burst=3)  # a token every 10 s
    assert [guard.admit("13800138000", 0.0) for _ in range(3)] == [Admission.ADMITTED] * 3
    assert guard.admit("13800138000", 0.0) is Admission.NOTICE  # the burst + 1st
    assert guard.admit("13800138000", 9.9) is Admission.SILENT  # just short of a token
    assert guard.admit("13800138001", 9.9) is Admission.ADMITTED  # another number
    assert guard.admit("13800138000", 10.0) is Admission.ADMITTED  # a token refilled
    assert guard.admit("13800138000", 10.0) is Admission.NOTICE  # warned afresh


def test_no_limit_admits_everything() -> None:
    guard = FloodGuard(per_minute=0, burst=1)
    assert {guard.admit("13800138000", 0.0) for _ in range(1000)} == {Admission.ADMITTED}


def test_a_flooding_number_gets_one_notice_and_every_mo_is_recorded(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    limited = runtime.with_settings(mo_per_minute=1, mo_burst=3)
    messages = [
        InboundMessage("test", f"f{i}", "13800138000", "10086", "0000", NOV_23) for i in range(6)
    ]
    results = handle_inbound_many(limited.uow_factory, messages, limited.reply_context, "smpp")
    assert all(isinstance(r, InboundResult) for r in results)
    outcomes = [r.outcome for r in results if isinstance(r, InboundResult)]
    assert outcomes == ["service_list"] * 3 + ["rate_limited"] * 3
    replies = [len(r.replies) for r in results if isinstance(r, InboundResult)]
    assert replies == [1, 1, 1, 1, 0, 0]
    assert "频繁" in results[3].replies[0].text  # type: ignore[union-attr]
    # Recorded and acknowledged all the same; a repeated id is answered as before.
    assert count(limited, InboundMessageRow) == 6 and count(limited, OutboundMessageRow) == 4
    [again] = handle_inbound_many(limited.uow_factory, messages[:1], limited.reply_context, "smpp")
    assert isinstance(again, InboundResult) and again.duplicate
    assert again.outcome == "service_list"
    with limited.uow_factory() as uow:
        assert uow.session is not None
        details = uow.session.scalars(
            select(InboundMessageRow.detail).order_by(InboundMessageRow.id)
        ).all()
    assert details[3:] == ["flood:notice", "flood:silent", "flood:silent"]
