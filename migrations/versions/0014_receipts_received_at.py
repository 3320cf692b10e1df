"""An index on pending_receipts.received_at: every sender sweeps, once a second, the
early receipts of the last minutes that met their part in a race
(app/services/receipts.py), however many older receipts for ids never sent here
wait for the retention purge, which reads them by the same column.

Revision ID: 0014_receipts_received_at
Revises: 0013_outbox_notify
Create Date: 2026-12-05 17:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_receipts_received_at"
down_revision: str | None = "0013_outbox_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_receipts_received_at"))
