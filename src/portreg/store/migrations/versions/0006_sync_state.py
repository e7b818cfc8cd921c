"""Sync state in the store: the validators of the last download, per URL.

They lived in a ``.sync.json`` file beside the database, written after the import's
transaction and read back without checks; in the store they are written in the same
transaction as the version they describe.

Revision ID: 0006_sync_state
Revises: 0005_subscriptions
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_sync_state"
down_revision = "0005_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("version", sa.Integer),
        sa.Column("checked_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_sync_state"),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
