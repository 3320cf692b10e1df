"""The inbound log and the outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.models import InboundMessageRow, OutboundMessageRow

InboundKey = tuple[str, str]  # (gateway, gateway message id)


class DuplicateInbound(Exception):
    """The gateway sent a message id that is already recorded."""


class MessageRepository:
    """After `prefetch`, whether a message id was seen is answered from memory and
    new MOs are written with the batch's flush: a copy another transaction
    recorded meanwhile then fails the whole transaction on the unique
    constraint, and the caller runs the batch again message by message
    (`app/services/inbound.py`), where `record_inbound` raises `DuplicateInbound`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: Prefetched message ids: the row recorded under each, or None.
        self._seen: dict[InboundKey, InboundMessageRow | None] = {}
        self._replies: dict[int, list[OutboundMessageRow]] = {}

    def prefetch(self, keys: Sequence[InboundKey]) -> None:
        """Look the message ids up, a statement per gateway, and the replies to those found."""
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
            self._replies = {inbound_id: [] for inbound_id in found}
            query = (
                select(OutboundMessageRow)
                .where(OutboundMessageRow.inbound_message_id.in_(found))
                .order_by(OutboundMessageRow.id)
            )
            for reply in self.session.scalars(query):
                self._replies[reply.inbound_message_id].append(reply)  # type: ignore[index]

    def find_inbound(self, gateway: str, gateway_message_id: str) -> InboundMessageRow | None:
        key = (gateway, gateway_message_id)
        if key in self._seen:
            row = self._seen[key]
            if row is not None and row.id is None:
                self.session.flush()  # recorded earlier in this batch: its replies get ids
            return row
        return self.session.scalar(
            select(InboundMessageRow)
            .where(InboundMessageRow.gateway == gateway)
            .where(InboundMessageRow.gateway_message_id == gateway_message_id)
        )

    def record_inbound(self, row: InboundMessageRow) -> InboundMessageRow:
        """Insert the MO; raise `DuplicateInbound` if a concurrent copy got in first.

        After that error the transaction is unusable on PostgreSQL: the caller
        rolls back and reads the first copy's answer in a new one. A prefetched
        id is written with the batch instead (see the class).
        """
        self.session.add(row)
        key = (row.gateway, row.gateway_message_id)
        if key in self._seen:
            self._seen[key] = row
            return row
        try:
            self.session.flush()
        except IntegrityError as error:
            raise DuplicateInbound(row.gateway_message_id) from error
        return row

    def add_outbound(self, row: OutboundMessageRow) -> OutboundMessageRow:
        self.session.add(row)
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
