"""The transparency log's leaves (``log_entries``).

Revision ID: 0002_translog
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_translog"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("leaf_index", sa.Integer, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("leaf", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.Column("appended_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_log_entries"),
        sa.UniqueConstraint("version", name="uq_log_entries_version"),
    )


def downgrade() -> None:
    op.drop_table("log_entries")
