"""The inbound log and the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.models import InboundMessageRow, OutboundMessageRow


class DuplicateInbound(Exception):
    """The gateway sent a message id that is already recorded."""


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_inbound(self, gateway: str, gateway_message_id: str) -> InboundMessageRow | None:
        return self.session.scalar(
            select(InboundMessageRow)
            .where(InboundMessageRow.gateway == gateway)
            .where(InboundMessageRow.gateway_message_id == gateway_message_id)
        )

    def record_inbound(self, row: InboundMessageRow) -> InboundMessageRow:
        """Insert the MO; raise `DuplicateInbound` if a concurrent copy got in first.

        After that error the transaction is unusable on PostgreSQL: the caller
        rolls back and reads the first copy's answer in a new one.
        """
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            raise DuplicateInbound(row.gateway_message_id) from error
        return row

    def add_outbound(self, row: OutboundMessageRow) -> OutboundMessageRow:
        self.session.add(row)
        return row

    def replies_to(self, inbound_id: int) -> list[OutboundMessageRow]:
        return list(
            self.session.scalars(
                select(OutboundMessageRow)
                .where(OutboundMessageRow.inbound_message_id == inbound_id)
                .order_by(OutboundMessageRow.id)
            )
        )
