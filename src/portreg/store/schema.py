"""The store's tables, as SQLAlchemy Core metadata (the current schema, at ``SCHEMA_REVISION``).

Versioned by validity intervals rather than copies: a revision row of a record (or a
person) is valid from version ``valid_from`` up to, not including, ``valid_to``; an open
``valid_to`` (NULL) means current. A version sees the rows with
``valid_from <= v AND (valid_to IS NULL OR valid_to > v)``. An import closes the rows
that changed and opens new ones, so 342 published versions cost about 15,000 record
revisions, not 342 x 14,000 rows, and a diff between any two versions reads only the
rows whose interval starts or ends between them.

``records`` holds the stable ids (what a workflow's requests and audit trail point
at); ``record_revisions`` their states (the facts queries filter on), with the full
content in ``record_bodies``. Validity columns are not indexed on their own: nearly
every row is valid at the version asked for, so a scan of the narrow table is what
the planner should do. Full-text search is a per-dialect side table
keyed by revision ``row_id``: an FTS5 contentless table on SQLite, a ``tsvector`` with a
GIN index on PostgreSQL. Revisions are never rewritten, so neither index ever needs a
delete.

A fresh database gets this schema directly (``create_current``) and is stamped with
the head revision; an older one is brought forward by the Alembic migrations in
``migrations/``. A test checks that both roads lead to the same schema.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection

from ._migrate import SCHEMA_REVISION

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    }
)

#: The registries a store holds (see docs/overlays.md): ``iana``, the upstream kept by
#: ``portreg sync``, and the organization's own, stacked above it by ``position``. Every
#: version, record and revision row names its registry in a ``registry`` column; version
#: numbers stay one sequence over all of them, so that the transparency log, the feeds and
#: "what changed since N" keep one order.
registries = Table(
    "registries",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kind", String(8), nullable=False),  # upstream | local
    Column("title", Text, nullable=False),
    Column("position", Integer, nullable=False),  # stack order: higher is consulted first
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text),
)

#: The ranges a local registry allocates from (``transport`` NULL: every transport).
registry_ranges = Table(
    "registry_ranges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registry", Text, ForeignKey("registries.name"), nullable=False),
    Column("port_low", Integer, nullable=False),
    Column("port_high", Integer, nullable=False),
    Column("transport", String(8)),
    Index(None, "registry", "port_low"),
)

#: A local registry's rules for the assignment process (see docs/process.md, "Local
#: registries"): the review group its requests go to and the checks it relaxes (their
#: findings become warnings). A registry without a row keeps the defaults.
registry_rules = Table(
    "registry_rules",
    metadata,
    Column("registry", Text, ForeignKey("registries.name"), primary_key=True),
    Column("review_group", String(16)),
    Column("relaxed", Text, nullable=False),  # space-separated check names
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", Text),
)

#: Ports on which a local registry may assign although the upstream assigns or reserves
#: them there: each one recorded with its reason, by whom and when.
registry_exceptions = Table(
    "registry_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registry", Text, ForeignKey("registries.name"), nullable=False),
    Column("port", Integer, nullable=False),
    Column("transport", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text),
    UniqueConstraint("registry", "port", "transport"),
)

#: Collisions between a local registry and the upstream, found when the local registry
#: changes (import, assignment) or when a sync brings new upstream assignments; kept
#: until either side changes so that the collision no longer holds, or a person resolves it.
overlay_conflicts = Table(
    "overlay_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registry", Text, ForeignKey("registries.name"), nullable=False),
    Column("kind", String(12), nullable=False),  # port, reserved, name, outside, owned
    Column("local_record_id", Integer),
    Column("upstream_record_id", Integer),
    Column("local_version", Integer),
    Column("upstream_version", Integer),
    Column("message", Text, nullable=False),
    Column("found_at", String(32), nullable=False),
    Column("found_by", String(8), nullable=False),  # import, sync, request
    Column("resolved_at", String(32)),
    Column("resolved_by", Text),
    Column("resolution", Text),
    Column("found_version", Integer),  # the version whose publication found it
    Column("resolved_version", Integer),  # the version after which it no longer held
    Index(None, "registry", "resolved_at"),
    Index(None, "found_version"),
)

versions = Table(
    "versions",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("published", String(10)),  # the registry's <updated>
    Column("created_at", String(32), nullable=False),  # ISO 8601, UTC: same text on both databases
    Column("source", Text, nullable=False),
    Column("actor", Text),
    Column("reason", Text),
    Column("record_count", Integer, nullable=False),
    Column("person_count", Integer, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("head", Text, nullable=False),  # title, notes, footnotes, experts ... as compact JSON
    Column("registry", Text, nullable=False, server_default="iana"),  # see ``registries``
    Index(None, "registry", "number"),
)

records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("first_version", Integer, ForeignKey("versions.number"), nullable=False),
    Column("registry", Text, nullable=False, server_default="iana"),  # see ``registries``
)

record_revisions = Table(
    "record_revisions",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False),
    Column("valid_from", Integer, ForeignKey("versions.number"), nullable=False),
    Column("valid_to", Integer, ForeignKey("versions.number")),
    Column("sort_key", BigInteger, nullable=False),
    Column("name", Text),
    Column("name_key", Text),
    Column("port_low", Integer),
    Column("port_high", Integer),
    Column("transport", String(8)),
    Column("state", String(12), nullable=False),
    Column("registered", String(10)),
    Column("modified", String(10)),
    Column("service_code", Text),
    Column("content_hash", BigInteger, nullable=False),
    Column("registry", Text, nullable=False, server_default="iana"),  # see ``registries``
    Index(None, "port_low", "port_high"),
    # Ranges are few (about 800 of 14,000 rows): "which ranges contain port p" scans only them.
    Index(
        "ix_record_revisions_ranges",
        "port_low",
        "port_high",
        sqlite_where=text("port_high > port_low"),
        postgresql_where=text("port_high > port_low"),
    ),
    Index(None, "name_key"),
    Index(None, "record_id", "valid_from"),
)

#: What a revision holds beyond the facts queries filter on, kept apart so that those
#: stay a narrow table: scanning 15,000 narrow rows (a count, the stats, a filter) costs
#: a third of scanning them with their text.
record_bodies = Table(
    "record_bodies",
    metadata,
    Column("row_id", Integer, ForeignKey("record_revisions.row_id"), primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),  # every field as compact JSON (see _codec)
    Column("layout", Text),  # element order and whitespace as read
)

person_revisions = Table(
    "person_revisions",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", Text, nullable=False),
    Column("valid_from", Integer, ForeignKey("versions.number"), nullable=False),
    Column("valid_to", Integer, ForeignKey("versions.number")),
    Column("sort_key", BigInteger, nullable=False),
    Column("name", Text),
    Column("org", Text),
    Column("uris", Text),
    Column("updated", String(10)),
    Column("layout", Text),
    Column("content_hash", BigInteger, nullable=False),
    Column("registry", Text, nullable=False, server_default="iana"),  # see ``registries``
    Index(None, "person_id", "valid_from"),
)

record_people = Table(
    "record_people",
    metadata,
    Column("row_id", Integer, ForeignKey("record_revisions.row_id"), primary_key=True),
    Column("person_id", Text, primary_key=True),
    Column("role", String(10), primary_key=True),  # assignee, contact, mention
    Index(None, "person_id"),
)

#: The transparency log's leaves, in the order they were appended (``leaf_index`` 0, 1,
#: 2 ...). A leaf is the exact bytes hashed into the Merkle tree (canonical JSON, see
#: ``portreg.services.translog``); it is kept whole so that anyone can recompute the
#: tree. No foreign key to ``versions``: the log must outlive any edit of the tables it
#: vouches for, so that such an edit shows. ``kind`` is ``version`` for a published
#: version (``version`` its number); the assignment process's events join as another kind.
log_entries = Table(
    "log_entries",
    metadata,
    Column("leaf_index", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("version", Integer, unique=True),
    Column("leaf", Text, nullable=False),
    Column("leaf_hash", String(64), nullable=False),  # SHA-256(0x00 || leaf), hex
    Column("appended_at", String(32), nullable=False),  # ISO 8601, UTC
)

# -- people who use the registry (accounts) and the mail they are sent (outbox)

#: One row per person who signs in. ``email_key`` is the address case-folded (unique);
#: ``password_hash`` an argon2 hash, NULL when the account has no password yet;
#: ``session_stamp`` changes with the password, so signed session cookies made before
#: a reset stop working; ``confirmed_at`` NULL until the address is confirmed.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    Column("email_key", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False),
    Column("session_stamp", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("confirmed_at", String(32)),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(16), primary_key=True),
)

#: Review groups of an expert (tcp-udp, sctp, dccp, service-codes).
account_groups = Table(
    "account_groups",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("review_group", String(16), primary_key=True),
)

#: API tokens: only a SHA-256 of the secret is kept; ``roles`` (space-separated) is the
#: token's scope, intersected with the account's roles whenever it is used.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("roles", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_used_at", String(32)),
    Column("revoked_at", String(32)),
    Index(None, "account_id"),
)

#: Single-use links mailed to a person: confirm an address, reset a password.
account_links = Table(
    "account_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32)),
)

#: Failed sign-ins, counted per account and per address over a window (rate limits).
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),  # "account" or "address"
    Column("key", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Index(None, "scope", "key", "at"),
)

#: Mail waiting to be sent, written in the same transaction as the change it reports.
#: ``message_id`` is fixed when the row is written, so a retry after a crash carries
#: the same Message-ID (and a row marked sent is never picked again).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Text, nullable=False, unique=True),
    Column("recipients", Text, nullable=False),  # JSON list
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", Text, nullable=False),  # JSON object of extra headers
    Column("created_at", String(32), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(32), nullable=False),
    Column("claimed_until", String(32)),
    Column("last_error", Text),
    Column("sent_at", String(32)),
    Index(None, "sent_at", "next_attempt_at"),
)

#: The assignment workflow (RFC 6335 §8): requests, the holds they put on ports and names
#: while open, the review of each expert group, and the append-only, hash-chained
#: trail of everything that happened to them. ``requests`` is the only table of the
#: four whose rows change; ``request_events`` refuses UPDATE and DELETE by trigger.
requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(24), nullable=False),
    Column("etag", Integer, nullable=False),  # bumped by every change: If-Match
    Column("requester_id", Integer, nullable=False),
    Column("requester_email", Text, nullable=False),
    Column("service_name", Text),
    Column("name_key", Text),
    Column("port", Integer),
    Column("data", Text, nullable=False),  # the template and the kind's own fields, as JSON
    Column("turn", String(12), nullable=False),  # requester, staff, expert, iesg, none
    Column("resume_state", String(24)),  # where an answer from the requester goes back to
    Column("is_open", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("state_since", String(32), nullable=False),
    Column("published_version", Integer),
    Column("last_event", Integer),
    Column("last_hash", String(64)),
    Column("registry", Text, nullable=False, server_default="iana"),  # see ``registries``
    Index(None, "requester_id"),
    Index(None, "is_open", "state"),
)

request_holds = Table(
    "request_holds",
    metadata,
    Column("kind", String(8), primary_key=True),  # "port" (key "8080/tcp") or "name" (key: the folded name)
    Column("hold_key", Text, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Index(None, "request_id"),
)

request_reviews = Table(
    "request_reviews",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id"), primary_key=True),
    Column("review_group", String(16), primary_key=True),
    Column("decision", String(12), nullable=False),  # pending, approved, rejected
    Column("expert_id", Integer),
    Column("decided_at", String(32)),
)

request_events = Table(
    "request_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("request_id", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor_id", Integer),
    Column("actor", Text, nullable=False),
    Column("role", String(12), nullable=False),
    Column("kind", String(16), nullable=False),  # transition, comment, check, vote, publication, reminder
    Column("from_state", String(24)),
    Column("to_state", String(24)),
    Column("reason", Text),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "request_id", "seq"),
)

#: What the schema enforces beyond tables: the audit trail is append-only.
WORKFLOW_DDL: dict[str, tuple[str, ...]] = {
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

#: What a person with an account watches, to be mailed when a version touches it:
#: ``kind`` all, port, range, service or person, ``key`` what (empty for all).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("account_id", "kind", "key"),
)

#: The versions whose mails to subscribers were written (with them, in one transaction):
#: a version is announced once, whoever runs the announcing.
subscription_notices = Table(
    "subscription_notices",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("mails", Integer, nullable=False),
    Column("notified_at", String(32), nullable=False),
)

#: What the last download of a registry URL answered, for the next conditional request.
#: Written in the transaction of the import it led to, so it never describes a version
#: the store does not hold; ``version`` is the version current after that download.
sync_state = Table(
    "sync_state",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("version", Integer),
    Column("checked_at", String(32), nullable=False),
)

#: Full-text side tables, per dialect. FTS5 "contentless": the text is not stored twice.
SEARCH_DDL: dict[str, tuple[str, ...]] = {
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


#: Every store holds the upstream registry from its creation (or its upgrade to 0007).
UPSTREAM_REGISTRY = (
    "INSERT INTO registries (name, kind, title, position, created_at) "
    "VALUES ('iana', 'upstream', 'IANA Service Name and Transport Protocol Port Number Registry', 0, :at)"
)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


def create_current(conn: Connection) -> None:
    """Create the whole current schema in an empty database and stamp it for Alembic."""
    metadata.create_all(conn)
    for statement in (*SEARCH_DDL[conn.dialect.name], *WORKFLOW_DDL[conn.dialect.name]):
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": SCHEMA_REVISION})
    conn.execute(text(UPSTREAM_REGISTRY), {"at": _now()})
