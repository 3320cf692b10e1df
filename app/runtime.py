"""What a running service holds: settings, the database and the reply context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.domain.flood import ClientBuckets, FloodGuard
from app.services.answers import ReplyContext
from app.services.clock import start_clock_at
from app.settings import Settings
from app.store.database import make_engine, make_session_factory
from app.store.unit_of_work import UnitOfWork


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    #: One per process, so every gateway counts a number's MOs together.
    flood: FloodGuard = field(init=False)
    #: Each HTTP client's request rate (app/gateways/http/client_limit.py).
    clients: ClientBuckets = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.flood = FloodGuard(settings.mo_per_minute, settings.mo_burst)
        self.clients = ClientBuckets(settings.http_per_second, settings.http_burst)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        start = settings.clock_start
        if start is not None:
            start_clock_at(start if start.tzinfo else start.replace(tzinfo=settings.zone))
        engine = make_engine(settings.database_url)
        return cls(settings, engine, make_session_factory(engine))

    def with_settings(self, **changes: object) -> Runtime:
        """The same database with some settings changed (limits, timeouts)."""
        return Runtime(self.settings.model_copy(update=changes), self.engine, self.sessions)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return lambda: UnitOfWork(self.sessions)

    @property
    def reply_context(self) -> ReplyContext:
        settings = self.settings
        return ReplyContext(
            settings.language,
            settings.zone,
            confirm_hours=settings.confirm_hours,
            menu_minutes=settings.menu_minutes,
            cancel_list_hours=settings.cancel_list_hours,
            max_reply_parts=settings.max_reply_parts,
            short_code=settings.short_code,
            flood=self.flood,
        )
