"""Stacked registries: the upstream (IANA's) and an organization's own in one store.

Every existing row belongs to the upstream registry ``iana``, which this migration
creates, so a store upgraded to it answers exactly as before.

Revision ID: 0007_registries
Revises: 0006_sync_state
Create Date: 2026-11-30
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_registries"
down_revision = "0006_sync_state"
branch_labels = None
depends_on = None

_TABLES = ("versions", "records", "record_revisions", "person_revisions", "requests")


def upgrade() -> None:
    op.create_table(
        "registries",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text),
        sa.PrimaryKeyConstraint("name", name="pk_registries"),
    )
    op.create_table(
        "registry_ranges",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("registry", sa.Text, nullable=False),
        sa.Column("port_low", sa.Integer, nullable=False),
        sa.Column("port_high", sa.Integer, nullable=False),
        sa.Column("transport", sa.String(8)),
        sa.ForeignKeyConstraint(["registry"], ["registries.name"], name="fk_registry_ranges_registry"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_ranges"),
    )
    op.create_index("ix_registry_ranges_registry_port_low", "registry_ranges", ["registry", "port_low"])
    op.create_table(
        "overlay_conflicts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("registry", sa.Text, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("local_record_id", sa.Integer),
        sa.Column("upstream_record_id", sa.Integer),
        sa.Column("local_version", sa.Integer),
        sa.Column("upstream_version", sa.Integer),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("found_at", sa.String(32), nullable=False),
        sa.Column("found_by", sa.String(8), nullable=False),
        sa.Column("resolved_at", sa.String(32)),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolution", sa.Text),
        sa.ForeignKeyConstraint(["registry"], ["registries.name"], name="fk_overlay_conflicts_registry"),
        sa.PrimaryKeyConstraint("id", name="pk_overlay_conflicts"),
    )
    op.create_index("ix_overlay_conflicts_registry_resolved_at", "overlay_conflicts", ["registry", "resolved_at"])
    for table in _TABLES:
        op.add_column(table, sa.Column("registry", sa.Text, nullable=False, server_default="iana"))
    op.create_index("ix_versions_registry_number", "versions", ["registry", "number"])
    op.get_bind().execute(
        sa.text(
            "INSERT INTO registries (name, kind, title, position, created_at) VALUES "
            "('iana', 'upstream', 'IANA Service Name and Transport Protocol Port Number Registry', 0, :at)"
        ),
        {"at": datetime.now(UTC).isoformat()},
    )


def downgrade() -> None:
    op.drop_index("ix_versions_registry_number", "versions")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("registry")
    op.drop_table("overlay_conflicts")
    op.drop_table("registry_ranges")
    op.drop_table("registries")
