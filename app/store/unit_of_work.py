"""The unit of work: one transaction, committed only when asked."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from app.domain.subscriber import Month
from app.store.activations import ActivationRepository
from app.store.catalog import CatalogRepository
from app.store.catalog_revisions import CatalogRevisionRepository
from app.store.link_status import LinkStatusRepository
from app.store.messages import InboundKey, MessageRepository
from app.store.notices import NoticeRepository
from app.store.outbox import OutboxRepository
from app.store.prompts import PromptRepository
from app.store.receipts import ReceiptRepository
from app.store.reports import ReportQueries
from app.store.subscribers import SubscriberRepository
from app.store.worklists import WorklistQueries


class UnitOfWork:
    """`with uow:` opens a session; leaving without `commit()` rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        session = self._session_factory()
        self.session = session
        self.subscribers = SubscriberRepository(session)
        self.activations = ActivationRepository(session, self.flush)
        self.messages = MessageRepository(session)
        self.catalog = CatalogRepository(session)
        self.catalog_revisions = CatalogRevisionRepository(session)
        self.prompts = PromptRepository(session)
        self.notices = NoticeRepository(session)
        self.outbox = OutboxRepository(session)
        self.receipts = ReceiptRepository(session)
        self.reports = ReportQueries(session)
        self.worklists = WorklistQueries(session)
        self.link_status = LinkStatusRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def prefetch(
        self, keys: Sequence[InboundKey], msisdns: Sequence[str], usage_from: Month
    ) -> None:
        """Read what a batch of MOs needs in a fixed number of statements (DESIGN.md,
        "Batches, not messages"): whether their message ids were seen, their
        numbers' subscribers, usage from `usage_from`, activations and open prompts.
        The repositories then answer for those from memory, and write what the
        batch adds with its flush and commit."""
        self.messages.prefetch(keys)
        subscriber_ids = self.subscribers.prefetch(msisdns, usage_from)
        self.activations.prefetch(subscriber_ids)
        self.prompts.prefetch(msisdns)

    def flush(self) -> None:
        """Write what is pending: the batch's MOs and replies first (rows the ORM's
        may refer to), then the session's."""
        assert self.session is not None
        self.messages.write_deferred()
        self.session.flush()

    def commit(self) -> None:
        assert self.session is not None
        self.messages.write_deferred()
        self.prompts.write_deferred()
        self.notices.write_deferred()
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
