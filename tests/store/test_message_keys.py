"""Migration 0006: a store holding messages at 0005 reaches 64-bit keys with its rows,
its id sequences and its references intact, and goes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from app.store.database import make_engine, make_session_factory
from app.store.models import InboundMessageRow, OutboundMessageRow
from app.store.row_ids import take_ids
from tests.databases import selected_backends, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
BEFORE, AFTER = "0005_notice_drops", "0006_message_keys"
#: The columns 0006 widens, by table.
WIDENED = {
    "inbound_messages": ("id",),
    "outbound_messages": ("id", "inbound_message_id"),
    "outbound_parts": ("id", "outbound_message_id"),
    "pending_receipts": ("id",),
    "notices": ("id", "outbound_message_id"),
    "activations": ("inbound_message_id",),
    "pending_prompts": ("id",),
}
NOW = "'2026-11-23 02:00:00+00:00'"
ABOVE_32_BITS = 2**31 + 7


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@pytest.fixture(params=selected_backends())
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A store at 0005 holding an MO, its two-part reply, a notice, an order and an
    early receipt, every id taken from its sequence."""
    with throwaway_database(request.param, tmp_path) as url:
        command.upgrade(_config(url), BEFORE)
        engine = make_engine(url)
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen,"
                " contact_method, alert, updated_at) VALUES ('13800138000', 'gotone', 'active',"
                f" '2015-03-12', 0, 'sms', false, {NOW})",
                "INSERT INTO inbound_messages (gateway, gateway_message_id, msisdn, short_code,"
                f" text, received_at, outcome) VALUES ('json', 'm-1', '13800138000', '10086',"
                f" 'IWJZS 2', {NOW}, 'activated')",
                "INSERT INTO inbound_messages (gateway, gateway_message_id, msisdn, short_code,"
                f" text, received_at) VALUES ('json', 'm-2', '13800138000', '10086', 'CXYE', {NOW})",
                "INSERT INTO outbound_messages (inbound_message_id, msisdn, sender, text, channel,"
                " state, attempts, created_at, updated_at) SELECT id, '13800138000', '10086',"
                f" 'ok', 'smpp', 'sent', 1, {NOW}, {NOW} FROM inbound_messages ORDER BY id",
                "INSERT INTO outbound_parts (outbound_message_id, part_no, gateway,"
                " gateway_message_id, state, submitted_at, updated_at) SELECT id, n, 'smsc',"
                f" 'ab' || id || n, 'sent', {NOW}, {NOW} FROM outbound_messages,"
                " (SELECT 1 AS n UNION ALL SELECT 2) AS parts",
                "INSERT INTO pending_receipts (gateway_message_id, stat, received_at)"
                f" VALUES ('ff01', 'DELIVRD', {NOW})",
                "INSERT INTO notices (msisdn, kind, subject, local_day, outbound_message_id,"
                " created_at) SELECT '13800138000', 'birthday', '2026', '2026-06-18', max(id),"
                f" {NOW} FROM outbound_messages",
                "INSERT INTO pending_prompts (msisdn, kind, payload, expires_at, created_at)"
                f" VALUES ('13800138000', 'menu', '{{}}', {NOW}, {NOW})",
                "INSERT INTO activations (subscriber_id, campaign_code, exclusivity_key,"
                " package_code, monthly_fee_fen, free_months, activated_on, starts_on, ends_on,"
                " state, inbound_message_id, created_at) SELECT s.id, 'IWJZS', 'IWJZS', '2',"
                " 2600, 9, '2026-11-23', '2026-12-01', '2027-08-31', 'active', min(i.id),"
                f" {NOW} FROM subscribers s, inbound_messages i GROUP BY s.id",
            ):
                connection.execute(text(statement))
        try:
            yield url, engine
        finally:
            engine.dispose()


def _contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    queries = {
        "inbound": "SELECT id, gateway_message_id FROM inbound_messages ORDER BY id",
        "outbound": "SELECT id, inbound_message_id FROM outbound_messages ORDER BY id",
        "parts": "SELECT id, outbound_message_id, part_no FROM outbound_parts ORDER BY id",
        "receipts": "SELECT id, gateway_message_id FROM pending_receipts ORDER BY id",
        "notices": "SELECT id, outbound_message_id FROM notices ORDER BY id",
        "orders": "SELECT id, inbound_message_id FROM activations ORDER BY id",
        "prompts": "SELECT id, msisdn FROM pending_prompts ORDER BY id",
    }
    with engine.connect() as connection:
        return {k: [tuple(r) for r in connection.execute(text(q))] for k, q in queries.items()}


