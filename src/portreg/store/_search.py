"""Full-text search, the one place where SQLite and PostgreSQL need different SQL.

Both index the same four fields of a record revision (name, description, notes and
unauthorized use, the people it names) with English stemming, and weigh them in that
spirit: a hit in the name counts most, then description, people, notes. SQLite ranks
with FTS5's bm25, PostgreSQL with ts_rank over weighted tsvectors. A user's text is
reduced to its words (runs of letters and digits), all of which must match: the same
query on both databases, and no syntax error can come from what someone types.

Documents are split into the same words before PostgreSQL sees them: its parser would
otherwise keep ``isi.edu`` or ``postel@isi.edu`` as single lexemes, where FTS5's
tokenizer splits them, and the two databases would answer differently.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")

#: The columns of each kind of search document, in order (``row_id`` keys the revision).
COLUMNS = {
    "record": ("row_id", "name", "description", "notes", "people"),
    "person": ("row_id", "person_id", "name", "org", "uris"),
}

#: PostgreSQL: the weighted tsvector of a document, from its columns.
_VECTOR = {
    "record": "setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B') || "
    "setweight(to_tsvector('english', people), 'C') || setweight(to_tsvector('english', notes), 'D')",
    "person": "setweight(to_tsvector('simple', person_id), 'A') || setweight(to_tsvector('simple', name), 'A') || "
    "setweight(to_tsvector('simple', org), 'B') || setweight(to_tsvector('simple', uris), 'C')",
}


def insert_sql(dialect: str, kind: str) -> list[str]:
    """How documents of ``kind`` get indexed.

    SQLite: one INSERT into the FTS5 table (run with executemany of tuples). PostgreSQL: the
    documents are first COPYed into a temporary table named ``staged_<kind>``, then
    turned into tsvectors in one INSERT ... SELECT; the statements returned create
    that table and do the INSERT (the caller COPYs in between).
    """
    columns = COLUMNS[kind]
    if dialect == "sqlite":
        names = ", ".join(("rowid", *columns[1:]))
        return [f"INSERT INTO {kind}_search ({names}) VALUES ({', '.join('?' for _ in columns)})"]
    return [
        f"CREATE TEMPORARY TABLE IF NOT EXISTS staged_{kind} (row_id INTEGER, "
        + ", ".join(f"{c} TEXT" for c in columns[1:])
        + ") ON COMMIT DROP",
        f"INSERT INTO {kind}_search (row_id, document) SELECT row_id, {_VECTOR[kind]} FROM staged_{kind}",
    ]


#: (FROM/JOIN fragment, MATCH condition, rank expression, better-first ordering) per dialect.
#: The fragment joins the search table to revisions aliased ``r``; ``:q`` is the query.
RECORD_MATCH = {
    "sqlite": (
        "record_search JOIN record_revisions r ON r.row_id = record_search.rowid",
        "record_search MATCH :q",
        "bm25(record_search, 10.0, 4.0, 1.0, 2.0)",
        "ASC",
    ),
    "postgresql": (
        "record_search JOIN record_revisions r ON r.row_id = record_search.row_id",
        "record_search.document @@ to_tsquery('english', :q)",
        "ts_rank(record_search.document, to_tsquery('english', :q))",
        "DESC",
    ),
}

PERSON_MATCH = {
    "sqlite": (
        "person_search JOIN person_revisions p ON p.row_id = person_search.rowid",
        "person_search MATCH :q",
        "bm25(person_search, 5.0, 10.0, 3.0, 1.0)",
        "ASC",
    ),
    "postgresql": (
        "person_search JOIN person_revisions p ON p.row_id = person_search.row_id",
        "person_search.document @@ to_tsquery('simple', :q)",
        "ts_rank(person_search.document, to_tsquery('simple', :q))",
        "DESC",
    ),
}


def document(dialect: str, text: str) -> str:
    """``text`` as the database should index it (see the module docstring)."""
    return _NOT_WORD.sub(" ", text) if dialect == "postgresql" else text


def query_text(dialect: str, text: str) -> str | None:
    """The database's query for ``text``: every word must match. None when it has no word."""
    words = _WORD.findall(text)
    if not words:
        return None
    if dialect == "sqlite":
        return " ".join(f'"{w}"' for w in words)
    return " & ".join(words)
