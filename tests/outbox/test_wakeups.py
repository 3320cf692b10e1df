"""Replies queued in one process wake the senders of every process at once
(migration 0013, app/store/outbox_wakeups.py); PostgreSQL's case: on SQLite one
process writes and its gateways wake their sender directly."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.gateways.sending import ReplySender
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.outbox import claim_replies
from app.store.database import make_session_factory
from app.store.outbox_wakeups import outbox_wakeups
from app.store.unit_of_work import UnitOfWork
from tests.support.outbox import outbound_row
from tests.support.polling import eventually


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[Engine]:
    """A second engine on the same database: a process of its own (one listener per
    engine)."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite one process writes and wakes its own sender")
    engine = create_engine(runtime.engine.url)
    yield engine
    engine.dispose()


def queue(engine: Engine, channel: str, claimed_by: str | None = None) -> None:
    now = utc_now()
    with UnitOfWork(make_session_factory(engine)) as uow:
        assert uow.session is not None
        row = outbound_row("13800138000", "hello", now, due=now, channel=channel)
        row.claimed_by = claimed_by
        uow.session.add(row)
        uow.commit()


def test_the_trigger_announces_unclaimed_replies_only(
    runtime: Runtime, other_process: Engine
) -> None:
    dsn = runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN smshall_outbox")
        queue(other_process, "smpp", claimed_by="node-1:42")  # claimed as written
        queue(other_process, "http_response")  # answered in the HTTP response
        assert [n.payload for n in listener.notifies(timeout=0.5)] == []
        queue(other_process, "kannel")
        assert [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)] == ["kannel"]


class CountingSender(ReplySender):
    """Claims what is due; its poll is a minute, so only a wake-up makes it look."""

    channel = "smpp"

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings.model_copy(update={"outbox_poll_interval": 60.0})
        super().__init__(runtime.uow_factory, settings)
        self.claimed: list[int] = []
        self.looked = threading.Event()

    def claim_and_send(self) -> int:
        self.looked.set()
        batch = claim_replies(self.uow_factory, self.channel, "here", limit=10, lease=60)
        self.claimed.extend(r.id for r in batch)
        return len(batch)


def test_a_reply_queued_by_another_process_is_claimed_at_once(
    runtime: Runtime, other_process: Engine
) -> None:
    sender = CountingSender(runtime)
    sender.start()
    try:
        eventually(lambda: outbox_wakeups(runtime.engine).listening, "the listener")
        eventually(sender.looked.is_set, "the sender's first look")
        eventually(lambda: sender.claimed == [] and not sender._wake.is_set(), "an idle sender")
        queue(other_process, "smpp")
        eventually(lambda: len(sender.claimed) == 1, "the wake-up", timeout=10)
    finally:
        sender.stop()
