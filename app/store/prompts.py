"""The pending prompt of each number: the one question it may answer next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.store.models import PendingPromptRow, table_of
from app.store.upsert import upsert

_PROMPTS = table_of(PendingPromptRow)
_COLUMNS = ("msisdn", "kind", "payload", "expires_at", "created_at")


class PromptRepository:
    """After `prefetch`, those numbers' prompts are read from memory and what is
    asked or cleared is written by `write_deferred`, one upsert and one delete
    for the whole batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: Prefetched numbers' prompts as they stand in this transaction.
        self._held: dict[str, PendingPromptRow | None] = {}
        #: What to write for them: the new question, or None to clear it.
        self._writes: dict[str, dict[str, Any] | None] = {}

    def prefetch(self, msisdns: Sequence[str]) -> None:
        self._held.update(dict.fromkeys(msisdns))
        query = select(*(_PROMPTS.c[name] for name in _COLUMNS)).where(
            _PROMPTS.c.msisdn.in_(list(set(msisdns)))
        )
        for values in self.session.execute(query).mappings():
            # Detached copies: the table is written with statements, never through the session.
            self._held[values["msisdn"]] = PendingPromptRow(**values)

    def live(self, msisdn: str, now: datetime) -> PendingPromptRow | None:
        """The prompt still open at `now`; an expired one answers nothing."""
        if msisdn in self._held:
            row = self._held[msisdn]
        else:
            row = self.session.scalar(
                select(PendingPromptRow).where(PendingPromptRow.msisdn == msisdn)
            )
        return row if row is not None and row.expires_at > now else None

    def locked(self, msisdn: str, now: datetime) -> PendingPromptRow | None:
        """`live`, read again under the prompt's row lock (PostgreSQL FOR UPDATE;
        a SQLite transaction holds the one write lock already), for a reply that
        consumes the question: of two replies racing for one, the second waits
        for the first to commit and then finds it gone, or replaced. A question
        asked or cleared in this transaction and not written yet is its own: no
        statement then."""
        if msisdn in self._writes:
            row = self._held[msisdn]
        else:
            query = (
                select(*(_PROMPTS.c[name] for name in _COLUMNS))
                .where(_PROMPTS.c.msisdn == msisdn)
                .with_for_update()
            )
            values = self.session.execute(query).mappings().first()
            row = None if values is None else PendingPromptRow(**values)  # detached copy
            if msisdn in self._held:
                self._held[msisdn] = row
        return row if row is not None and row.expires_at > now else None

    def put(
        self, msisdn: str, kind: str, payload: dict[str, Any], expires_at: datetime, now: datetime
    ) -> None:
        """Ask a new question; it replaces whatever was pending for the number."""
        row = {
            "msisdn": msisdn,
            "kind": kind,
            "payload": payload,
            "expires_at": expires_at,
            "created_at": now,
        }
        if msisdn in self._held:
            self._held[msisdn] = PendingPromptRow(**row)
            self._writes[msisdn] = row
            return
        upsert(self.session, _PROMPTS, [row], ["msisdn"])
        # The session may hold the old row from `live`: make it read the new one.
        for held in list(self.session.identity_map.values()):
            if isinstance(held, PendingPromptRow) and held.msisdn == msisdn:
                self.session.expire(held)

    def clear(self, msisdn: str) -> None:
        if msisdn in self._held:
            self._held[msisdn] = None
            self._writes[msisdn] = None
            return
        self.session.execute(delete(PendingPromptRow).where(PendingPromptRow.msisdn == msisdn))

    def write_deferred(self) -> None:
        """Write what prefetched numbers were asked or cleared: two statements at most."""
        asked = [row for row in self._writes.values() if row is not None]
        cleared = [msisdn for msisdn, row in self._writes.items() if row is None]
        self._writes.clear()
        upsert(self.session, _PROMPTS, asked, ["msisdn"])
        if cleared:
            self.session.execute(delete(_PROMPTS).where(_PROMPTS.c.msisdn.in_(cleared)))
