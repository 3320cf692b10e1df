"""64-bit keys for the message tables, and the indexes the retention and the
scheduled jobs need.

- inbound_messages, outbound_messages, outbound_parts, pending_receipts and
  notices take rows per message: their ids, their sequences and every column
  pointing at them become BIGINT on PostgreSQL; so does pending_prompts' id,
  whose sequence every question asked draws from (an upsert takes an id even
  when it updates). SQLite's INTEGER PRIMARY KEY is
  a 64-bit rowid already and stays as it is.
- activations.inbound_message_id is indexed: the retention asks whether an MO
  placed an order, and PostgreSQL checks it for every MO deleted.
- activations (kind, state, ends_on): reminders, lapses and credits read the
  rows due, not every activation.
- subscribers (month, day of birthday): the birthday greeting reads one day's
  subscribers, not the base.

On PostgreSQL the type change rewrites each table under an exclusive lock: on a
large store, run it in a maintenance window. The downgrade fails once an id has
passed 2^31 - 1, as it must.

Revision ID: 0006_message_keys
Revises: 0005_notice_drops
Create Date: 2026-12-05 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_message_keys"
down_revision: str | None = "0005_notice_drops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each table's 64-bit columns: its own id (if it has a sequence) and its references.
WIDENED = {
    "inbound_messages": ("id",),
    "outbound_messages": ("id", "inbound_message_id"),
    "outbound_parts": ("id", "outbound_message_id"),
    "pending_receipts": ("id",),
    "notices": ("id", "outbound_message_id"),
    "activations": ("inbound_message_id",),
    "pending_prompts": ("id",),
}

_BIRTHDAY = sa.column("birthday", sa.Date())


def _retype(type_name: str) -> None:
    """Every widened column, and each table's id sequence, to `type_name` (PostgreSQL)."""
    bind = op.get_bind()
    for table, columns in WIDENED.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {type_name}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
        if "id" in columns:
            sequence = bind.scalar(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
            op.execute(f"ALTER SEQUENCE {sequence} AS {type_name}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _retype("bigint")
    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activations_inbound_message_id"), ["inbound_message_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_activations_kind_state_ends_on"), ["kind", "state", "ends_on"]
        )
    op.create_index(
        "ix_subscribers_birth_month_day",
        "subscribers",
        [sa.extract("month", _BIRTHDAY), sa.extract("day", _BIRTHDAY)],
    )


def downgrade() -> None:
    op.drop_index("ix_subscribers_birth_month_day", table_name="subscribers")
    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activations_kind_state_ends_on"))
        batch_op.drop_index(batch_op.f("ix_activations_inbound_message_id"))
    if op.get_bind().dialect.name == "postgresql":
        _retype("integer")
