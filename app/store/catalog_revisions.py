"""Queries on catalog revisions: the history of each campaign and of the photo window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.store.models import CatalogRevisionRow

#: The `pg_advisory_xact_lock` key of catalog writers: "smshcat" in ASCII.
_CATALOG_LOCK = 0x736D_7368_6361_74


class CatalogRevisionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self) -> None:
        """Serialise catalog writers on PostgreSQL until the transaction ends, so
        checks (keywords, edits since the last load, an empty store to seed)
        and revision numbers hold when two run at once; it works on an empty
        store too, unlike a row lock. SQLite writers are serialised by the file."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CATALOG_LOCK})

    def add(
        self,
        subject: str,
        action: str,
        actor: str,
        previous: dict[str, Any] | None,
        body: dict[str, Any],
        at: datetime,
        restored: int | None = None,
    ) -> CatalogRevisionRow:
        latest = self.session.scalar(
            select(func.max(CatalogRevisionRow.number)).where(CatalogRevisionRow.subject == subject)
        )
        row = CatalogRevisionRow(
            subject=subject, number=(latest or 0) + 1, action=action, actor=actor,
            previous=previous, body=body, restored=restored, created_at=at,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row

    def history(self, subject: str) -> list[CatalogRevisionRow]:
        """Newest first."""
        query = (
            select(CatalogRevisionRow)
            .where(CatalogRevisionRow.subject == subject)
            .order_by(CatalogRevisionRow.number.desc())
        )
        return list(self.session.scalars(query))

    def revision(self, subject: str, number: int) -> CatalogRevisionRow | None:
        return self.session.scalar(
            select(CatalogRevisionRow).where(
                CatalogRevisionRow.subject == subject, CatalogRevisionRow.number == number
            )
        )

    def latest_bodies_by(self, actor: str) -> dict[str, dict[str, Any]]:
        """Per subject, the body of the newest revision `actor` made (one query)."""
        newest = (
            select(func.max(CatalogRevisionRow.number).label("number"), CatalogRevisionRow.subject)
            .where(CatalogRevisionRow.actor == actor)
            .group_by(CatalogRevisionRow.subject)
            .subquery()
        )
        query = select(CatalogRevisionRow.subject, CatalogRevisionRow.body).join(
            newest,
            (CatalogRevisionRow.subject == newest.c.subject)
            & (CatalogRevisionRow.number == newest.c.number),
        )
        return {subject: body for subject, body in self.session.execute(query)}
