"""Long-MO parts in the database, added a gateway batch at a time.

`add_parts` takes every part of a deliver_sm (or DELIVER) batch in four
statements, whatever the batch holds: upsert the long MOs' rows (the upsert
locks each one, so a second process adding a part of the same MO waits for
this transaction and then sees its part), insert the parts, read every part
of those MOs, mark the ones now complete finished. Rows are taken in
reference order, so two batches lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.store.link_rows import LongMoPartRow, LongMoRow
from app.store.models import table_of
from app.store.upsert import insert_new


@dataclass(frozen=True, slots=True)
class ArrivedPart:
    reference: str  # channel|source|destination|concatenation reference|total
    link: str
    source: str
    destination: str
    total: int
    number: int
    data_coding: int
    payload: bytes
    gateway_id: str | None = None


@dataclass
class LongMo:
    """A long MO as stored: its first part's link and coding, the parts in so far."""

    id: int
    reference: str
    first_seen: datetime
    link: str
    source: str
    destination: str
    total: int
    data_coding: int
    finished: bool
    parts: dict[int, bytes] = field(default_factory=dict)
    gateway_ids: dict[int, str | None] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return len(self.parts) >= self.total

    @property
    def payload(self) -> bytes:
        return b"".join(self.parts[n] for n in sorted(self.parts))


_HEAD = (
    LongMoRow.id, LongMoRow.reference, LongMoRow.first_seen, LongMoRow.link, LongMoRow.source,
    LongMoRow.destination, LongMoRow.total, LongMoRow.data_coding, LongMoRow.finished_at,
)  # fmt: skip


class LongMoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_parts(self, parts: Sequence[ArrivedPart], now: datetime) -> dict[str, LongMo]:
        """Store `parts`; each long MO they belong to, by reference, with every part
        stored so far. One that these parts complete is marked finished here: only
        the caller that gets `finished=False, complete` joins it."""
        if not parts:
            return {}
        firsts: dict[str, ArrivedPart] = {}
        for part in parts:
            firsts.setdefault(part.reference, part)
        rows = [
            dict(
                reference=p.reference,
                link=p.link,
                source=p.source,
                destination=p.destination,
                total=p.total,
                data_coding=p.data_coding,
                first_seen=now,
            )  # fmt: skip
            for _, p in sorted(firsts.items())
        ]
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert: Any = (postgresql.insert if postgres else sqlite.insert)(table_of(LongMoRow))
        insert = insert.values(rows)
        # A no-op update, so the row is locked (and returned) when it exists already.
        locked = insert.on_conflict_do_update(
            index_elements=["reference"], set_={"reference": insert.excluded.reference}
        ).returning(*_HEAD)
        heads = {row.reference: row for row in self.session.execute(locked)}
        insert_new(
            self.session,
            table_of(LongMoPartRow),
            [
                dict(
                    long_mo_id=heads[p.reference].id,
                    part_no=p.number,
                    payload=p.payload,
                    gateway_id=p.gateway_id,
                )  # fmt: skip
                for p in parts
                if heads[p.reference].finished_at is None  # a late part of one given up on
            ],
            ["long_mo_id", "part_no"],
        )
        by_id = {row.id: _long_mo(row) for row in heads.values()}
        self._read_parts(by_id)
        done = [m.id for m in by_id.values() if m.complete and not m.finished]
        if done:
            self.session.execute(
                update(LongMoRow).where(LongMoRow.id.in_(done)).values(finished_at=now)
            )
        return {reference: by_id[row.id] for reference, row in heads.items()}

    def stale(self, channel: str, first_seen_before: datetime) -> list[LongMo]:
        """Long MOs of `channel` still open whose first part came before the instant given."""
        heads = self.session.execute(
            select(*_HEAD)
            .where(LongMoRow.finished_at.is_(None), LongMoRow.first_seen < first_seen_before)
            .where(LongMoRow.reference.startswith(f"{channel}|", autoescape=True))
            .order_by(LongMoRow.id)
        ).all()
        by_id = {row.id: _long_mo(row) for row in heads}
        self._read_parts(by_id)
        return list(by_id.values())

    def finish(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            self.session.execute(
                update(LongMoRow)
                .where(LongMoRow.id.in_(list(ids)), LongMoRow.finished_at.is_(None))
                .values(finished_at=now)
            )

    def forget(self, finished_before: datetime, opened_before: datetime | None = None) -> int:
        """Delete the long MOs finished before `finished_before` (a part delivered
        again after that is a new message), and those never finished whose first
        part came before `opened_before`; how many went."""
        gone = LongMoRow.finished_at < finished_before
        if opened_before is not None:
            gone = or_(gone, and_(LongMoRow.finished_at.is_(None),
                                  LongMoRow.first_seen < opened_before))  # fmt: skip
        ids = list(self.session.scalars(select(LongMoRow.id).where(gone)))
        if not ids:
            return 0
        self.session.execute(delete(LongMoPartRow).where(LongMoPartRow.long_mo_id.in_(ids)))
        result: Any = self.session.execute(delete(LongMoRow).where(LongMoRow.id.in_(ids)))
        return int(result.rowcount or 0)

    def _read_parts(self, by_id: dict[int, LongMo]) -> None:
        if not by_id:
            return
        stored = self.session.execute(
            select(
                LongMoPartRow.long_mo_id, LongMoPartRow.part_no,
                LongMoPartRow.payload, LongMoPartRow.gateway_id,
            ).where(LongMoPartRow.long_mo_id.in_(sorted(by_id)))
        )  # fmt: skip
        for long_mo_id, number, payload, gateway_id in stored:
            by_id[long_mo_id].parts[number] = bytes(payload)
            by_id[long_mo_id].gateway_ids[number] = gateway_id


def _long_mo(row: Any) -> LongMo:
    return LongMo(
        row.id, row.reference, row.first_seen, row.link, row.source, row.destination, row.total, row.data_coding,
        finished=row.finished_at is not None,
    )  # fmt: skip
