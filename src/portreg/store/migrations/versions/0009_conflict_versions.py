"""Overlay conflicts name the version that found them and the one that resolved them.

``found_version`` is the version whose publication (a local import, a sync of the
upstream) found the conflict; ``resolved_version`` the one after which it no longer
held (NULL while open, and when a person resolved it). With them an import or a sync
can say what it found and what it settled, and a feed can order conflicts by version.

Revision ID: 0009_conflict_versions
Revises: 0008_local_rules
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_conflict_versions"
down_revision = "0008_local_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("overlay_conflicts", sa.Column("found_version", sa.Integer))
    op.add_column("overlay_conflicts", sa.Column("resolved_version", sa.Integer))
    op.create_index("ix_overlay_conflicts_found_version", "overlay_conflicts", ["found_version"])


def downgrade() -> None:
    op.drop_index("ix_overlay_conflicts_found_version", "overlay_conflicts")
    with op.batch_alter_table("overlay_conflicts") as batch:
        batch.drop_column("resolved_version")
        batch.drop_column("found_version")
