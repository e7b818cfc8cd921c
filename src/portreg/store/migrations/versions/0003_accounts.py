"""Accounts, their roles and review groups, API tokens, mailed links, sign-in failures, the mail outbox.

Frozen: later changes come with a new migration, never an edit here.

Revision ID: 0003_accounts
Revises: 0002_translog
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_accounts"
down_revision = "0002_translog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("email_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("session_stamp", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("confirmed_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("email_key", name="uq_accounts_email_key"),
    )
    op.create_table(
        "account_roles",
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "role", name="pk_account_roles"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_account_roles_account_id"),
    )
    op.create_table(
        "account_groups",
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("review_group", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "review_group", name="pk_account_groups"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_account_groups_account_id"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_used_at", sa.String(32)),
        sa.Column("revoked_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_api_tokens_account_id"),
    )
    op.create_index("ix_api_tokens_account_id", "api_tokens", ["account_id"])
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("used_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_account_links"),
        sa.UniqueConstraint("token_hash", name="uq_account_links_token_hash"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_account_links_account_id"),
    )
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signin_failures"),
    )
    op.create_index("ix_signin_failures_scope_key_at", "signin_failures", ["scope", "key", "at"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.String(32), nullable=False),
        sa.Column("claimed_until", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
        sa.UniqueConstraint("message_id", name="uq_mail_outbox_message_id"),
    )
    op.create_index("ix_mail_outbox_sent_at_next_attempt_at", "mail_outbox", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    for table in (
        "mail_outbox",
        "signin_failures",
        "account_links",
        "api_tokens",
        "account_groups",
        "account_roles",
        "accounts",
    ):
        op.drop_table(table)
