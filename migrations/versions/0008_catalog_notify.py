"""PostgreSQL announces every change to the catalog tables (campaigns, catalog
settings) on the channel `smshall_catalog`, however it is made: the admin API, a
catalog load, psql, a TRUNCATE. Service processes keep the catalog in memory and
read it again when told (app/store/catalog_changes.py). SQLite has one writing
process, which counts its own changes.

Revision ID: 0008_catalog_notify
Revises: 0007_mo_digests
Create Date: 2026-12-05 11:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_catalog_notify"
down_revision: str | None = "0007_mo_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("campaigns", "catalog_settings")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_notify is transactional: delivered when the writing transaction commits,
    # never if it rolls back; one per statement is plenty.
    op.execute(
        """
        CREATE FUNCTION smshall_catalog_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('smshall_catalog', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION smshall_catalog_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS smshall_catalog_changed()")
