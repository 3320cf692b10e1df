"""The catalog is read once per change, not once per batch, and a change made by
this process or another one applies to the next batch (app/store/catalog_changes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.runtime import Runtime
from app.services.inbound import InboundResult, handle_inbound_many
from app.store.catalog_changes import catalog_changes
from app.store.database import make_session_factory
from app.store.unit_of_work import UnitOfWork
from tests.services.messaging import CONTEXT
from tests.services.test_inbound_batches import mo, statements_for
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("catalog")

SUBSCRIBER = "13800138000"


def catalog_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "CAMPAIGNS" in s or "CATALOG_SETTINGS" in s]


def close_iwjzs(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        row = uow.catalog.campaign("IWJZS")
        assert row is not None
        row.closed = True
        uow.commit()


def outcome(runtime: Runtime, message_id: str, text: str) -> str:
    [result] = handle_inbound_many(runtime.uow_factory, [mo(message_id, text)], CONTEXT, "smpp")
    assert isinstance(result, InboundResult)
    return result.outcome


def listening(engine: Engine) -> bool:
    return catalog_changes(engine).generation() is not None


def test_an_unchanged_catalog_is_not_read_again(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    add_subscriber(SUBSCRIBER)
    eventually(lambda: listening(runtime.engine), "the change listener")
    statements_for(runtime, [mo("first", "HELP")])  # reads it once
    assert catalog_reads(statements_for(runtime, [mo("second", "CXYE")])) == []


def test_a_change_in_this_process_applies_to_the_next_batch(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    add_subscriber(SUBSCRIBER)
    assert outcome(runtime, "before", "IWJZS 2") == "activated"
    close_iwjzs(runtime.uow_factory)
    after = statements_for(runtime, [mo("after", "TY")])
    assert catalog_reads(after), "the closed campaign was not read again"


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[Engine]:
    """A second engine on the same database: a process of its own, as far as the
    catalog watch is concerned (one watch per engine)."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite one process writes; other processes are PostgreSQL's case")
    engine = create_engine(runtime.engine.url)
    yield engine
    catalog_changes(engine).stop()
    engine.dispose()


def test_a_change_committed_by_another_process_applies_here(
    runtime: Runtime, add_subscriber: Callable[..., int], other_process: Engine
) -> None:
    add_subscriber(SUBSCRIBER)
    eventually(lambda: listening(runtime.engine), "the change listener")
    watch = catalog_changes(runtime.engine)
    outcome(runtime, "warm", "HELP")  # the snapshot is taken
    seen = watch.generation()
    other = make_session_factory(other_process)
    close_iwjzs(lambda: UnitOfWork(other))
    eventually(lambda: watch.generation() != seen, "the NOTIFY from the other process")
    assert outcome(runtime, "after", "IWJZS 2") != "activated"


def test_a_change_missed_while_the_listener_was_down_is_not_missed(
    runtime: Runtime, add_subscriber: Callable[..., int], other_process: Engine
) -> None:
    add_subscriber(SUBSCRIBER)
    eventually(lambda: listening(runtime.engine), "the change listener")
    outcome(runtime, "warm", "HELP")
    watch = catalog_changes(runtime.engine)
    before = watch.generation()
    database = runtime.engine.url.database
    admin = runtime.engine.url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as pg:
        pg.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND query LIKE 'LISTEN%%'",
            [database],
        )
    # Nobody listens now: this change's NOTIFY reaches no one in this process.
    close_iwjzs(lambda: UnitOfWork(make_session_factory(other_process)))
    # Listening again, the watch cannot know what it missed: the generation moves on.
    eventually(lambda: watch.generation() not in (None, before), "the listener back", timeout=15)
    assert outcome(runtime, "after", "IWJZS 2") != "activated"


def test_a_change_made_outside_the_service_applies_here(
    runtime: Runtime, add_subscriber: Callable[..., int], other_process: Engine
) -> None:
    """psql, a script, a TRUNCATE: the catalog tables' triggers announce it too."""
    add_subscriber(SUBSCRIBER)
    eventually(lambda: listening(runtime.engine), "the change listener")
    watch = catalog_changes(runtime.engine)
    outcome(runtime, "warm", "HELP")
    seen = watch.generation()
    dsn = runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as psql:
        psql.execute("UPDATE campaigns SET closed = true WHERE code = 'IWJZS'")
    eventually(lambda: watch.generation() != seen, "the trigger's NOTIFY")
    assert outcome(runtime, "after", "IWJZS 2") != "activated"
