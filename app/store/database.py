"""Engines for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.store.catalog_changes import track_catalog_writes
from app.store.row_ids import number_new_rows


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, the driver this project installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    options.setdefault("hide_parameters", True)  # errors and logs carry no numbers, names or texts
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
        # No ping before each checkout: it is a round trip per transaction on the hot
        # path. A connection the server dropped fails its next statement instead; the
        # pool then discards every connection of that age, and the gateway's batch is
        # asked for again (SMPP ESME_RX_T_APPN, HTTP 5xx), so nothing is lost.
        options.setdefault("pool_recycle", 3600)
        engine = create_engine(url, **options)
        # A batch's new rows of a table go as psycopg's executemany: one prepared
        # statement, the rows pipelined in one round trip. A multi-row INSERT instead
        # is new SQL text for every batch size, too long for psycopg's query cache,
        # and parsing it again cost more CPU per batch of 10 (bench/reply_path.py:
        # 0.69 against 0.51 ms per MO) than the server saves by it.
        engine.dialect.use_insertmanyvalues_wo_returning = False
        return engine

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Every transaction takes SQLite's one write lock (BEGIN IMMEDIATE below), so
        # a second connection in this process could only wait for it, in SQLite's
        # busy handler, which sleeps up to 100 ms between tries. One pooled
        # connection makes threads queue for it in order instead; other processes
        # (a cron `run-scheduled`) still meet the busy timeout.
        options.setdefault("pool_size", 1)
        options.setdefault("max_overflow", 0)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front. A deferred one that
        # read first and writes later cannot wait for another writer (SQLite
        # answers "database is locked" at once), which would turn two racing
        # messages into an error instead of one activation and one
        # already_active.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", number_new_rows)
    track_catalog_writes(factory)
    return factory
