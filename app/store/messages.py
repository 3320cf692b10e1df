"""The inbound log and the outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.models import InboundMessageRow, OutboundMessageRow, table_of
from app.store.row_ids import take_ids

InboundKey = tuple[str, str]  # (gateway, gateway message id)


class DuplicateInbound(Exception):
    """The gateway sent a message id that is already recorded."""


class MessageRepository:
    """After `prefetch`, whether a message id was seen is answered from memory, and
    the batch's new MOs and replies are written by `write_deferred`: one INSERT
    per table (a pipelined executemany), past the ORM's unit of work (these two
    tables take a row or two per message; every other write of a batch is rare). A copy another
    transaction recorded meanwhile then fails the whole transaction on the unique
    constraint, and the caller runs the batch again message by message
    (`app/services/inbound.py`), where `record_inbound` raises `DuplicateInbound`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: Prefetched message ids: the row recorded under each, or None.
        self._seen: dict[InboundKey, InboundMessageRow | None] = {}
        self._replies: dict[int, list[OutboundMessageRow]] = {}
        #: Ids taken for the batch's MOs, and the rows waiting for `write_deferred`.
        self._inbound_ids: Iterator[int] = iter(())
        self._new_inbound: list[InboundMessageRow] = []
        self._new_outbound: list[OutboundMessageRow] = []

    @property
    def prefetched(self) -> bool:
        return bool(self._seen)

    def prefetch(self, keys: Sequence[InboundKey]) -> None:
        """Look the message ids up, a statement per gateway, and the replies to those
        found; take ids for the MOs to come (one statement)."""
        self._seen.update(dict.fromkeys(keys))
        ids_by_gateway: dict[str, set[str]] = defaultdict(set)
        for gateway, message_id in keys:
            ids_by_gateway[gateway].add(message_id)
        for gateway, message_ids in ids_by_gateway.items():
            query = (
                select(InboundMessageRow)
                .where(InboundMessageRow.gateway == gateway)
                .where(InboundMessageRow.gateway_message_id.in_(sorted(message_ids)))
            )
            for row in self.session.scalars(query):
                self._seen[(row.gateway, row.gateway_message_id)] = row
        found = [row.id for row in self._seen.values() if row is not None]
        if found:
            self._replies.update({inbound_id: [] for inbound_id in found})
            replies = (
                select(OutboundMessageRow)
                .where(OutboundMessageRow.inbound_message_id.in_(found))
                .order_by(OutboundMessageRow.id)
            )
            for reply in self.session.scalars(replies):
                assert reply.inbound_message_id is not None  # selected by it
                self._replies[reply.inbound_message_id].append(reply)
        new = len(keys) - len(found)
        self._inbound_ids = iter(take_ids(self.session, InboundMessageRow, new))

    def recorded_since(
        self, digests: Collection[str], since: datetime
    ) -> dict[str, tuple[InboundKey, datetime]]:
        """The newest MO not acknowledged, recorded since `since` under each content
        digest, and when it was received (one statement)."""
        columns = _INBOUND.c
        query = (
            select(
                columns.mo_digest, columns.gateway, columns.gateway_message_id, columns.received_at
            )
            .where(columns.mo_digest.in_(sorted(digests)))
            .where(columns.received_at >= since)
            .where(columns.acknowledged_at.is_(None))
            .order_by(columns.id)
        )
        rows = self.session.connection().execute(query)
        return {digest: ((gateway, key), at) for digest, gateway, key, at in rows if digest}

    def mark_acknowledged(self, keys: Collection[tuple[str, str]], at: datetime) -> None:
        """Record that MOs (digest, message id) were acknowledged (one statement)."""
        self.session.connection().execute(
            _ACKNOWLEDGE,
            {
                "digests": sorted({d for d, _ in keys}),
                "keys": sorted({k for _, k in keys}),
                "at": at,
            },
        )

    def find_inbound(self, gateway: str, gateway_message_id: str) -> InboundMessageRow | None:
        key = (gateway, gateway_message_id)
        if key in self._seen:
            return self._seen[key]
        return self.session.scalar(
            select(InboundMessageRow)
            .where(InboundMessageRow.gateway == gateway)
            .where(InboundMessageRow.gateway_message_id == gateway_message_id)
        )

    def record_inbound(self, row: InboundMessageRow) -> InboundMessageRow:
        """Insert the MO; raise `DuplicateInbound` if a concurrent copy got in first.

        After that error the transaction is unusable on PostgreSQL: the caller
        rolls back and reads the first copy's answer in a new one. A prefetched
        id is written by `write_deferred` instead (see the class).
        """
        key = (row.gateway, row.gateway_message_id)
        if key in self._seen:
            row.id = next(self._inbound_ids)
            self._seen[key] = row
            self._new_inbound.append(row)
            return row
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            raise DuplicateInbound(row.gateway_message_id) from error
        return row

    def add_outbound(self, row: OutboundMessageRow) -> OutboundMessageRow:
        if not self.prefetched:
            self.session.add(row)
            return row
        self._new_outbound.append(row)
        if row.inbound_message_id is not None:  # a repeat later in the batch answers with it
            self._replies.setdefault(row.inbound_message_id, []).append(row)
        return row

    def replies_to(self, inbound_id: int) -> list[OutboundMessageRow]:
        if inbound_id in self._replies:
            return list(self._replies[inbound_id])
        return list(
            self.session.scalars(
                select(OutboundMessageRow)
                .where(OutboundMessageRow.inbound_message_id == inbound_id)
                .order_by(OutboundMessageRow.id)
            )
        )

    def write_deferred(self) -> None:
        """Insert the batch's new MOs, then their replies (ids taken in one statement):
        two statements, whatever the batch's size."""
        inbound, outbound = self._new_inbound, self._new_outbound
        self._new_inbound, self._new_outbound = [], []
        # Before anything the session holds (an activation refers to its MO).
        with self.session.no_autoflush:
            connection = self.session.connection()
            if inbound:
                connection.execute(insert(_INBOUND), [_values(_INBOUND, r) for r in inbound])
            if outbound:
                ids = take_ids(self.session, OutboundMessageRow, len(outbound))
                for row, new_id in zip(outbound, ids, strict=True):
                    row.id = new_id
                rows = [_values(_OUTBOUND, r) for r in outbound]
                connection.execute(insert(_OUTBOUND), rows)


_INBOUND = table_of(InboundMessageRow)
_OUTBOUND = table_of(OutboundMessageRow)
#: Built once, run as Core on the connection: none of the ORM's bulk-update bookkeeping.
_ACKNOWLEDGE = (
    update(_INBOUND)
    .where(_INBOUND.c.mo_digest.in_(bindparam("digests", expanding=True)))
    .where(_INBOUND.c.gateway_message_id.in_(bindparam("keys", expanding=True)))
    .values(acknowledged_at=bindparam("at"))
)


def _values(table: Table, row: object) -> dict[str, object]:
    """A new row's columns, as an INSERT of many rows takes them."""
    return {column.key: getattr(row, column.key) for column in table.columns}
