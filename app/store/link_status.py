"""Each process's word on its SMPP binds and CMPP links (`LinkStatusRow`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.store.base import table_of
from app.store.link_rows import LinkStatusRow

_STATUS = table_of(LinkStatusRow)


class LinkStatusRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, process: str, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """What `process` holds now: its earlier rows go, `rows` (channel, name,
        state, view) come in, in two statements; a link it no longer holds is gone."""
        self.forget(process)
        if rows:
            self.session.execute(
                insert(_STATUS), [{**row, "process": process, "reported_at": now} for row in rows]
            )

    def forget(self, process: str) -> None:
        self.session.execute(delete(_STATUS).where(_STATUS.c.process == process))

    def forget_silent(self, since_before: datetime) -> int:
        """Delete the rows of processes silent since before the instant; how many."""
        result: Any = self.session.execute(
            delete(_STATUS).where(_STATUS.c.reported_at < since_before)
        )
        return int(result.rowcount or 0)

    def every(self) -> list[LinkStatusRow]:
        return list(
            self.session.scalars(
                select(LinkStatusRow).order_by(
                    LinkStatusRow.channel, LinkStatusRow.name, LinkStatusRow.process
                )
            )
        )
