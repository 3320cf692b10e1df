"""64-bit keys for the tables an import upserts into: subscribers, monthly usage and
bundles (and every column pointing at a subscriber). `INSERT … ON CONFLICT DO
UPDATE` draws an id from the sequence for every row, updates included, so a daily
re-import of 10 M subscribers would use up 32-bit ids in about seven months, and
of their usage sooner. SQLite's rowid is 64-bit already.

The type change rewrites each table under an exclusive lock: on a large store,
run it in a maintenance window.

Revision ID: 0010_import_keys
Revises: 0009_kpi_bundles_contacts
Create Date: 2026-12-05 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_import_keys"
down_revision: str | None = "0009_kpi_bundles_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each table's 64-bit columns: its own id (with a sequence) and its references.
WIDENED = {
    "subscribers": ("id",),
    "monthly_usage": ("id", "subscriber_id"),
    "subscriber_bundles": ("id", "subscriber_id"),
    "activations": ("subscriber_id",),
}


def _retype(type_name: str) -> None:
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _retype("integer")
