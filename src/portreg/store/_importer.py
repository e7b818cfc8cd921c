"""Publishing a registry as a new version: one transaction, only the rows that changed.

1. Serialize every record and person and hash them (``_encoder``); the version's hash
   says at once whether the registry is identical to the current version (then
   nothing is written).
2. Under the store's write lock, check that the current version is still the one this
   import started from (else Conflict: another import won), load the current rows'
   keys and hashes, match records (``_matching``) and people (by id).
3. Close the intervals of rows that changed or went away, insert revisions for the
   rows that are new or changed, with their people links and search documents, all
   with executemany in chunks. Commit: the version appears whole or not at all.

A record gets a new revision when its content changed, when it moved in the order, or
when a person it names changed name or organization (its search document changed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import Conflict
from ..model import Registry
from . import _search
from ._codec import Decoder, bulk
from ._encoder import Encoder, PersonRow, RecordRow, person_document, record_people, search_document, version_hash
from ._matching import match, sort_keys
from ._values import Version

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ._backend import Backend
    from ._sync_state import SyncState

Progress = Callable[[int, int], None]
#: Work done inside an import's transaction, after its rows are written.
Then = Callable[["Connection", Version], None]

#: Rows per executemany call; progress is reported after each.
CHUNK = 2000


def import_registry(
    backend: Backend,
    registry: Registry,
    *,
    source: str,
    actor: str | None = None,
    reason: str | None = None,
    progress: Progress | None = None,
    series: Series | None = None,
    sync_state: SyncState | None = None,
    into: str = "iana",
    then: Then | None = None,
) -> Version | None:
    """Store ``registry`` as the next version of registry ``into``; None (nothing written)
    when identical to that registry's current one.

    ``then(conn, version)`` runs inside the transaction once the version's rows are
    written (reads on ``conn`` see them): what must commit with the version or not at
    all, such as the conflicts it brings. Whatever it raises rolls the version back.

    ``series``: what a series of imports carries from one to the next (see :class:`Series`).
    ``sync_state`` is written in the same transaction, naming the new version. The new
    version's number follows every registry's (one sequence); its rows are matched
    against, and close, only rows of ``into``.
    """
    with bulk():
        return _import(
            backend,
            registry,
            source=source,
            actor=actor,
            reason=reason,
            progress=progress,
            series=series or Series(False),
            sync_state=sync_state,
            into=into,
            then=then,
        )


class Series:
    """What consecutive imports in one process hand on to the next (``Store.series()``).

    The encoder keeps the rows it made (see :class:`Encoder`); ``current`` holds the
    current version's rows as the planning reads them (records and people, in order),
    with the (number, hash) of the version they describe. An import that finds the store
    still at that version plans from them instead of reading 20,000 rows back: the
    check runs under the write lock, so rows another process published are never
    mistaken for these.
    """

    def __init__(self, remember: bool = True) -> None:
        self.encoder = Encoder(remember=remember)
        self.remember = remember
        self.current: tuple[tuple[int, str | None], list[Any], list[Any], list[Any]] | None = None


def _import(
    backend: Backend,
    registry: Registry,
    *,
    source: str,
    actor: str | None,
    reason: str | None,
    progress: Progress | None,
    series: Series,
    sync_state: SyncState | None = None,
    into: str,
    then: Then | None = None,
) -> Version | None:
    from sqlalchemy import text

    current = text(_CURRENT)
    started = _current(backend.rows(_CURRENT, {"reg": into}))
    encoder = series.encoder
    head = encoder.head(registry)
    records, people = encoder.rows(registry)
    digest = version_hash(head, records, people)
    if started[1] == digest:
        return None
    with backend.transaction() as conn:
        now = _current(conn.execute(current, {"reg": into}).all())
        if now != started:
            raise Conflict(
                f"{backend.url.masked}: version {now[0]} was published by another import while this one ran; "
                "nothing was written"
            )
        last = conn.exec_driver_sql("SELECT coalesce(max(number), 0) FROM versions").scalar() or 0
        version = Version(
            number=last + 1,
            published=registry.updated,
            created_at=datetime.now(UTC),
            source=source,
            actor=actor,
            record_count=len(records),
            reason=reason,
        )
        known, series.current = series.current, None
        writer = _Writer(
            conn, backend.dialect, version, into, progress, known[1:] if known and known[0] == now else None
        )
        writer.write(head, digest, records, people)
        if sync_state is not None:
            from dataclasses import replace

            from ._sync_state import save

            save(conn, replace(sync_state, version=version.number))
        if then is not None:
            then(conn, version)
    if series.remember:
        series.current = ((version.number, digest), writer.records_now, writer.people_now, writer.keys_now)
    return version


#: A registry's current version: number and content hash.
_CURRENT = "SELECT number, content_hash FROM versions WHERE registry = :reg ORDER BY number DESC LIMIT 1"


def _current(rows: Sequence[Sequence[Any]]) -> tuple[int, str | None]:
    return (rows[0][0], rows[0][1]) if rows else (0, None)


class _Writer:
    def __init__(
        self,
        conn: Connection,
        dialect: str,
        version: Version,
        registry: str,
        progress: Progress | None,
        known: tuple[list[Any], list[Any], list[Any]] | None,
    ) -> None:
        """``known``: the current version's record rows, person rows and record keys, as the plans read them."""
        self.known = known
        #: The new version's rows as the plans read them, for the next import of a series.
        self.records_now: list[Any] = []
        self.people_now: list[Any] = []
        self.keys_now: list[Any] = []
        self.conn = conn
        self.dialect = dialect
        self.version = version
        self.number = version.number
        self.registry = registry
        self.progress = progress
        self.done = 0
        self.total = 0

    def write(self, head: str, digest: str, records: list[RecordRow], people: list[PersonRow]) -> None:
        from . import schema

        v = self.version
        self.conn.execute(
            schema.versions.insert(),
            {
                "number": v.number,
                "published": v.published,
                "created_at": v.created_at.isoformat(),
                "source": v.source,
                "actor": v.actor,
                "reason": v.reason,
                "record_count": len(records),
                "person_count": len(people),
                "content_hash": digest,
                "head": head,
                "registry": self.registry,
            },
        )
        person_plan, changed_people = self._plan_people(people)
        record_plan = self._plan_records(records, changed_people)
        self.total = sum(len(rows) for rows in (*person_plan, *record_plan[:2]))  # revisions written and closed
        self._report()
        self._write_people(people, *person_plan)
        self._write_records(records, {p.person.id: p.search_text for p in people}, *record_plan)

    # -- planning: which rows to close, which to insert

    def _plan_people(self, people: list[PersonRow]) -> tuple[tuple[list[Any], ...], set[str]]:
        """People are matched by id (IANA's own key). Returns (inserts, closes) and the ids
        whose search text changed (added, removed, renamed)."""
        old: Sequence[Any]
        if self.known is not None:
            old = self.known[1]
        else:
            old = self._open_rows(
                "SELECT row_id, person_id, sort_key, content_hash, name, org FROM person_revisions "
                "WHERE valid_to IS NULL AND registry = :reg ORDER BY sort_key"
            )
        by_id = {row[1]: row for row in old}
        matched = [by_id.pop(p.person.id, None) for p in people]
        keys = sort_keys([m[2] if m is not None else None for m in matched])
        inserts, closes = [], [{"closing": row[0]} for row in by_id.values()]
        changed = set(by_id)
        for i, (row, found) in enumerate(zip(people, matched)):
            if found is not None and found[3] == row.content_hash and found[2] == keys[i]:
                continue
            person = row.person
            if found is None:
                changed.add(person.id)
            else:
                closes.append({"closing": found[0]})
                if (found[4], found[5]) != (person.name, person.org):
                    changed.add(person.id)
            inserts.append((i, keys[i]))
            matched[i] = None
        self.people_now = matched
        return (inserts, closes), changed

    def _plan_records(self, records: list[RecordRow], changed_people: set[str]) -> tuple[list[Any], ...]:
        old: Sequence[Any]
        if self.known is not None:
            old, old_keys = self.known[0], self.known[2]
        else:
            old = self._open_rows(
                "SELECT row_id, record_id, sort_key, content_hash, port_low, port_high, transport, name_key "
                "FROM record_revisions WHERE valid_to IS NULL AND registry = :reg ORDER BY sort_key"
            )
            old_keys = [row[4:] for row in old]
        self.keys_now = [r.key for r in records]
        matches = match(old_keys, self.keys_now, self._assignees(old), lambda j: records[j].record.assignees)
        keys = sort_keys([old[m][2] if m is not None else None for m in matches])
        unmatched = set(range(len(old))).difference(m for m in matches if m is not None)
        stale = self._naming(changed_people) if old and changed_people else set()
        closes = [{"closing": old[i][0]} for i in sorted(unmatched)]
        inserts, new_ids = [], []
        now: list[Any] = [None] * len(records)
        next_id = (self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM records").scalar() or 0) + 1
        for j, (row, m) in enumerate(zip(records, matches)):
            if m is not None:
                found = old[m]
                if found[3] == row.content_hash and found[2] == keys[j] and found[0] not in stale:
                    now[j] = found
                    continue
                closes.append({"closing": found[0]})
                inserts.append((j, keys[j], found[1]))
            else:
                new_ids.append({"id": next_id, "first_version": self.number, "registry": self.registry})
                inserts.append((j, keys[j], next_id))
                next_id += 1
        self.records_now = now
        return inserts, closes, new_ids

    def _open_rows(self, sql: str) -> Sequence[Any]:
        """The current (open) rows of this registry that ``sql`` selects."""
        from sqlalchemy import text

        return self.conn.execute(text(sql), {"reg": self.registry}).all()

    def _assignees(self, old: Sequence[Any]) -> Callable[[int], tuple[str, ...]]:
        """The assignee ids of old row ``i``, read from the database when matching asks."""
        from sqlalchemy import text

        sql = text("SELECT body, layout FROM record_bodies WHERE row_id = :id")
        return lambda i: Decoder().record(self.conn.execute(sql, {"id": old[i][0]}).one()).assignees

    def _naming(self, people: set[str]) -> set[int]:
        """Current revisions naming any of ``people``: their search documents are stale."""
        from sqlalchemy import bindparam, text

        sql = text(
            "SELECT rp.row_id FROM record_people rp JOIN record_revisions r ON r.row_id = rp.row_id "
            "WHERE r.valid_to IS NULL AND r.registry = :reg AND rp.person_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        return {row_id for (row_id,) in self.conn.execute(sql, {"ids": sorted(people), "reg": self.registry})}

    # -- writing

    def _write_people(self, people: list[PersonRow], inserts: list[Any], closes: list[Any]) -> None:
        from . import schema

        self._close(schema.person_revisions, closes)
        row_id = self._next_row_id("person_revisions")
        revisions, documents = [], []
        now = self.people_now
        for offset, (i, key) in enumerate(inserts):
            p = people[i]
            person = p.person
            now[i] = (row_id + offset, person.id, key, p.content_hash, person.name, person.org)
            revisions.append(
                {
                    "row_id": row_id + offset,
                    "person_id": person.id,
                    "valid_from": self.number,
                    "valid_to": None,
                    "sort_key": key,
                    "name": person.name,
                    "org": person.org,
                    "uris": p.uris,
                    "updated": person.updated,
                    "layout": p.layout,
                    "content_hash": p.content_hash,
                    "registry": self.registry,
                }
            )
            documents.append((row_id + offset, *(_search.document(self.dialect, t) for t in person_document(person))))
        self._insert(schema.person_revisions.insert(), revisions)
        self._index("person", documents)

    def _write_records(
        self,
        records: list[RecordRow],
        people_text: dict[str, tuple[str, str | None, str | None]],
        inserts: list[Any],
        closes: list[Any],
        new_ids: list[Any],
    ) -> None:
        from ..rules import record_state
        from . import schema

        self._close(schema.record_revisions, closes)
        self._insert(schema.records.insert(), new_ids, count=False)
        row_id = self._next_row_id("record_revisions")
        revisions: list[dict[str, Any]] = []
        bodies: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        documents: list[tuple[Any, ...]] = []
        now = self.records_now
        for offset, (j, key, record_id) in enumerate(inserts):
            row = records[j]
            record = row.record
            rid = row_id + offset
            now[j] = (rid, record_id, key, row.content_hash, *row.key)
            revisions.append(
                {
                    "row_id": rid,
                    "record_id": record_id,
                    "valid_from": self.number,
                    "valid_to": None,
                    "sort_key": key,
                    "name": record.name,
                    "name_key": row.key[3],
                    "port_low": row.key[0],
                    "port_high": row.key[1],
                    "transport": record.transport,
                    "state": record_state(record),
                    "registered": record.registered,
                    "modified": record.modified,
                    "service_code": record.service_code,
                    "content_hash": row.content_hash,
                    "registry": self.registry,
                }
            )
            bodies.append({"row_id": rid, "body": row.body, "layout": row.layout})
            links.extend({"row_id": rid, "person_id": pid, "role": role} for pid, role in sorted(record_people(record)))
            documents.append((rid, *(_search.document(self.dialect, t) for t in search_document(record, people_text))))
        self._insert(schema.record_revisions.insert(), revisions)
        self._insert(schema.record_bodies.insert(), bodies, count=False)
        self._insert(schema.record_people.insert(), links, count=False)
        self._index("record", documents)

    def _close(self, table: Any, closes: list[dict[str, Any]]) -> None:
        from sqlalchemy import bindparam

        if closes:
            statement = table.update().where(table.c.row_id == bindparam("closing")).values(valid_to=self.number)
            self._insert(statement, closes)

    def _next_row_id(self, table: str) -> int:
        return (self.conn.exec_driver_sql(f"SELECT coalesce(max(row_id), 0) FROM {table}").scalar() or 0) + 1

    def _index(self, kind: str, documents: list[tuple[Any, ...]]) -> None:
        """Add search documents (tuples in the order of ``_search.COLUMNS[kind]``)."""
        if not documents:
            return
        statements = _search.insert_sql(self.dialect, kind)
        if self.dialect == "sqlite":
            for start in range(0, len(documents), CHUNK):
                self.conn.exec_driver_sql(statements[0], documents[start : start + CHUNK])
        else:
            self.conn.exec_driver_sql(statements[0])
            self._copy(f"staged_{kind}", _search.COLUMNS[kind], documents)
            self.conn.exec_driver_sql(statements[1])

    def _insert(self, statement: Any, rows: list[dict[str, Any]], *, count: bool = True) -> None:
        """executemany in chunks, straight to the driver; COPY for plain inserts on PostgreSQL.

        The SQL is compiled once from the Core statement; skipping SQLAlchemy's per-row
        parameter processing (plain ints and strings need none) halves an import's time.
        PostgreSQL's COPY is three times faster again than its executemany.
        """
        if not rows:
            return
        compiled = statement.compile(dialect=self.conn.dialect)
        defaults = compiled.params
        names = compiled.positiontup if compiled.positional else None
        copy = self.dialect == "postgresql" and statement.is_insert  # all of ours are plain table inserts
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if copy:
                columns = tuple(chunk[0])
                self._copy(statement.table.name, columns, [tuple(row[c] for c in columns) for row in chunk])
            elif names is not None:
                self.conn.exec_driver_sql(
                    compiled.string, [tuple(row[n] if n in row else defaults[n] for n in names) for row in chunk]
                )
            else:
                self.conn.exec_driver_sql(compiled.string, [{**defaults, **row} for row in chunk])
            if count:
                self.done += len(chunk)
                self._report()

    def _copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: COPY ``rows`` into ``table``, inside the import's transaction."""
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)

