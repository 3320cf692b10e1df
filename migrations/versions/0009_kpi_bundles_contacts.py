"""What the operator's KPI reports and account-manager worklists read (DOMAIN.md
§8, §9): each subscriber's sticky-service bundles (kind, valid from, valid to),
the days the account manager last contacted and last visited the subscriber, and
the indexes the monthly reports and the per-manager lists need at ten million
subscribers.

Revision ID: 0009_kpi_bundles_contacts
Revises: 0008_catalog_notify
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_kpi_bundles_contacts"
down_revision: str | None = "0008_catalog_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriber_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_subscriber_bundles_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_bundles")),
        sa.UniqueConstraint(
            "subscriber_id",
            "kind",
            "valid_from",
            name=op.f("uq_subscriber_bundles_subscriber_id_kind_valid_from"),
        ),
    )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_contacted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_visited_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_subscribers_account_manager"), ["account_manager"])
    with op.batch_alter_table("monthly_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_usage_month"), ["month"])


def downgrade() -> None:
    with op.batch_alter_table("monthly_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthly_usage_month"))
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscribers_account_manager"))
        batch_op.drop_column("last_visited_on")
        batch_op.drop_column("last_contacted_on")
    op.drop_table("subscriber_bundles")
