"""State enums reach the database as their lowercase values, and rows written as
plain text read back equal to the members, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import text

from app.domain.states import ActivationState, PromptKind, ReplyState
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.outbox_rows import outbox_row
from app.store.models import ActivationRow, OutboundMessageRow
from tests.scheduled.helpers import add_activation


def _stored(runtime: Runtime, query: str) -> list[str]:
    with runtime.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(query))]


def test_members_are_written_as_their_values(runtime: Runtime, add_subscriber: Callable) -> None:
    sid = add_subscriber("13800138000")
    activation_id = add_activation(runtime, sid, date(2027, 8, 31))
    now = utc_now()
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(ActivationRow, activation_id)
        assert row is not None
        row.state = ActivationState.KEPT  # the member itself, through the ORM
        uow.session.add(outbox_row("13800138000", "10086", "hello", "smpp"))
        uow.prompts.put("13800138000", PromptKind.CONFIRM_ORDER, {}, now + timedelta(1), now)
        uow.commit()
    with runtime.uow_factory() as uow:
        (queued,) = [r.id for r in uow.outbox.due("smpp", now + timedelta(1), 10)]
        uow.outbox.mark_sent([(queued, "m1")], now)  # a Core executemany
        uow.commit()
    assert _stored(runtime, "SELECT state FROM activations") == ["kept"]
    assert _stored(runtime, "SELECT state FROM outbound_messages") == ["sent"]
    assert _stored(runtime, "SELECT kind FROM pending_prompts") == ["confirm_order"]


def test_rows_written_as_text_read_back_as_members(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_activation(runtime, add_subscriber("13800138000"), date(2027, 8, 31))
    with runtime.engine.begin() as connection:
        connection.execute(text("UPDATE activations SET state = 'lapsed'"))
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (row,) = uow.session.query(ActivationRow).all()
        assert row.state == ActivationState.LAPSED
        assert ActivationState(row.state) is ActivationState.LAPSED
        uow.session.add(outbox_row("13800138000", "10086", "hi", "smpp", carried=True))
        uow.commit()
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        (message,) = uow.session.query(OutboundMessageRow).all()
        assert message.state == ReplyState.SENT
