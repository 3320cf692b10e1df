"""The unit of work: one transaction, committed only when asked."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from app.store.activations import ActivationRepository
from app.store.catalog import CatalogRepository
from app.store.catalog_revisions import CatalogRevisionRepository
from app.store.messages import MessageRepository
from app.store.prompts import PromptRepository
from app.store.subscribers import SubscriberRepository


class UnitOfWork:
    """`with uow:` opens a session; leaving without `commit()` rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        session = self._session_factory()
        self.session = session
        self.subscribers = SubscriberRepository(session)
        self.activations = ActivationRepository(session)
        self.messages = MessageRepository(session)
        self.catalog = CatalogRepository(session)
        self.catalog_revisions = CatalogRevisionRepository(session)
        self.prompts = PromptRepository(session)
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

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
