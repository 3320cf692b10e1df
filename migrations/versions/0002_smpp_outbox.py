"""SMPP outbox: claims, per-part message ids and receipts, early receipts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:31:42.121737
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway_message_id", sa.String(length=65), nullable=False),
        sa.Column("stat", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("error", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_receipts")),
    )
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_gateway_message_id"),
            ["gateway_message_id"],
            unique=False,
        )

    op.create_table(
        "outbound_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbound_message_id", sa.Integer(), nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("gateway_message_id", sa.String(length=65), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("receipt_stat", sa.String(length=16), nullable=True),
        sa.Column("receipt_error", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_outbound_parts_outbound_message_id_outbound_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_parts")),
        sa.UniqueConstraint(
            "outbound_message_id",
            "part_no",
            name=op.f("uq_outbound_parts_outbound_message_id_part_no"),
        ),
    )
    with op.batch_alter_table("outbound_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_parts_gateway_message_id"), ["gateway_message_id"], unique=False
        )

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("last_status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("error_kind")
        batch_op.drop_column("last_status")
        batch_op.drop_column("claimed_by")

    with op.batch_alter_table("outbound_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_parts_gateway_message_id"))

    op.drop_table("outbound_parts")
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_receipts_gateway_message_id"))

    op.drop_table("pending_receipts")