def _types(engine: Engine) -> dict[tuple[str, str], str]:
    inspector = inspect(engine)
    return {
        (table, column["name"]): str(column["type"])
        for table, columns in WIDENED.items()
        for column in inspector.get_columns(table)
        if column["name"] in columns
    }


def _sequence_types(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(
                text(
                    "SELECT data_type FROM information_schema.sequences WHERE sequence_name = :name"
                ),
                {"name": f"{table}_id_seq"},
            )
            for table, columns in WIDENED.items()
            if "id" in columns
        }


def test_upgrade_keeps_rows_and_sequences_and_widens_keys(
    old_store: tuple[str, Engine],
) -> None:
    url, engine = old_store
    before = _contents(engine)
    assert all(before.values()) and len(before["parts"]) == 4
    command.upgrade(_config(url), AFTER)
    assert _contents(engine) == before
    postgres = engine.dialect.name == "postgresql"
    # SQLite's INTEGER PRIMARY KEY is a 64-bit rowid already; it stays INTEGER.
    assert set(_types(engine).values()) == {"BIGINT" if postgres else "INTEGER"}
    if postgres:
        assert set(_sequence_types(engine).values()) == {"bigint"}
    # The id sequence carries on where it stood (block reservations included).
    session = make_session_factory(engine)()
    with session.begin():
        taken = take_ids(session, InboundMessageRow, 3)
    session.close()
    assert taken[0] > max(row[0] for row in before["inbound"])
    assert taken == list(range(taken[0], taken[0] + 3))


def test_ids_above_32_bits(old_store: tuple[str, Engine]) -> None:
    url, engine = old_store
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's rowid was 64-bit before 0006")
    command.upgrade(_config(url), AFTER)
    with engine.begin() as connection:
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('outbound_messages', 'id'), :v)"),
            {"v": ABOVE_32_BITS},
        )
        connection.execute(
            text(
                "INSERT INTO inbound_messages (id, gateway, gateway_message_id, msisdn,"
                f" short_code, text, received_at) VALUES ({ABOVE_32_BITS}, 'json', 'big',"
                f" '13800138000', '10086', 'CXYE', {NOW})"
            )
        )
    session = make_session_factory(engine)()
    with session.begin():
        [reply_id] = take_ids(session, OutboundMessageRow, 1)
        session.execute(
            text(
                "INSERT INTO outbound_messages (id, inbound_message_id, msisdn, sender, text,"
                " channel, state, attempts, created_at, updated_at) VALUES (:id, :mo,"
                f" '13800138000', '10086', 'ok', 'smpp', 'queued', 0, {NOW}, {NOW})"
            ),
            {"id": reply_id, "mo": ABOVE_32_BITS},
        )
        session.execute(
            text(
                "INSERT INTO outbound_parts (outbound_message_id, part_no, gateway,"
                f" gateway_message_id, state, submitted_at, updated_at) VALUES (:id, 1, 'smsc',"
                f" 'big', 'sent', {NOW}, {NOW})"
            ),
            {"id": reply_id},
        )
    session.close()
    assert reply_id == ABOVE_32_BITS + 1
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT inbound_message_id FROM outbound_messages WHERE id = :id"),
            {"id": reply_id},
        )
    assert found == ABOVE_32_BITS


def test_downgrade_returns_to_32_bits(old_store: tuple[str, Engine]) -> None:
    url, engine = old_store
    before = _contents(engine)
    command.upgrade(_config(url), AFTER)
    command.downgrade(_config(url), BEFORE)
    assert _contents(engine) == before
    assert set(_types(engine).values()) == {"INTEGER"}
    if engine.dialect.name == "postgresql":
        assert set(_sequence_types(engine).values()) == {"integer"}
    index_names = {ix["name"] for ix in inspect(engine).get_indexes("activations")}
    assert "ix_activations_kind_state_ends_on" not in index_names
