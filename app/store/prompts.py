"""The pending prompt of each number: the one question it may answer next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.store.models import PendingPromptRow
from app.store.upsert import upsert


class PromptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live(self, msisdn: str, now: datetime) -> PendingPromptRow | None:
        """The prompt still open at `now`; an expired one answers nothing."""
        row = self.session.scalar(select(PendingPromptRow).where(PendingPromptRow.msisdn == msisdn))
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
        upsert(self.session, PendingPromptRow.__table__, [row], ["msisdn"])
        # The session may hold the old row from `live`: make it read the new one.
        for held in list(self.session.identity_map.values()):
            if isinstance(held, PendingPromptRow) and held.msisdn == msisdn:
                self.session.expire(held)

    def clear(self, msisdn: str) -> None:
        self.session.execute(delete(PendingPromptRow).where(PendingPromptRow.msisdn == msisdn))
