"""Publishing one approved change as a new version, touching only the rows it changes.

An import serializes and hashes the whole registry to find what changed; a workflow
publication already knows: a few records added, replaced or removed, a person or two,
and the registry's Last Updated date. This writes exactly those rows, inside the
caller's transaction (which holds the store's write lock), and computes the version's
hash from the stored row hashes, so that importing the very same registry afterwards
is recognized as identical, as it would be after an import.

New rows get sort keys between their neighbours in the registry's order (ports
ascending, then transports in the registry's order; name-only rows after every port,
by name), so the rebuilt registry lists them where IANA would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..model import TRANSPORTS, Person, Record
from . import _search
from ._codec import dumps, loads
from ._encoder import (
    Encoder,
    hash_of_version,
    person_document,
    record_people,
    search_document,
)
from ._matching import GAP
from ._values import Change, Version

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_RANK = "CASE transport WHEN 'tcp' THEN 0 WHEN 'udp' THEN 1 WHEN 'sctp' THEN 2 WHEN 'dccp' THEN 3 ELSE 4 END"


def publish(
    conn: Connection,
    dialect: str,
    change: Change,
    *,
    source: str,
    actor: str | None,
    reason: str | None,
    registry: str = "iana",
) -> Version:
    """Write ``change`` as the next version of ``registry`` in the caller's transaction; returns the version."""
    from sqlalchemy import text

    from ._registries import check_name

    check_name(registry)  # it is written into two statements below
    current = conn.execute(
        text("SELECT number, head FROM versions WHERE registry = :reg ORDER BY number DESC LIMIT 1"), {"reg": registry}
    ).first()
    if current is None and registry == "iana":
        raise NotFound("the store is empty: a request can be published only onto a registry")
    number = (conn.exec_driver_sql("SELECT coalesce(max(number), 0) FROM versions").scalar() or 0) + 1
    if current is not None:
        head = loads(current[1])
    else:  # a local registry's first version: a whole head, titled as the registry is
        from ..model import Registry

        title = conn.execute(text("SELECT title FROM registries WHERE name = :n"), {"n": registry}).scalar()
        head = loads(Encoder().head(Registry(title=title or registry, id=registry)))
    head["updated"] = change.updated
    head_text = dumps(head)
    created = datetime.now(UTC)
    conn.execute(
        text(
            "INSERT INTO versions (number, published, created_at, source, actor, reason, record_count, person_count, "
            "content_hash, head, registry) VALUES (:n, :p, :c, :s, :a, :r, 0, 0, '', :h, :reg)"
        ),
        {
            "n": number,
            "p": change.updated,
            "c": created.isoformat(),
            "s": source,
            "a": actor,
            "r": reason,
            "h": head_text,
            "reg": registry,
        },
    )
    writer = _Writer(conn, dialect, number, registry)
    writer.people(change.people)
    for record_id in change.remove:
        writer.close_record(record_id)
    for record_id, record in change.replace:
        sort_key = writer.close_record(record_id)
        writer.insert_record(record_id, record, sort_key)
    for record in change.add:
        writer.insert_record(writer.new_record_id(), record, writer.place(record))
    mine = f"{_CURRENT.replace(':reg', repr(registry))}"
    record_hashes = _column(conn, f"SELECT content_hash FROM record_revisions WHERE {mine} ORDER BY sort_key")
    person_hashes = _column(conn, f"SELECT content_hash FROM person_revisions WHERE {mine} ORDER BY sort_key")
    conn.execute(
        text("UPDATE versions SET content_hash = :h, record_count = :rc, person_count = :pc WHERE number = :n"),
        {
            "h": hash_of_version(head_text, record_hashes, person_hashes),
            "rc": len(record_hashes),
            "pc": len(person_hashes),
            "n": number,
        },
    )
    return Version(number, change.updated, created, source, actor, len(record_hashes), reason)


#: This registry's current rows.
_CURRENT = "valid_to IS NULL AND registry = :reg"
#: A column of the search vector's expression, to be replaced by a parameter.
_PARAMETER = re.compile(r"to_tsvector\('(\w+)', (\w+)\)")


