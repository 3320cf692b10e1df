"""PostgreSQL announces replies queued for any sender on the channel `smshall_outbox`,
the payload naming the reply's channel (`smpp`, `cmpp`, `kannel`), however the row
is written: a message batch whose sender had no room, a scheduled notice, a
process that holds no bind of that channel. Every service process's sender of
that channel wakes and claims at once instead of at its next poll
(app/gateways/sending.py). Rows claimed as they are written (the hot path) or
answered in an HTTP response announce nothing; a notice held for later wakes
the senders for a claim that finds it not yet due.

Revision ID: 0013_outbox_notify
Revises: 0012_usage_figures
Create Date: 2026-12-05 16:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_outbox_notify"
down_revision: str | None = "0012_usage_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_notify is delivered when the writing transaction commits, never if it rolls
    # back, and a payload repeated within a transaction is delivered once.
    op.execute(
        """
        CREATE FUNCTION smshall_outbox_queued() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('smshall_outbox', NEW.channel);
            RETURN NULL;
        END
        $$
        """
    )
    # A row trigger whose WHEN is false costs no function call: the rows claimed as
    # they are written, the hot path's, pass by it.
    op.execute(
        """
        CREATE TRIGGER outbound_messages_queued AFTER INSERT ON outbound_messages
        FOR EACH ROW
        WHEN (NEW.state = 'queued' AND NEW.claimed_by IS NULL
              AND NEW.channel <> 'http_response')
        EXECUTE FUNCTION smshall_outbox_queued()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbound_messages_queued ON outbound_messages")
    op.execute("DROP FUNCTION IF EXISTS smshall_outbox_queued()")
