"""The assignment workflow: requests, holds, expert reviews, the append-only event trail.

Frozen, like every migration: later changes come as new ones.

Revision ID: 0004_workflow
Revises: 0003_accounts
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_workflow"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None

_DDL = {
    "sqlite": (
        "CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events "
        "BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END",
        "CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events "
        "BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'request_events is append-only'; END $$",
        "CREATE TRIGGER request_events_no_change BEFORE UPDATE OR DELETE ON request_events "
        "FOR EACH ROW EXECUTE FUNCTION request_events_append_only()",
        "CREATE TRIGGER request_events_no_truncate BEFORE TRUNCATE ON request_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION request_events_append_only()",
    ),
}


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("etag", sa.Integer, nullable=False),
        sa.Column("requester_id", sa.Integer, nullable=False),
        sa.Column("requester_email", sa.Text, nullable=False),
        sa.Column("service_name", sa.Text),
        sa.Column("name_key", sa.Text),
        sa.Column("port", sa.Integer),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("turn", sa.String(12), nullable=False),
        sa.Column("resume_state", sa.String(24)),
        sa.Column("is_open", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("state_since", sa.String(32), nullable=False),
        sa.Column("published_version", sa.Integer),
        sa.Column("last_event", sa.Integer),
        sa.Column("last_hash", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_requests"),
    )
    op.create_index("ix_requests_requester_id", "requests", ["requester_id"])
    op.create_index("ix_requests_is_open_state", "requests", ["is_open", "state"])
    op.create_table(
        "request_holds",
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("hold_key", sa.Text, nullable=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("kind", "hold_key", name="pk_request_holds"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_request_holds_request_id"),
    )
    op.create_index("ix_request_holds_request_id", "request_holds", ["request_id"])
    op.create_table(
        "request_reviews",
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("review_group", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("expert_id", sa.Integer),
        sa.Column("decided_at", sa.String(32)),
        sa.PrimaryKeyConstraint("request_id", "review_group", name="pk_request_reviews"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_request_reviews_request_id"),
    )
    op.create_table(
        "request_events",
        sa.Column("seq", sa.Integer, autoincrement=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(24)),
        sa.Column("to_state", sa.String(24)),
        sa.Column("reason", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_request_events"),
    )
    op.create_index("ix_request_events_request_id_seq", "request_events", ["request_id", "seq"])
    for statement in _DDL[op.get_context().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION request_events_append_only() CASCADE")
    for table in ("request_events", "request_reviews", "request_holds", "requests"):
        op.drop_table(table)
