"""Local registries' rules for the assignment process: review group, relaxed checks, exceptions.

Revision ID: 0008_local_rules
Revises: 0007_registries
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_local_rules"
down_revision = "0007_registries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_rules",
        sa.Column("registry", sa.Text, nullable=False),
        sa.Column("review_group", sa.String(16)),
        sa.Column("relaxed", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.Text),
        sa.ForeignKeyConstraint(["registry"], ["registries.name"], name="fk_registry_rules_registry"),
        sa.PrimaryKeyConstraint("registry", name="pk_registry_rules"),
    )
    op.create_table(
        "registry_exceptions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("registry", sa.Text, nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text),
        sa.ForeignKeyConstraint(["registry"], ["registries.name"], name="fk_registry_exceptions_registry"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_exceptions"),
        sa.UniqueConstraint("registry", "port", "transport", name="uq_registry_exceptions_registry_port_transport"),
    )


def downgrade() -> None:
    op.drop_table("registry_exceptions")
    op.drop_table("registry_rules")
