"""Held notices checked again when they leave: a drop reason on the outbox, and on
each notice the service it speaks of and when it stops applying.

Revision ID: 0005_notice_drops
Revises: 0004_catalog_revisions
Create Date: 2026-12-02 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_notice_drops"
down_revision: str | None = "0004_catalog_revisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drop_reason", sa.String(length=32), nullable=True))

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_activation_id_activations"),
            "activations",
            ["activation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_notices_activation_id"), ["activation_id"])
        batch_op.create_index(batch_op.f("ix_notices_outbound_message_id"), ["outbound_message_id"])
    # Reminders and lapse notices name their service by id in `subject`. Credits
    # (`id:month`) are linked from this revision on: their check needs no service.
    # Notices already queued keep no `valid_until`: the zone they were decided in is
    # configuration, not data; their service's state is still checked.
    op.execute(
        "UPDATE notices SET activation_id = (SELECT a.id FROM activations a"
        " WHERE a.id = CAST(notices.subject AS INTEGER))"
        " WHERE kind IN ('reminder', 'lapse')"
    )


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_outbound_message_id"))
        batch_op.drop_index(batch_op.f("ix_notices_activation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_notices_activation_id_activations"), type_="foreignkey"
        )
        batch_op.drop_column("valid_until")
        batch_op.drop_column("activation_id")

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("drop_reason")
