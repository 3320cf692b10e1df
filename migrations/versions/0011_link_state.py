"""Long-MO parts and USSD-over-SMPP dialogues in the database, so that any number
of service processes, each holding its own binds, can share one PostgreSQL: a
part or a dialogue step may land on any of them.

Revision ID: 0011_link_state
Revises: 0010_import_keys
Create Date: 2026-12-05 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_link_state"
down_revision: str | None = "0010_import_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "long_mos",
        sa.Column("id", WIDE, nullable=False),
        sa.Column("reference", sa.String(length=160), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_long_mos")),
        sa.UniqueConstraint("reference", name=op.f("uq_long_mos_reference")),
    )
    op.create_table(
        "long_mo_parts",
        sa.Column("long_mo_id", WIDE, nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("gateway_id", sa.String(length=65), nullable=True),
        sa.ForeignKeyConstraint(
            ["long_mo_id"],
            ["long_mos.id"],
            name=op.f("fk_long_mo_parts_long_mo_id_long_mos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("long_mo_id", "part_no", name=op.f("pk_long_mo_parts")),
    )
    op.create_table(
        "ussd_dialogues",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("msisdn", sa.String(length=11), nullable=False),
        sa.Column("dialogue_id", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("sequences", sa.JSON(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=True),
        sa.Column("last_text", sa.String(length=182), nullable=True),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ussd_dialogues")),
    )
    op.create_index(op.f("ix_ussd_dialogues_msisdn"), "ussd_dialogues", ["msisdn"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ussd_dialogues_msisdn"), table_name="ussd_dialogues")
    op.drop_table("ussd_dialogues")
    op.drop_table("long_mo_parts")
    op.drop_table("long_mos")
