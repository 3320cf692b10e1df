"""Fixtures: every database test runs on each selected backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text

from app.cli import migrate
from app.main import create_app
from app.runtime import Runtime
from app.services.catalog_load import load_catalog
from app.services.clock import start_clock_at
from app.settings import Settings
from app.store.catalog_changes import catalog_changes
from app.store.database import make_engine, make_session_factory
from app.store.models import Base, MonthlyUsageRow, SubscriberRow
from app.store.unit_of_work import UnitOfWork
from tests.databases import selected_backends, throwaway_database

GATEWAY_TOKEN = "test-gateway-token"
ADMIN_TOKEN = "test-admin-token"


#: The service clock of the whole suite: Monday 23 November 2026, 10:00 in Shanghai,
#: inside the shipped catalog's windows. It runs on from there at the machine's pace,
#: so the suite answers alike on any day it is run (leases and timeouts still pass).
SERVICE_CLOCK_START = "2026-11-23T10:00:00+08:00"


@pytest.fixture(scope="session", autouse=True)
def service_clock() -> Iterator[None]:
    """The service clock set for this process and for the services it starts."""
    start_clock_at(datetime.fromisoformat(SERVICE_CLOCK_START))
    os.environ["SMSHALL_CLOCK_START"] = SERVICE_CLOCK_START
    yield
    start_clock_at(None)
    os.environ.pop("SMSHALL_CLOCK_START", None)


@pytest.fixture(scope="session", params=selected_backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database with every migration applied, for this test session."""
    with throwaway_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        migrate(Settings(database_url=url))
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    # The next test starts on an empty catalog now, not once the NOTIFY has arrived.
    catalog_changes(engine).changed()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        gateway_token=SecretStr(GATEWAY_TOKEN),
        admin_token=SecretStr(ADMIN_TOKEN),
        # The suite replays fixed days of the shipped catalog's window, whatever today is.
        received_at_max_age_days=3650,
        # Tests send many MOs from one number; tests/hostile/test_flood.py sets a limit.
        mo_per_minute=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def runtime(engine: Engine, settings: Settings) -> Iterator[Runtime]:
    """A runtime on the session's database, emptied after each test."""
    yield Runtime(settings, engine, make_session_factory(engine))
    _empty_tables(engine)


@pytest.fixture
def uow_factory(runtime: Runtime) -> Callable[[], UnitOfWork]:
    return runtime.uow_factory


@pytest.fixture
def catalog(runtime: Runtime) -> None:
    """The shipped catalog (IWJZS; photo window 2026-01..2026-06)."""
    load_catalog(runtime.uow_factory)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


SUBSCRIBER_DEFAULTS: dict[str, Any] = dict(
    brand="gotone",
    status="active",
    opened_on=date(2015, 3, 12),
    balance_fen=8650,
    name="王建国",
    birthday=date(1980, 6, 18),
    mailing_address="北京市海淀区中关村大街1号",
    vip_type="individual",
    vip_level="gold",
    vip_source="spend",
    vip_card_no="GT0001",
    vip_valid_from=date(2026, 2, 1),
    vip_valid_to=date(2027, 1, 31),
    contact_method="sms",
    alert=False,
)


@pytest.fixture
def add_subscriber(runtime: Runtime) -> Callable[..., int]:
    """Insert a subscriber (a GoTone gold card holder since 2015 unless told
    otherwise) with optional usage `{"2026-01": (spend_fen, mou), ...}`."""
    from app.services.clock import utc_now

    def add(msisdn: str, usage: dict[str, tuple[int, int]] | None = None, **fields: Any) -> int:
        values = {**SUBSCRIBER_DEFAULTS, **fields}
        with runtime.uow_factory() as uow:
            assert uow.session is not None
            row = SubscriberRow(msisdn=msisdn, updated_at=utc_now(), **values)
            uow.session.add(row)
            uow.session.flush()
            for month, (spend, mou) in (usage or {}).items():
                year, mon = (int(p) for p in month.split("-"))
                uow.session.add(
                    MonthlyUsageRow(
                        subscriber_id=row.id, month=date(year, mon, 1), spend_fen=spend, mou=mou
                    )
                )
            uow.commit()
            return row.id

    return add


def auth(token: str = GATEWAY_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
