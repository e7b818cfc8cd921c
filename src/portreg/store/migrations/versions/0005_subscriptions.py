"""Mail subscriptions to watches (``subscriptions``) and the versions announced (``subscription_notices``).

Frozen, like every migration: later changes come as new ones.

Revision ID: 0005_subscriptions
Revises: 0004_workflow
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_subscriptions"
down_revision = "0004_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_subscriptions_account_id"),
        sa.UniqueConstraint("account_id", "kind", "key", name="uq_subscriptions_account_id_kind_key"),
    )
    op.create_table(
        "subscription_notices",
        sa.Column("version", sa.Integer, autoincrement=False),
        sa.Column("mails", sa.Integer, nullable=False),
        sa.Column("notified_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_subscription_notices"),
    )


def downgrade() -> None:
    op.drop_table("subscription_notices")
    op.drop_table("subscriptions")
