"""A digest of each SMPP MO's content and when its deliver_sm_resp went out, so a
deliver_sm redelivered to a process that never saw the first copy (it restarted,
or another one took it) is found, and a subscriber's own repeat is not.

Revision ID: 0007_mo_digests
Revises: 0006_message_keys
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_mo_digests"
down_revision: str | None = "0006_message_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mo_digest", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_inbound_messages_mo_digest"), ["mo_digest"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_mo_digest"))
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("mo_digest")
