"""Every process's SMPP binds and CMPP links in one table: each process with links
writes their state every few seconds, so the console and the admin API of any
process show the links of all of them.

Revision ID: 0015_link_status
Revises: 0014_receipts_received_at
Create Date: 2026-12-05 18:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_link_status"
down_revision: str | None = "0014_receipts_received_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_status",
        sa.Column("process", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process", "channel", "name", name=op.f("pk_link_status")),
    )


def downgrade() -> None:
    op.drop_table("link_status")
