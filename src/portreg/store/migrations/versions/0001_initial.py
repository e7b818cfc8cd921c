"""The first schema: versions, stable record ids, revisions with validity intervals, full text.

Frozen: later changes to ``portreg.store.schema`` come with a new migration, never an
edit here. A test checks that this chain and ``schema.create_current`` give the same
schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SEARCH = {
    "sqlite": (
        "CREATE VIRTUAL TABLE record_search USING fts5("
        "name, description, notes, people, content='', tokenize='porter unicode61')",
        "CREATE VIRTUAL TABLE person_search USING fts5("
        "person_id, name, org, uris, content='', tokenize='porter unicode61')",
    ),
    "postgresql": (
        "CREATE TABLE record_search (row_id INTEGER PRIMARY KEY REFERENCES record_revisions (row_id), "
        "document TSVECTOR NOT NULL)",
        "CREATE INDEX ix_record_search_document ON record_search USING GIN (document)",
        "CREATE TABLE person_search (row_id INTEGER PRIMARY KEY REFERENCES person_revisions (row_id), "
        "document TSVECTOR NOT NULL)",
        "CREATE INDEX ix_person_search_document ON person_search USING GIN (document)",
    ),
}


def upgrade() -> None:
    op.create_table(
        "versions",
        sa.Column("number", sa.Integer, autoincrement=False),
        sa.Column("published", sa.String(10)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("actor", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("person_count", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("head", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_versions"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("first_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.ForeignKeyConstraint(["first_version"], ["versions.number"], name="fk_records_first_version"),
    )
    op.create_table(
        "record_revisions",
        sa.Column("row_id", sa.Integer, autoincrement=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Integer, nullable=False),
        sa.Column("valid_to", sa.Integer),
        sa.Column("sort_key", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("name_key", sa.Text),
        sa.Column("port_low", sa.Integer),
        sa.Column("port_high", sa.Integer),
        sa.Column("transport", sa.String(8)),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("registered", sa.String(10)),
        sa.Column("modified", sa.String(10)),
        sa.Column("service_code", sa.Text),
        sa.Column("content_hash", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("row_id", name="pk_record_revisions"),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name="fk_record_revisions_record_id"),
        sa.ForeignKeyConstraint(["valid_from"], ["versions.number"], name="fk_record_revisions_valid_from"),
        sa.ForeignKeyConstraint(["valid_to"], ["versions.number"], name="fk_record_revisions_valid_to"),
    )
    for columns in (["port_low", "port_high"], ["name_key"], ["record_id", "valid_from"]):
        op.create_index("ix_record_revisions_" + "_".join(columns), "record_revisions", columns)
    ranges = sa.text("port_high > port_low")
    op.create_index(
        "ix_record_revisions_ranges",
        "record_revisions",
        ["port_low", "port_high"],
        sqlite_where=ranges,
        postgresql_where=ranges,
    )
    op.create_table(
        "record_bodies",
        sa.Column("row_id", sa.Integer, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("layout", sa.Text),
        sa.PrimaryKeyConstraint("row_id", name="pk_record_bodies"),
        sa.ForeignKeyConstraint(["row_id"], ["record_revisions.row_id"], name="fk_record_bodies_row_id"),
    )
    op.create_table(
        "person_revisions",
        sa.Column("row_id", sa.Integer, autoincrement=False),
        sa.Column("person_id", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Integer, nullable=False),
        sa.Column("valid_to", sa.Integer),
        sa.Column("sort_key", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("org", sa.Text),
        sa.Column("uris", sa.Text),
        sa.Column("updated", sa.String(10)),
        sa.Column("layout", sa.Text),
        sa.Column("content_hash", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("row_id", name="pk_person_revisions"),
        sa.ForeignKeyConstraint(["valid_from"], ["versions.number"], name="fk_person_revisions_valid_from"),
        sa.ForeignKeyConstraint(["valid_to"], ["versions.number"], name="fk_person_revisions_valid_to"),
    )
    op.create_index("ix_person_revisions_person_id_valid_from", "person_revisions", ["person_id", "valid_from"])
    op.create_table(
        "record_people",
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.Column("person_id", sa.Text, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("row_id", "person_id", "role", name="pk_record_people"),
        sa.ForeignKeyConstraint(["row_id"], ["record_revisions.row_id"], name="fk_record_people_row_id"),
    )
    op.create_index("ix_record_people_person_id", "record_people", ["person_id"])
    for statement in _SEARCH[op.get_context().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "person_search",
        "record_search",
        "record_people",
        "person_revisions",
        "record_bodies",
        "record_revisions",
        "records",
        "versions",
    ):
        op.drop_table(table)
