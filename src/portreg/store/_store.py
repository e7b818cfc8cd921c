"""The :class:`Store`: open a database, publish versions, read model values back.

Every read names a version (the current one unless asked otherwise) and sees the
revision rows valid at it. Reads are plain SQL run through the backend; whole
versions (``registry()``, ``records()``) are rebuilt once and kept in a small
in-memory cache, since a version never changes once published.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..errors import EmptyStore, NotFound
from ..model import Person, Record, Registry
from . import _search
from ._backend import Backend, open_backend
from ._codec import PERSON_COLUMNS, RECORD_COLUMNS, Decoder, bulk
from ._migrate import ensure_schema
from ._registries import UPSTREAM
from ._sync_state import SyncState
from ._transaction import Reader, Transaction
from ._urls import resolve
from ._values import Delta, Diff, RecordChange, SearchPage, StoredRecord, Version, VersionSpan

#: Called inside the transaction of every version a store publishes by import, with the
#: transaction, the version and the registry's name (see :attr:`Store.publish_hooks`).
PublishHook = Callable[[Transaction, Version, str], None]

if TYPE_CHECKING:
    from ._importer import Series
    from ._registries import RegistryTable
    from ._registry_rules import RegistryRulesTable
    from ._translog import LogTable
    from ._watches import WatchQueries

if TYPE_CHECKING:
    from ._workflow import WorkflowStore


_R = ", ".join(f"b.{c}" for c in RECORD_COLUMNS)
_P = ", ".join(f"p.{c}" for c in PERSON_COLUMNS)
#: A stored record: id, sort key, then the columns the decoder reads.
_RECORD = f"r.record_id, r.sort_key, {_R}"
_REVISIONS = "record_revisions r JOIN record_bodies b ON b.row_id = r.row_id"
_VALID_R = "r.registry = :reg AND r.valid_from <= :v AND (r.valid_to IS NULL OR r.valid_to > :v)"
_VALID_P = "p.registry = :reg AND p.valid_from <= :v AND (p.valid_to IS NULL OR p.valid_to > :v)"
_VERSION = "SELECT number, published, created_at, source, actor, record_count, reason FROM versions"
_MINE = "registry = :reg"


class Store:
    """A versioned registry in SQLite or PostgreSQL (see the package docstring)."""

    #: How many rebuilt versions to keep in memory.
    CACHED_VERSIONS = 3

    def __init__(
        self,
        backend: Backend,
        registry: str = UPSTREAM,
        *,
        owner: bool = True,
        hooks: list[PublishHook] | None = None,
    ) -> None:
        self._db = backend
        #: The registry this store object reads and writes (see :meth:`scoped`).
        self.registry_name = registry
        #: Run inside the transaction of every import, after its rows are written, by this
        #: store and every view :meth:`scoped` makes of it (one list, shared): what the
        #: service layer must commit with a version (its overlay conflicts) goes here.
        self.publish_hooks: list[PublishHook] = [] if hooks is None else hooks
        self._owner = owner
        self._cache: OrderedDict[int, tuple[Registry, list[StoredRecord]]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._series: Series | None = None

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (creating or migrating as needed) the store at ``url``.

        ``url`` None means ``$PORTREG_DATABASE_URL``, else a SQLite file in the user's
        data dir. StoreError, naming the URL with its password masked, when the
        database cannot be reached, is not a portreg store, or is newer than this code.
        """
        backend = open_backend(resolve(url))
        try:
            ensure_schema(backend)
        except BaseException:
            backend.close()
            raise
        return cls(backend)

    @property
    def url(self) -> str:
        """Where the store lives, password masked."""
        return self._db.url.masked

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.dialect

    def close(self) -> None:
        if self._owner:
            self._db.close()

    # -- registries

    def scoped(self, registry: str) -> Store:
        """The same database seen as registry ``registry``: its versions, records, people
        and imports. Shares this store's connection (closing it leaves this one open);
        NotFound, with the names it holds, when the store has no such registry."""
        if registry == self.registry_name:
            return self
        from ._registries import RegistryTable

        RegistryTable(self._db).get(registry)
        return Store(self._db, registry, owner=False, hooks=self.publish_hooks)

    @property
    def registries(self) -> RegistryTable:
        """The registries this store holds, their ranges and their conflicts."""
        from ._registries import RegistryTable

        return RegistryTable(self._db)

    @property
    def registry_rules(self) -> RegistryRulesTable:
        """Local registries' rules for the assignment process and the exceptions they record."""
        from ._registry_rules import RegistryRulesTable

        return RegistryRulesTable(self._db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        scope = "" if self.registry_name == UPSTREAM else f", registry={self.registry_name!r}"
        return f"Store({self.url!r}{scope})"

    @property
    def log(self) -> LogTable:
        """The transparency log's leaves (``portreg.services.translog`` builds the tree)."""
        from ._translog import LogTable

        return LogTable(self._db)

    @property
    def watches(self) -> WatchQueries:
        """Which versions changed a port, a range, a name or a person (for feeds of changes)."""
        from ._watches import WatchQueries

        return WatchQueries(self._db, self.registry_name)

    # -- writing

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction for several writes (see ``_transaction``): all or nothing.

        Raises Conflict when a concurrent writer collided (SQLite busy past its timeout,
        a unique constraint), StoreError when the database fails; nothing is written then.
        """
        with self._db.transaction(purpose="write") as conn:
            yield Transaction(conn, self.dialect)

    @cached_property
    def rows(self) -> Reader:
        """Each concept's row operations for reads outside a transaction
        (``store.rows.accounts.by_email(...)``); writes need :meth:`transaction`."""
        return Reader(self._db)

    def import_registry(
        self,
        registry: Registry,
        *,
        source: str,
        actor: str | None = None,
        reason: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        sync_state: SyncState | None = None,
    ) -> Version | None:
        """Publish ``registry`` as a new version, in one transaction (see ``_importer``).

        Returns None, writing nothing, when it is identical to the current version.
        ``progress(done, total)`` is called as rows are written. Raises Conflict when
        another import runs at the same time or published first. ``sync_state`` (the
        validators of the download that brought ``registry``) is written in the same
        transaction, with the number of the version current after it.
        """
        from ._importer import import_registry

        then = None
        if self.publish_hooks:
            hooks, name, dialect = tuple(self.publish_hooks), self.registry_name, self.dialect

            def then(conn: Any, version: Version) -> None:
                tx = Transaction(conn, dialect)
                for hook in hooks:
                    hook(tx, version, name)

        version = import_registry(
            self._db,
            registry,
            source=source,
            actor=actor,
            reason=reason,
            progress=progress,
            series=self._series,
            sync_state=sync_state,
            into=self.registry_name,
            then=then,
        )
        if version is None and sync_state is not None:
            self.save_sync_state(sync_state)
        return version

    def sync_state(self, url: str) -> SyncState | None:
        """The validators the last download of ``url`` answered, if any was recorded."""
        from ._sync_state import load

        return load(self._db, url)

    def save_sync_state(self, state: SyncState) -> None:
        """Record ``state`` for the current version (a download that changed nothing)."""
        from dataclasses import replace

        from sqlalchemy import text

        from ._sync_state import save

        with self._db.transaction() as conn:
            rows = conn.execute(
                text("SELECT max(number) FROM versions WHERE registry = :reg"), {"reg": self.registry_name}
            ).all()
            save(conn, replace(state, version=rows[0][0] if rows else None))

    @contextlib.contextmanager
    def series(self) -> Iterator[Store]:
        """Import a series of consecutive versions (a history) faster.

        Inside, each import keeps the rows it encoded, so that records and people the
        next registry shares with it by identity (what ``formats.xml.memo()`` gives
        when it reads them) are not serialized and hashed again, and the keys and
        hashes of the version it published, so that the next import need not read
        them back (see ``_importer.Series``). Costs the memory of one version's rows
        while it lasts.
        """
        from ._importer import Series

        self._series = Series()
        try:
            yield self
        finally:
            self._series = None

    def workflow(self) -> WorkflowStore:
        """The assignment workflow's tables (requests, holds, reviews, events)."""
        from ._workflow import WorkflowStore

        return WorkflowStore(self._db)

    # -- versions

    def versions(self) -> list[Version]:
        """This registry's versions, oldest first."""
        return [_version(row) for row in self._db.rows(f"{_VERSION} WHERE {_MINE} ORDER BY number", self._reg)]

    def current_version(self) -> Version | None:
        rows = self._db.rows(f"{_VERSION} WHERE {_MINE} ORDER BY number DESC LIMIT 1", self._reg)
        return _version(rows[0]) if rows else None

    @property
    def _reg(self) -> dict[str, Any]:
        return {"reg": self.registry_name}

    def version(self, number: int | None = None, *, at: str | None = None) -> Version:
        """Version ``number``; or the one current on date ``at`` (by the registry's own
        dates: the last version published on or before it); or the current one."""
        if number is not None:
            rows = self._db.rows(f"{_VERSION} WHERE number = :n AND {_MINE}", {"n": number, **self._reg})
            if not rows:
                raise NotFound(f"{self._whose} has no version {number}")
        elif at is not None:
            rows = self._db.rows(
                f"{_VERSION} WHERE published <= :at AND {_MINE} ORDER BY number DESC LIMIT 1", {"at": at, **self._reg}
            )
            if not rows:
                raise NotFound(f"no version of the registry was published on or before {at}")
        else:
            rows = self._db.rows(f"{_VERSION} WHERE {_MINE} ORDER BY number DESC LIMIT 1", self._reg)
            if not rows:
                raise EmptyStore() if self.registry_name == UPSTREAM else NotFound(f"{self._whose} has no version yet")
        return _version(rows[0])

    def _number(self, version: int | None) -> int:
        """The version number reads use: the current one for None (0 when the store is empty)."""
        if version is None:
            return self._db.scalar(f"SELECT max(number) FROM versions WHERE {_MINE}", self._reg) or 0
        if not self._db.rows(f"SELECT 1 FROM versions WHERE number = :n AND {_MINE}", {"n": version, **self._reg}):
            raise NotFound(f"{self._whose} has no version {version}")
        return version

    def _at(self, version: int | None) -> dict[str, Any]:
        """The parameters of a read at ``version``: its number and this registry."""
        return {"v": self._number(version), **self._reg}

    @property
    def _whose(self) -> str:
        return "the store" if self.registry_name == UPSTREAM else f"registry {self.registry_name}"

    # -- whole versions

    def registry(self, version: int | None = None) -> Registry:
        """The whole registry of that version, exactly as imported (layouts included)."""
        return self._snapshot(version)[0]

    def records(self, *, version: int | None = None) -> list[StoredRecord]:
        """Every record of that version with its stable id, in registry order."""
        return list(self._snapshot(version)[1])

    def _snapshot(self, version: int | None) -> tuple[Registry, list[StoredRecord]]:
        number = self._number(version)
        if number == 0:
            raise EmptyStore()
        with self._cache_lock:
            found = self._cache.get(number)
            if found is not None:
                self._cache.move_to_end(number)
                return found
        params = {"v": number, **self._reg}
        decoder = Decoder()
        rows = self._db.rows(f"SELECT {_RECORD} FROM {_REVISIONS} WHERE {_VALID_R} ORDER BY r.sort_key", params)
        people = self._db.rows(f"SELECT {_P} FROM person_revisions p WHERE {_VALID_P} ORDER BY p.sort_key", params)
        head = self._db.scalar("SELECT head FROM versions WHERE number = :v", params)
        with bulk():
            stored = [StoredRecord(row[0], decoder.record(row[2:]), self.registry_name) for row in rows]
            registry = decoder.head(head, tuple(s.record for s in stored), tuple(map(decoder.person, people)))
        with self._cache_lock:
            self._cache[number] = (registry, stored)
            while len(self._cache) > self.CACHED_VERSIONS:
                self._cache.popitem(last=False)
        return registry, stored

    # -- records

    def _records(
        self, where: str, params: dict[str, Any], version: int | None, transport: str | None = None
    ) -> list[StoredRecord]:
        params = {**params, **self._at(version)}
        if transport is not None:
            where += " AND r.transport = :t"
            params["t"] = transport
        rows = self._db.rows(
            f"SELECT {_RECORD} FROM {_REVISIONS} WHERE {where} AND {_VALID_R} ORDER BY r.sort_key", params
        )
        return _stored(rows, self.registry_name)

    def records_at_port(
        self, port: int, *, transport: str | None = None, version: int | None = None
    ) -> list[StoredRecord]:
        """Records whose port is ``port`` or whose range contains it, in registry order."""
        return self._ports("r.port_low = :p", "r.port_low <= :p AND r.port_high >= :p", {"p": port}, transport, version)

    def records_in_range(
        self, low: int, high: int, *, transport: str | None = None, version: int | None = None
    ) -> list[StoredRecord]:
        """Records whose port or range overlaps ``low``..``high``, in registry order."""
        params = {"lo": low, "hi": high}
        return self._ports(
            "r.port_low BETWEEN :lo AND :hi", "r.port_low <= :hi AND r.port_high >= :lo", params, transport, version
        )

    def _ports(
        self, single: str, ranges: str, params: dict[str, Any], transport: str | None, version: int | None
    ) -> list[StoredRecord]:
        """Single ports through the (port_low, port_high) index, ranges through the partial
        index that holds only them: no scan of every row below the port asked for."""
        params = {**params, **self._at(version)}
        only = ""
        if transport is not None:
            only = " AND r.transport = :t"
            params["t"] = transport
        rows = self._db.rows(
            f"SELECT {_RECORD} FROM {_REVISIONS} WHERE {single} AND r.port_high = r.port_low AND {_VALID_R}{only} "
            "UNION ALL "
            f"SELECT {_RECORD} FROM {_REVISIONS} WHERE r.port_high > r.port_low AND {ranges} AND {_VALID_R}{only} "
            "ORDER BY 2",
            params,
        )
        return _stored(rows, self.registry_name)

    def records_named(
        self, name: str, *, transport: str | None = None, version: int | None = None
    ) -> list[StoredRecord]:
        """Records of service name ``name``, compared without regard to case (RFC 6335 §5.1)."""
        return self._records("r.name_key = :name", {"name": name.casefold()}, version, transport)

    def record(self, record_id: int, *, version: int | None = None) -> StoredRecord:
        """Record ``record_id`` as it was in that version; NotFound when it was not in it."""
        found = self._records("r.record_id = :id", {"id": record_id}, version)
        if not found:
            raise NotFound(
                f"record {record_id} is not in {'the current version' if version is None else f'version {version}'}"
            )
        return found[0]

    def record_history(self, record_id: int) -> list[tuple[VersionSpan, Record]]:
        """Every state record ``record_id`` had, oldest first, with the versions it held it in.

        Revisions that differ only in position or search text are merged: this is the
        history of the record's content.
        """
        rows = self._db.rows(
            f"SELECT r.valid_from, r.valid_to, r.content_hash, {_R} FROM {_REVISIONS} "
            "WHERE r.record_id = :id AND r.registry = :reg ORDER BY r.valid_from",
            {"id": record_id, **self._reg},
        )
        if not rows:
            raise NotFound(f"{self._whose} has no record {record_id}")
        decoder = Decoder()
        history: list[tuple[int, int | None, int, Record]] = []
        for valid_from, valid_to, content_hash, *columns in rows:
            if history and history[-1][2] == content_hash and history[-1][1] == valid_from:
                history[-1] = (history[-1][0], valid_to, content_hash, history[-1][3])
            else:
                history.append((valid_from, valid_to, content_hash, decoder.record(columns)))
        return [(VersionSpan(first, None if to is None else to - 1), record) for first, to, _, record in history]

    # -- people

    def person(self, person_id: str, *, version: int | None = None) -> Person | None:
        rows = self._db.rows(
            f"SELECT {_P} FROM person_revisions p WHERE p.person_id = :id AND {_VALID_P}",
            {"id": person_id, **self._at(version)},
        )
        return Decoder().person(rows[0]) if rows else None

    def people(self, *, version: int | None = None) -> list[Person]:
        """Every person of a version (the current one for None), in registry order."""
        rows = self._db.rows(
            f"SELECT {_P} FROM person_revisions p WHERE {_VALID_P} ORDER BY p.sort_key", self._at(version)
        )
        decoder = Decoder()
        return [decoder.person(row) for row in rows]

    def records_of_person(self, person_id: str, *, version: int | None = None) -> list[StoredRecord]:
        """Records naming ``person_id`` (as assignee, contact, or inside a text)."""
        return self._records(
            "r.row_id IN (SELECT row_id FROM record_people WHERE person_id = :pid)", {"pid": person_id}, version
        )

    def search_people(self, text: str, *, limit: int = 50, version: int | None = None) -> list[Person]:
        """People whose id, name, organization or URIs match every word of ``text``, best first."""
        query = _search.query_text(self.dialect, text)
        if query is None:
            return []
        source, condition, rank, direction = _search.PERSON_MATCH[self.dialect]
        rows = self._db.rows(
            f"SELECT {_P} FROM {source} WHERE {condition} AND {_VALID_P} "
            f"ORDER BY {rank} {direction}, p.sort_key LIMIT :limit",
            {"q": query, **self._at(version), "limit": limit},
        )
        decoder = Decoder()
        return [decoder.person(row) for row in rows]

    # -- search and counts

    def search(
        self,
        text: str | None,
        *,
        transport: str | None = None,
        range_class: str | None = None,
        state: str | None = None,
        person: str | None = None,
        person_ids: Sequence[str] | None = None,
        registered_after: str | None = None,
        registered_before: str | None = None,
        modified_after: str | None = None,
        modified_before: str | None = None,
        limit: int = 50,
        offset: int = 0,
        version: int | None = None,
    ) -> SearchPage:
        """Ranked full-text search with filters; ``text`` None: the filters alone, in registry order.

        Every word of ``text`` must match (stemmed: "databases" finds "database"). The
        filters mean what :class:`portreg.services.filters.RecordFilter` says: a
        ``transport`` keeps records without one too; ``range_class`` is that of a record's
        first port; ``person`` (an exact id) and ``person_ids`` (any of them) in any role;
        a date bound compares the record's date cut to the bound's length, both bounds
        inclusive (``registered_before=2005`` keeps ``2005-08-15``).
        """
        where = [_VALID_R]
        params: dict[str, Any] = {**self._at(version), "limit": limit, "offset": offset}
        if transport is not None:
            where.append("(r.transport = :transport OR r.transport IS NULL)")
            params["transport"] = transport
        if state is not None:
            where.append("r.state = :state")
            params["state"] = state
        for column, op, value in (
            ("registered", ">=", registered_after),
            ("registered", "<=", registered_before),
            ("modified", ">=", modified_after),
            ("modified", "<=", modified_before),
        ):
            if value is not None:
                name = f"f{len(params)}"
                where.append(f"substr(r.{column}, 1, {len(value)}) {op} :{name}")
                params[name] = value
        if range_class is not None:
            from ..rules import DYNAMIC_PORTS, SYSTEM_PORTS, USER_PORTS

            ports = {"system": SYSTEM_PORTS, "user": USER_PORTS, "dynamic": DYNAMIC_PORTS}[range_class]
            where.append("r.port_low BETWEEN :rc_low AND :rc_high")
            params.update(rc_low=ports.low, rc_high=ports.high)
        if person is not None:
            where.append("r.row_id IN (SELECT row_id FROM record_people WHERE person_id = :person)")
            params["person"] = person
        if person_ids is not None:
            if not person_ids:
                return SearchPage(0, [])
            names = {f"pid{i}": pid for i, pid in enumerate(person_ids)}
            held = ", ".join(f":{n}" for n in names)
            where.append(f"r.row_id IN (SELECT row_id FROM record_people WHERE person_id IN ({held}))")
            params.update(names)
        if text is None:
            source, rank, direction = "record_revisions r", "0", "ASC"
        else:
            query = _search.query_text(self.dialect, text)
            if query is None:
                return SearchPage(0, [])
            source, condition, rank, direction = _search.RECORD_MATCH[self.dialect]
            where.append(condition)
            params["q"] = query
        condition = " AND ".join(where)
        # Rank and cut the page on the narrow table, then read the bodies of that page only.
        rows = self._db.rows(
            f"SELECT t.record_id, t.sort_key, {_R} FROM (SELECT r.row_id, r.record_id, r.sort_key, {rank} AS score "
            f"FROM {source} WHERE {condition} ORDER BY score {direction}, r.sort_key LIMIT :limit OFFSET :offset) t "
            f"JOIN record_bodies b ON b.row_id = t.row_id ORDER BY t.score {direction}, t.sort_key",
            params,
        )
        if offset == 0 and len(rows) < limit:
            total = len(rows)
        else:
            total = self._db.scalar(f"SELECT count(*) FROM {source} WHERE {condition}", params)
        return SearchPage(total, _stored(rows, self.registry_name))

    def stats(self, *, version: int | None = None) -> dict[str, Any]:
        """Counts: ``records``, ``people``, ``by_state``, ``by_transport``, ``by_range_class``,
        ``by_year`` (of registration). Rows without a transport, port or date count under "none"."""
        from ..rules import SYSTEM_PORTS, USER_PORTS

        params = {**self._at(version), "sys": SYSTEM_PORTS.high, "usr": USER_PORTS.high}
        rows = self._db.rows(
            "SELECT r.state, coalesce(r.transport, 'none'), "
            "CASE WHEN r.port_low IS NULL THEN 'none' WHEN r.port_low <= :sys THEN 'system' "
            "WHEN r.port_low <= :usr THEN 'user' ELSE 'dynamic' END, "
            f"coalesce(substr(r.registered, 1, 4), 'none'), count(*) FROM record_revisions r WHERE {_VALID_R} "
            "GROUP BY 1, 2, 3, 4",
            params,
        )
        result: dict[str, Any] = {"version": params["v"], "records": sum(row[4] for row in rows)}
        for position, key in enumerate(("by_state", "by_transport", "by_range_class", "by_year")):
            counts: dict[str, int] = {}
            for row in rows:
                counts[row[position]] = counts.get(row[position], 0) + row[4]
            result[key] = dict(sorted(counts.items()))
        result["people"] = self._db.scalar(f"SELECT count(*) FROM person_revisions p WHERE {_VALID_P}", params)
        return result

    # -- differences

    def diff(self, old: int, new: int) -> Diff:
        """What changed from version ``old`` to ``new`` (either may be the later one).

        Reads only the rows whose validity starts or ends between the two versions.
        """
        old_version, new_version = self.version(old), self.version(new)
        low, high = min(old, new), max(old, new)
        params = {"lo": low, "hi": high, **self._reg}
        only_low = "registry = :reg AND valid_from <= :lo AND valid_to > :lo AND valid_to <= :hi"
        only_high = (
            "registry = :reg AND valid_from > :lo AND valid_from <= :hi AND (valid_to IS NULL OR valid_to > :hi)"
        )
        select = f"SELECT {_RECORD}, r.content_hash FROM {_REVISIONS} WHERE "
        at_low = {row[0]: row for row in self._db.rows(select + only_low, params)}
        at_high = {row[0]: row for row in self._db.rows(select + only_high, params)}
        gone, came = (at_low, at_high) if old <= new else (at_high, at_low)
        decoder = Decoder()

        def stored(row: tuple[Any, ...]) -> StoredRecord:
            return StoredRecord(row[0], decoder.record(row[2:-1]), self.registry_name)

        added = [stored(row) for rid, row in sorted(came.items(), key=lambda i: i[1][1]) if rid not in gone]
        removed = [stored(row) for rid, row in sorted(gone.items(), key=lambda i: i[1][1]) if rid not in came]
        changed = [
            RecordChange(rid, decoder.record(gone[rid][2:-1]), decoder.record(row[2:-1]))
            for rid, row in sorted(came.items(), key=lambda i: i[1][1])
            if rid in gone and gone[rid][-1] != row[-1]
        ]
        person_rows = "SELECT person_id, content_hash FROM person_revisions WHERE "
        people_low = dict(self._db.rows(person_rows + only_low, params))
        people_high = dict(self._db.rows(person_rows + only_high, params))
        people_changed = sorted(
            p for p in people_low.keys() | people_high.keys() if people_low.get(p) != people_high.get(p)
        )
        heads = dict(self._db.rows("SELECT number, head FROM versions WHERE number IN (:lo, :hi)", params))
        return Diff(old_version, new_version, added, removed, changed, people_changed, heads[low] != heads[high])

    def delta(self, old: int, new: int) -> Delta:
        """Every stored difference from version ``old`` to ``new``, enough to rebuild ``new``
        from ``old`` exactly (see ``_delta``); what the history service builds its diffs on."""
        from ._delta import delta

        return delta(self._db, self.version(old), self.version(new), self.registry_name)


def _version(row: tuple[Any, ...]) -> Version:
    number, published, created_at, source, actor, record_count, reason = row
    return Version(number, published, datetime.fromisoformat(created_at), source, actor, record_count, reason)


def _stored(rows: list[tuple[Any, ...]], source: str) -> list[StoredRecord]:
    decoder = Decoder()
    return [StoredRecord(row[0], decoder.record(row[2:]), source) for row in rows]
