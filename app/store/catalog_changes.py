"""Knowing, without a query, whether the stored catalog changed since it was read.

Every message batch needs the catalog (campaigns and the photo window). Reading
it costs two round trips per batch; instead each process keeps a snapshot and
a *generation* per database that moves whenever a transaction that wrote a
campaign or a catalog setting commits:

* in this process, at once (`after_commit` of a session that wrote one);
* in every process on PostgreSQL, by `NOTIFY smshall_catalog`, which triggers on
  the catalog tables send for any change however made, psql and TRUNCATE
  included (migration 0008), delivered when it commits, and received by a
  listener thread holding a connection of its own.

While that listener is not connected (starting, or after losing its
connection, when a change may have been missed) the generation is unknown and
readers fall back to reading the catalog from the database each time.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.store.models import CampaignRow, CatalogSettingRow
from app.store.notifications import Listener, PerEngine

CHANNEL = "smshall_catalog"
_CATALOG_ROWS = (CampaignRow, CatalogSettingRow)


class CatalogChanges:
    """The catalog's generation in one database, as this process knows it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._generation = 0
        #: On SQLite this process is the only writer: its own commits are all there is.
        self._listening = engine.dialect.name != "postgresql"
        self._listener: Listener | None = None

    def generation(self) -> int | None:
        """The current generation, or None while a change could go unnoticed."""
        self._start_listener()
        with self._lock:
            return self._generation if self._listening else None

    def changed(self) -> None:
        with self._lock:
            self._generation += 1

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()

    def _start_listener(self) -> None:
        if self._engine.dialect.name != "postgresql" or self._listener is not None:
            return
        with self._lock:
            if self._listener is None:
                self._listener = Listener(
                    self._engine, CHANNEL, lambda _: self.changed(), self._listening_again,
                    self._lost,
                )  # fmt: skip
                self._listener.start()

    def _listening_again(self) -> None:
        with self._lock:  # anything may have changed while nobody listened
            self._generation += 1
            self._listening = True

    def _lost(self) -> None:
        with self._lock:
            self._listening = False


#: The process's watch on an engine's database (one per engine).
catalog_changes = PerEngine(CatalogChanges)


def track_catalog_writes(factory: sessionmaker[Session]) -> None:
    """Sessions of `factory` count the catalog changes they commit in this process at
    once, not waiting for the NOTIFY (see module)."""

    @event.listens_for(factory, "after_flush")
    def _flushed(session: Session, context: Any) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if session.info.get("catalog_changed") or not any(
            isinstance(row, _CATALOG_ROWS) for row in touched
        ):
            return
        session.info["catalog_changed"] = True

    @event.listens_for(factory, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop("catalog_changed", False):
            catalog_changes(session.get_bind()).changed()  # type: ignore[arg-type]

    @event.listens_for(factory, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("catalog_changed", None)
