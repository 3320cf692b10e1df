"""Campaign kinds on activations, subscriber flags, pending prompts, notices, tenure credits.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:32:35.019568
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_prompts")),
        sa.UniqueConstraint("msisdn", name=op.f("uq_pending_prompts_msisdn")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("outbound_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_notices_outbound_message_id_outbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint(
            "msisdn", "kind", "subject", name=op.f("uq_notices_msisdn_kind_subject")
        ),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_local_day"), ["local_day"], unique=False)

    op.create_table(
        "tenure_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activation_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["activations.id"],
            name=op.f("fk_tenure_credits_activation_id_activations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenure_credits")),
        sa.UniqueConstraint(
            "activation_id", "month", name=op.f("uq_tenure_credits_activation_id_month")
        ),
    )
    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind", sa.String(length=32), server_default="free_experience", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("service_code", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("details", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
    # Activations before this revision were all IWJZS-style free experiences.
    op.execute("UPDATE activations SET service_code = campaign_code")

    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plan_fee_fen", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("guaranteed_spend_fen", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("bundle_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("cmmb_handset", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("mobile_payment", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("opted_out", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("opted_out")
        batch_op.drop_column("mobile_payment")
        batch_op.drop_column("cmmb_handset")
        batch_op.drop_column("bundle_ends_on")
        batch_op.drop_column("guaranteed_spend_fen")
        batch_op.drop_column("plan_fee_fen")

    with op.batch_alter_table("activations", schema=None) as batch_op:
        batch_op.drop_column("ended_on")
        batch_op.drop_column("details")
        batch_op.drop_column("service_code")
        batch_op.drop_column("kind")

    op.drop_table("tenure_credits")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_local_day"))

    op.drop_table("notices")
    op.drop_table("pending_prompts")
