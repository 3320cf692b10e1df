"""Throwaway databases for the suite: a SQLite file, or a PostgreSQL database
created for this run and dropped after it (the server is shared)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get(
    "SMSHALL_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def selected_backends() -> list[str]:
    """`SMSHALL_TEST_DATABASES=sqlite` runs one backend; the default is both."""
    chosen = os.environ.get("SMSHALL_TEST_DATABASES", ",".join(BACKENDS))
    names = [name.strip() for name in chosen.split(",") if name.strip()]
    unknown = set(names) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown test database backend(s): {', '.join(sorted(unknown))}")
    return names


@contextmanager
def throwaway_database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'smshall-test.db'}"
        return
    name = f"smshall_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(PG_ADMIN_URL)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