def _column(conn: Connection, sql: str) -> list[int]:
    """One column of many rows, through the driver's cursor: 14,000 hashes without a Row object each."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


class _Writer:
    def __init__(self, conn: Connection, dialect: str, number: int, registry: str) -> None:
        from sqlalchemy import text

        self.conn = conn
        self.registry = registry
        self.dialect = dialect
        self.number = number
        self.encoder = Encoder()
        self.text = text
        self.row_ids: dict[str, int] = {}

    def _one(self, sql: str, params: dict[str, Any]) -> Any:
        return self.conn.execute(self.text(sql), {**params, "reg": self.registry}).scalar()

    def _first(self, sql: str, params: dict[str, Any]) -> Any:
        return self.conn.execute(self.text(sql), {**params, "reg": self.registry}).first()

    def _next(self, table: str) -> int:
        """The next row id of ``table`` (read once; this transaction holds the write lock)."""
        last = self.row_ids.get(table)
        if last is None:
            last = self._one(f"SELECT coalesce(max(row_id), 0) FROM {table}", {}) or 0
        self.row_ids[table] = last + 1
        return int(last) + 1

    # -- people

    def people(self, people: list[Person]) -> None:
        for person in people:
            found = self._first(
                f"SELECT row_id, sort_key FROM person_revisions WHERE person_id = :id AND {_CURRENT}", {"id": person.id}
            )
            if found is not None:
                self._close("person_revisions", found[0])
                key = found[1]
            else:
                key = self._between(
                    f"SELECT sort_key FROM person_revisions WHERE {_CURRENT} AND person_id < :id "
                    "ORDER BY person_id DESC LIMIT 1",
                    f"SELECT min(sort_key) FROM person_revisions WHERE {_CURRENT} AND sort_key > :k",
                    {"id": person.id},
                )
            row = self.encoder.person(person)
            row_id = self._next("person_revisions")
            self.conn.execute(
                self.text(
                    "INSERT INTO person_revisions (row_id, person_id, valid_from, valid_to, sort_key, name, org, uris, "
                    "updated, layout, content_hash, registry) VALUES (:r, :id, :v, NULL, :k, :n, :o, :u, :up, :l, :h, "
                    ":reg)"
                ),
                {
                    "r": row_id, "id": person.id, "v": self.number, "k": key, "n": person.name, "o": person.org,
                    "u": row.uris, "up": person.updated, "l": row.layout, "h": row.content_hash, "reg": self.registry,
                },
            )
            self._index("person", row_id, person_document(person))

    # -- records

    def new_record_id(self) -> int:
        record_id = (self._one("SELECT coalesce(max(id), 0) FROM records", {}) or 0) + 1
        self.conn.execute(
            self.text("INSERT INTO records (id, first_version, registry) VALUES (:id, :v, :reg)"),
            {"id": record_id, "v": self.number, "reg": self.registry},
        )
        return record_id

    def close_record(self, record_id: int) -> int:
        """Close the current revision of ``record_id``; returns its sort key."""
        found = self._first(
            f"SELECT row_id, sort_key FROM record_revisions WHERE record_id = :id AND {_CURRENT}", {"id": record_id}
        )
        if found is None:
            raise NotFound(f"record {record_id} is not in the current version")
        self._close("record_revisions", found[0])
        return int(found[1])

    def place(self, record: Record) -> int:
        """A sort key between the rows the record goes between (see the module docstring).

        The row before a port is among the few current rows with the highest ports at or
        below it, found by walking the ports' index backwards (the registry is in port
        order), not by scanning every row below the port.
        """
        rank = TRANSPORTS.index(record.transport) if record.transport in TRANSPORTS else 4
        if record.port is not None:
            port = record.port.low
            rows = self.conn.execute(
                self.text(
                    "SELECT sort_key, valid_to, port_low, transport FROM record_revisions WHERE port_low <= :p "
                    "AND registry = :reg ORDER BY port_low DESC LIMIT 256"
                ),
                {"p": port, "reg": self.registry},
            ).all()
            keys = [
                row[0]
                for row in rows
                if row[1] is None
                and (row[2] < port or (TRANSPORTS.index(row[3]) if row[3] in TRANSPORTS else 4) <= rank)
            ]
            low = max(keys) if keys else None
            after = f"SELECT min(sort_key) FROM record_revisions WHERE {_CURRENT} AND sort_key > :k"
            return self._between_keys(low, after)
        before = (
            f"SELECT coalesce((SELECT max(sort_key) FROM record_revisions WHERE {_CURRENT} AND port_low IS NULL "
            f"AND (name_key < :n OR (name_key = :n AND {_RANK} <= :t))), "
            f"(SELECT max(sort_key) FROM record_revisions WHERE {_CURRENT}))"
        )
        params = {"n": (record.name or "").casefold(), "t": rank}
        after = f"SELECT min(sort_key) FROM record_revisions WHERE {_CURRENT} AND sort_key > :k"
        return self._between(before, after, params)

    def _between(self, before: str, after: str, params: dict[str, Any]) -> int:
        return self._between_keys(self._one(before, params), after)

    def _between_keys(self, low: int | None, after: str) -> int:
        if low is None:
            first = self._one(after.replace("sort_key > :k", "1 = 1"), {"k": 0})
            return (first - GAP) if first is not None else 0
        high = self._one(after, {"k": low})
        if high is None:
            return int(low) + GAP
        if high - low < 2:
            from ..errors import StoreError

            raise StoreError(
                "no room left in the registry's order at this place; import the registry again to respace it"
            )
        # A small step above ``low``, not the middle: new ports are mostly added in
        # ascending runs after one another, and halving the gap each time would exhaust
        # it after 32 of them; 1/64 of it lasts for about a thousand.
        return int(low + max(1, (high - low) // 64))

    def insert_record(self, record_id: int, record: Record, sort_key: int) -> None:
        from ..rules import record_state

        row = self.encoder.record(record)
        row_id = self._next("record_revisions")
        self.conn.execute(
            self.text(
                "INSERT INTO record_revisions (row_id, record_id, "
                "valid_from, valid_to, sort_key, name, name_key, port_low, "
                "port_high, transport, state, registered, modified, service_code, content_hash, registry) VALUES "
                "(:r, :id, :v, NULL, :k, :name, :nk, :lo, :hi, :t, :st, :regd, :mod, :sc, :h, :reg)"
            ),
            {
                "r": row_id,
                "id": record_id,
                "v": self.number,
                "k": sort_key,
                "name": record.name,
                "nk": row.key[3],
                "lo": row.key[0],
                "hi": row.key[1],
                "t": record.transport,
                "st": record_state(record),
                "regd": record.registered,
                "mod": record.modified,
                "sc": record.service_code,
                "h": row.content_hash,
                "reg": self.registry,
            },
        )
        self.conn.execute(
            self.text("INSERT INTO record_bodies (row_id, body, layout) VALUES (:r, :b, :l)"),
            {"r": row_id, "b": row.body, "l": row.layout},
        )
        for person_id, role in sorted(record_people(record)):
            self.conn.execute(
                self.text("INSERT INTO record_people (row_id, person_id, role) VALUES (:r, :p, :role)"),
                {"r": row_id, "p": person_id, "role": role},
            )
        named = sorted(set(record.person_ids()))
        people: dict[str, tuple[str, str | None, str | None]] = {}
        if named:
            from sqlalchemy import bindparam

            sql = self.text(
                f"SELECT person_id, name, org FROM person_revisions WHERE {_CURRENT} AND person_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True))
            people = {
                pid: (pid, name, org) for pid, name, org in self.conn.execute(sql, {"ids": named, "reg": self.registry})
            }
        self._index("record", row_id, search_document(record, people))

    # -- shared

    def _close(self, table: str, row_id: int) -> None:
        self.conn.execute(
            self.text(f"UPDATE {table} SET valid_to = :v WHERE row_id = :r"), {"v": self.number, "r": row_id}
        )

    def _index(self, kind: str, row_id: int, document: tuple[str, ...]) -> None:
        columns = _search.COLUMNS[kind]
        values = [_search.document(self.dialect, t) for t in document]
        if self.dialect == "sqlite":
            self.conn.exec_driver_sql(_search.insert_sql("sqlite", kind)[0], (row_id, *values))
            return
        # PostgreSQL: the importer's weighted vector, over parameters instead of a staged table's columns.
        vector = _PARAMETER.sub(r"to_tsvector('\1', CAST(:\2 AS text))", _search._VECTOR[kind])
        self.conn.execute(
            self.text(f"INSERT INTO {kind}_search (row_id, document) VALUES (:row_id, {vector})"),
            dict(zip(columns, (row_id, *values), strict=True)),
        )
