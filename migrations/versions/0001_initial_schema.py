"""The initial schema: subscribers, usage, catalog, activations, inbound log, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:23:48.173942
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_campaigns_code")),
    )
    op.create_table(
        "catalog_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_catalog_settings")),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("gateway_message_id", sa.String(length=128), nullable=False),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("short_code", sa.String(length=21), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint(
            "gateway",
            "gateway_message_id",
            name=op.f("uq_inbound_messages_gateway_gateway_message_id"),
        ),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_messages_msisdn"), ["msisdn"], unique=False)

    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("mailing_address", sa.String(length=300), nullable=True),
        sa.Column("account_manager", sa.String(length=100), nullable=True),
        sa.Column("vip_type", sa.String(length=16), nullable=True),
        sa.Column("vip_level", sa.String(length=16), nullable=True),
        sa.Column("vip_source", sa.String(length=16), nullable=True),
        sa.Column("vip_card_no", sa.String(length=32), nullable=True),
        sa.Column("vip_valid_from", sa.Date(), nullable=True),
        sa.Column("vip_valid_to", sa.Date(), nullable=True),
        sa.Column("contact_method", sa.String(length=8), nullable=False),
        sa.Column("contact_window", sa.String(length=11), nullable=True),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("msisdn", name=op.f("uq_subscribers_msisdn")),
    )
    op.create_table(
        "activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(length=32), nullable=False),
        sa.Column("exclusivity_key", sa.String(length=64), nullable=False),
        sa.Column("package_code", sa.String(length=16), nullable=False),
        sa.Column("monthly_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("free_months", sa.Integer(), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_activations_inbound_message_id_inbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_activations_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activations")),
        sa.UniqueConstraint(
            "subscriber_id",
            "exclusivity_key",
            name=op.f("uq_activations_subscriber_id_exclusivity_key"),
        ),
    )
    op.create_table(
        "monthly_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("mou", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_monthly_usage_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_usage")),
        sa.UniqueConstraint(
            "subscriber_id", "month", name=op.f("uq_monthly_usage_subscriber_id_month")
        ),
    )
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("sender", sa.String(length=21), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_message_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_outbound_messages_inbound_message_id_inbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_channel_state_next_attempt_at"),
            ["channel", "state", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_gateway_message_id"),
            ["gateway_message_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_inbound_message_id"),
            ["inbound_message_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_outbound_messages_msisdn"), ["msisdn"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_messages_msisdn"))
        batch_op.drop_index(batch_op.f("ix_outbound_messages_inbound_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_messages_gateway_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_messages_channel_state_next_attempt_at"))

    op.drop_table("outbound_messages")
    op.drop_table("monthly_usage")
    op.drop_table("activations")
    op.drop_table("subscribers")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_msisdn"))

    op.drop_table("inbound_messages")
    op.drop_table("catalog_settings")
    op.drop_table("campaigns")
