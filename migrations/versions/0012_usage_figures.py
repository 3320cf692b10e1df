"""Each subscriber's usage rows in one index with their figures (spend, MOU): the
monthly KPI report (DOMAIN.md §8) reads every subscriber's months in subscriber
order from the index alone (an index-only scan feeding a streaming aggregate),
never visiting the table, whose rows lie month by month as imported.

On PostgreSQL spend and MOU are INCLUDE columns (not keys); on SQLite the index is
the key columns alone. Building it on a large store takes minutes and blocks
writes to `monthly_usage` meanwhile: run it in a maintenance window.

Revision ID: 0012_usage_figures
Revises: 0011_link_state
Create Date: 2026-12-05 13:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_usage_figures"
down_revision: str | None = "0011_link_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_monthly_usage_subscriber_id_month"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "monthly_usage",
        ["subscriber_id", "month"],
        postgresql_include=["spend_fen", "mou"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="monthly_usage")
