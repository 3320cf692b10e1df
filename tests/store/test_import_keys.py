"""Migration 0010: subscribers, usage and bundles on 64-bit keys, since an import's
upsert draws a sequence value for every row it updates too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from app.store.database import make_engine
from tests.databases import selected_backends, throwaway_database
from tests.store.test_message_keys import ABOVE_32_BITS, _config

BEFORE, AFTER = "0009_kpi_bundles_contacts", "0010_import_keys"
WIDENED = {
    "subscribers": ("id",),
    "monthly_usage": ("id", "subscriber_id"),
    "subscriber_bundles": ("id", "subscriber_id"),
    "activations": ("subscriber_id",),
}


@pytest.fixture
def store_at_0009(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A PostgreSQL store at 0009 holding a subscriber (SQLite's rowid is 64-bit already)."""
    if "postgresql" not in selected_backends():
        pytest.skip("the widening is PostgreSQL's; SQLite's rowid is 64-bit already")
    with throwaway_database("postgresql", tmp_path) as url:
        command.upgrade(_config(url), BEFORE)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen,"
                    " contact_method, alert, plan_fee_fen, guaranteed_spend_fen, cmmb_handset,"
                    " mobile_payment, opted_out, updated_at) VALUES ('13800138000', 'gotone',"
                    " 'active', '2015-03-12', 0, 'sms', false, 0, 0, false, false, false, now())"
                )
            )
        yield url, engine
        engine.dispose()


def _types(engine: Engine) -> dict[tuple[str, str], str]:
    found = {}
    for table, columns in WIDENED.items():
        types = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns(table)}
        found.update({(table, column): types[column] for column in columns})
    return found


def test_upgrade_widens_the_keys_and_keeps_the_rows(store_at_0009: tuple[str, Engine]) -> None:
    url, engine = store_at_0009
    assert set(_types(engine).values()) == {"INTEGER"}
    command.upgrade(_config(url), AFTER)
    assert set(_types(engine).values()) == {"BIGINT"}
    with engine.begin() as connection:
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('subscribers', 'id'), :v)"),
            {"v": ABOVE_32_BITS},
        )
        # An upsert of an existing number still draws from the sequence, past 2^31.
        connection.execute(
            text(
                "INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen,"
                " contact_method, alert, plan_fee_fen, guaranteed_spend_fen, cmmb_handset,"
                " mobile_payment, opted_out, updated_at) VALUES ('13900139000', 'mzone',"
                " 'active', '2020-01-01', 0, 'sms', false, 0, 0, false, false, false, now())"
            )
        )
        big = connection.scalar(text("SELECT id FROM subscribers WHERE msisdn = '13900139000'"))
        connection.execute(
            text(
                "INSERT INTO monthly_usage (subscriber_id, month, spend_fen, mou)"
                " VALUES (:id, '2026-10-01', 15000, 200)"
            ),
            {"id": big},
        )
        kept = connection.scalar(text("SELECT count(*) FROM subscribers"))
    assert big > 2**31
    assert kept == 2


def test_downgrade_returns_to_32_bits(store_at_0009: tuple[str, Engine]) -> None:
    url, engine = store_at_0009
    command.upgrade(_config(url), AFTER)
    command.downgrade(_config(url), BEFORE)
    assert set(_types(engine).values()) == {"INTEGER"}
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM subscribers")) == 1
