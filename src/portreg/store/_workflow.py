"""The workflow's tables: requests, holds, expert reviews and the hash-chained event trail.

The service (:mod:`portreg.services.workflow`) decides; this module only reads and
writes. Every write runs in :meth:`WorkflowStore.transaction`, which holds the store's
write lock (the same one imports take), so that a check made inside it (is the port
still free? is the name still unheld?) stays true until the commit, and a state change,
its event, its holds and its publication commit together or not at all.

Events are chained: each carries the hash of the one before and its own hash over its
fields (:func:`event_hash`), and each request row keeps the sequence number and hash of
its latest event, so removing the last event of a request is seen as well as editing
or removing any other. The database refuses UPDATE and DELETE on ``request_events``
(triggers, see ``schema.WORKFLOW_DDL``).
"""

from __future__ import annotations

import contextlib
import hashlib
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ._codec import Decoder, dumps, loads
from ._registries import UPSTREAM

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ._backend import Backend
    from ._registry_rules import LocalRules
    from ._transaction import Transaction
    from ._values import Change, StoredRecord, Version

REQUEST_COLUMNS = (
    "id", "kind", "state", "etag", "requester_id", "requester_email", "service_name", "name_key", "port", "data",
    "turn", "resume_state", "is_open", "created_at", "state_since", "published_version", "last_event", "last_hash",
    "registry",
)
EVENT_COLUMNS = (
    "seq",
    "request_id",
    "at",
    "actor_id",
    "actor",
    "role",
    "kind",
    "from_state",
    "to_state",
    "reason",
    "data",
    "prev_hash",
    "hash",
)
_REQUEST = "SELECT " + ", ".join(REQUEST_COLUMNS) + " FROM requests"
_EVENT = "SELECT " + ", ".join(EVENT_COLUMNS) + " FROM request_events"

#: How long a workflow write waits for SQLite's write lock (milliseconds).
WAIT_MS = 60000

#: The hash the first event chains from.
GENESIS = "0" * 64


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's fields as canonical JSON."""
    fields = [event[c] for c in EVENT_COLUMNS if c not in ("prev_hash", "hash")]
    return hashlib.sha256((prev_hash + "\n" + dumps(fields)).encode("utf-8")).hexdigest()


def _request(row: Sequence[Any]) -> dict[str, Any]:
    found = dict(zip(REQUEST_COLUMNS, row))
    found["data"] = loads(found["data"])
    return found


def _event(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(EVENT_COLUMNS, row))


class WorkflowStore:
    """Reads of the workflow's tables, and the door to its write transactions."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend

    # -- reads

    def request(self, request_id: int) -> dict[str, Any] | None:
        rows = self._db.rows(f"{_REQUEST} WHERE id = :id", {"id": request_id})
        return _request(rows[0]) if rows else None

    def requests(
        self,
        *,
        requester_id: int | None = None,
        groups: Sequence[str] | None = None,
        states: Sequence[str] | None = None,
        open_only: bool = False,
        limit: int = 100,
        offset: int = 0,
        registry: str | None = None,
    ) -> list[dict[str, Any]]:
        """Requests, newest first, narrowed to a requester's own, to those an expert group
        reviews (or reviewed), to some states, to open ones, or to one registry's."""
        where: list[str] = ["1 = 1"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if registry is not None:
            where.append("registry = :registry")
            params["registry"] = registry
        if requester_id is not None:
            where.append("requester_id = :rid")
            params["rid"] = requester_id
        if groups is not None:
            names = [f":g{i}" for i in range(len(groups))] or ["NULL"]
            where.append(f"id IN (SELECT request_id FROM request_reviews WHERE review_group IN ({', '.join(names)}))")
            params.update({f"g{i}": g for i, g in enumerate(groups)})
        if states is not None:
            names = [f":s{i}" for i in range(len(states))] or ["NULL"]
            where.append(f"state IN ({', '.join(names)})")
            params.update({f"s{i}": s for i, s in enumerate(states)})
        if open_only:
            where.append("is_open = 1")
        rows = self._db.rows(
            f"{_REQUEST} WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT :limit OFFSET :offset", params
        )
        return [_request(r) for r in rows]

    def reviews(self, request_id: int) -> list[dict[str, Any]]:
        rows = self._db.rows(
            "SELECT review_group, decision, expert_id, decided_at FROM "
            "request_reviews WHERE request_id = :id ORDER BY review_group",
            {"id": request_id},
        )
        return [dict(zip(("group", "decision", "expert_id", "decided_at"), r)) for r in rows]

    def events(self, request_id: int | None = None) -> list[dict[str, Any]]:
        """The events of one request, or of all, in the order they were written."""
        if request_id is None:
            return [_event(r) for r in self._db.rows(f"{_EVENT} ORDER BY seq")]
        return [_event(r) for r in self._db.rows(f"{_EVENT} WHERE request_id = :id ORDER BY seq", {"id": request_id})]

    def heads(self) -> list[tuple[int, int | None, str | None]]:
        """Each request's (id, latest event seq, its hash), for verifying the trail's ends."""
        return [tuple(r) for r in self._db.rows("SELECT id, last_event, last_hash FROM requests ORDER BY id")]

    def holders(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Which open request holds each (kind, key), for those that are held."""
        found = {}
        for kind, key in keys:
            holder = self._db.scalar(
                "SELECT request_id FROM request_holds WHERE kind = :k AND hold_key = :h", {"k": kind, "h": key}
            )
            if holder is not None:
                found[(kind, key)] = holder
        return found

    def service_code_records(self, code: str) -> int:
        """How many current records carry DCCP service code ``code``."""
        return int(
            self._db.scalar(
                "SELECT count(*) FROM record_revisions "
                "WHERE valid_to IS NULL AND registry = 'iana' AND service_code = :c",
                {"c": code},
            )
            or 0
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[WorkflowTransaction]:
        """One write transaction under the store's write lock, waiting for it up to
        :data:`WAIT_MS` (SQLite; PostgreSQL waits on its advisory lock): a reviewer's
        action queues behind the others rather than failing when many come at once."""
        raw = getattr(self._db, "raw", None)
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout = {WAIT_MS}")
        try:
            with self._db.transaction(purpose="workflow") as conn:
                yield WorkflowTransaction(conn, self._db.dialect)
        finally:
            if raw is not None:
                from ._backend import BUSY_TIMEOUT_MS

                raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


class WorkflowTransaction:
    """The writes (and reads that must see them) of one workflow transaction."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        from sqlalchemy import text

        self.conn = conn
        self.dialect = dialect
        self._text = text
        self._at: dict[tuple[str, int], list[StoredRecord]] = {}
        self._named: dict[tuple[str, str], list[StoredRecord]] = {}
        self._last: tuple[int, str] | None = None

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(self._text(sql), params or {})]

    def _scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.conn.execute(self._text(sql), params or {}).scalar()

    @cached_property
    def shared(self) -> Transaction:
        """The same transaction as the store's :class:`Transaction`, for other services'
        writes (the mail outbox) that must commit with the workflow's."""
        from ._transaction import Transaction

        return Transaction(self.conn, self.dialect)

    # -- requests

    def request(self, request_id: int) -> dict[str, Any] | None:
        rows = self._rows(f"{_REQUEST} WHERE id = :id", {"id": request_id})
        return _request(rows[0]) if rows else None

    def next_request_id(self) -> int:
        return int(self._scalar("SELECT coalesce(max(id), 0) FROM requests") or 0) + 1

    def insert_request(self, row: dict[str, Any]) -> None:
        values = {**row, "data": dumps(row["data"])}
        names = [c for c in REQUEST_COLUMNS if c in values]
        self.conn.execute(
            self._text(f"INSERT INTO requests ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"),
            {n: values[n] for n in names},
        )

    def update_request(self, request_id: int, **fields: Any) -> None:
        """Change some columns of a request and bump its etag."""
        if "data" in fields:
            fields["data"] = dumps(fields["data"])
        sets = ", ".join(f"{name} = :{name}" for name in fields)
        self.conn.execute(
            self._text(f"UPDATE requests SET {sets}{', ' if sets else ''}etag = etag + 1 WHERE id = :request_id"),
            {**fields, "request_id": request_id},
        )

    # -- holds

    def holders(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Which open request holds each of ``keys`` (one query for all of them)."""
        if not keys:
            return {}
        where = " OR ".join(f"(kind = :k{i} AND hold_key = :h{i})" for i in range(len(keys)))
        params: dict[str, Any] = {}
        for i, (kind, key) in enumerate(keys):
            params[f"k{i}"], params[f"h{i}"] = kind, key
        rows = self._rows(f"SELECT kind, hold_key, request_id FROM request_holds WHERE {where}", params)
        return {(kind, key): int(rid) for kind, key, rid in rows}

    def hold(self, request_id: int, keys: Sequence[tuple[str, str]]) -> None:
        for kind, key in keys:
            self.conn.execute(
                self._text("INSERT INTO request_holds (kind, hold_key, request_id) VALUES (:k, :h, :r)"),
                {"k": kind, "h": key, "r": request_id},
            )

    def release(self, request_id: int) -> None:
        self.conn.execute(self._text("DELETE FROM request_holds WHERE request_id = :r"), {"r": request_id})

    # -- reviews

    def start_reviews(self, request_id: int, groups: Sequence[str]) -> None:
        self.conn.execute(self._text("DELETE FROM request_reviews WHERE request_id = :r"), {"r": request_id})
        for group in groups:
            self.conn.execute(
                self._text(
                    "INSERT INTO request_reviews (request_id, review_group, decision) VALUES (:r, :g, 'pending')"
                ),
                {"r": request_id, "g": group},
            )

    def decide_review(self, request_id: int, group: str, decision: str, expert_id: int | None, at: str) -> None:
        self.conn.execute(
            self._text(
                "UPDATE request_reviews SET decision = :d, expert_id = :e, "
                "decided_at = :at WHERE request_id = :r AND review_group = :g"
            ),
            {"d": decision, "e": expert_id, "at": at, "r": request_id, "g": group},
        )

    def review_rows(self, request_id: int) -> list[dict[str, Any]]:
        """The request's reviews as :meth:`WorkflowStore.reviews` gives them, inside this transaction."""
        rows = self._rows(
            "SELECT review_group, decision, expert_id, decided_at FROM request_reviews "
            "WHERE request_id = :id ORDER BY review_group",
            {"id": request_id},
        )
        return [dict(zip(("group", "decision", "expert_id", "decided_at"), r, strict=True)) for r in rows]

    def events(self, request_id: int) -> list[dict[str, Any]]:
        """The request's events in order, inside this transaction."""
        return [_event(r) for r in self._rows(f"{_EVENT} WHERE request_id = :id ORDER BY seq", {"id": request_id})]

    def reviews(self, request_id: int) -> dict[str, str]:
        return dict(
            self._rows("SELECT review_group, decision FROM request_reviews WHERE request_id = :r", {"r": request_id})
        )

    # -- events

    def append_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Add an event at the end of the chain; fills ``seq``, ``prev_hash``, ``hash``.

        Also records it as its request's latest event.
        """
        if self._last is None:
            last = self._rows("SELECT seq, hash FROM request_events ORDER BY seq DESC LIMIT 1")
            self._last = (last[0][0], last[0][1]) if last else (0, GENESIS)
        seq, prev = self._last[0] + 1, self._last[1]
        row = {**event, "seq": seq, "prev_hash": prev}
        row["data"] = row["data"] if isinstance(row["data"], str) else dumps(row["data"])
        row["hash"] = event_hash(prev, row)
        self.conn.execute(
            self._text(
                f"INSERT INTO request_events ({', '.join(EVENT_COLUMNS)}) "
                f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"
            ),
            row,
        )
        self.conn.execute(
            self._text("UPDATE requests SET last_event = :s, last_hash = :h WHERE id = :r"),
            {"s": seq, "h": row["hash"], "r": row["request_id"]},
        )
        self._last = (seq, row["hash"])
        return row

    # -- the registry, as it stands under the lock

    def records_at(self, port: int, transport: str | None = None, registry: str = UPSTREAM) -> list[StoredRecord]:
        """Current records of ``registry`` whose port or range holds ``port`` (on ``transport``).

        Read once per port and transaction (checks and publication ask about the same
        port on each transport; on PostgreSQL each query is a round trip).
        """
        found = self._at.get((registry, port))
        if found is None:
            # Single ports through the ports' index, ranges through the partial index of ranges.
            singles = self._records("r.port_low = :p AND r.port_high = r.port_low", {"p": port}, registry)
            ranges = self._records(
                "r.port_high > r.port_low AND r.port_low <= :p AND r.port_high >= :p", {"p": port}, registry
            )
            found = self._at[(registry, port)] = singles + ranges
        return found if transport is None else [s for s in found if s.record.transport == transport]

    def records_named(self, name: str, registry: str = UPSTREAM) -> list[StoredRecord]:
        key = name.casefold()
        found = self._named.get((registry, key))
        if found is None:
            found = self._named[(registry, key)] = self._records("r.name_key = :n", {"n": key}, registry)
        return found

    def service_code_records(self, code: str, registry: str = UPSTREAM) -> int:
        return int(
            self._scalar(
                "SELECT count(*) FROM record_revisions "
                "WHERE valid_to IS NULL AND registry = :reg AND service_code = :c",
                {"c": code, "reg": registry},
            )
            or 0
        )

    def _records(self, where: str, params: dict[str, Any], registry: str = UPSTREAM) -> list[StoredRecord]:
        from ._values import StoredRecord

        rows = self._rows(
            "SELECT r.record_id, b.body, b.layout FROM record_revisions r JOIN record_bodies b ON b.row_id = r.row_id "
            f"WHERE {where} AND r.valid_to IS NULL AND r.registry = :reg ORDER BY r.sort_key",
            {**params, "reg": registry},
        )
        decoder = Decoder()
        return [StoredRecord(row[0], decoder.record(row[1:]), registry) for row in rows]

    def person(self, person_id: str, registry: str = UPSTREAM) -> tuple[str | None, tuple[str, ...]] | None:
        """(name, uris) of a current person, None when the registry has nobody of that id."""
        rows = self._rows(
            "SELECT name, uris FROM person_revisions WHERE person_id = :id AND valid_to IS NULL AND registry = :reg",
            {"id": person_id, "reg": registry},
        )
        if not rows:
            return None
        return rows[0][0], tuple(loads(rows[0][1])) if rows[0][1] else ()

    def has_version(self, registry: str = UPSTREAM) -> bool:
        return self._scalar("SELECT count(*) FROM versions WHERE registry = :reg", {"reg": registry}) > 0

    def registry_kind(self, registry: str) -> str | None:
        """``upstream`` or ``local`` for a registry the store holds, None otherwise."""
        kind = self._scalar("SELECT kind FROM registries WHERE name = :n", {"n": registry})
        return str(kind) if kind is not None else None

    def local_rules(self, registry: str) -> LocalRules:
        """The rules of local registry ``registry`` as they stand in this transaction."""
        from ._registry_rules import read

        return read(self._rows, registry)

    def publish(
        self, change: Change, *, source: str, actor: str | None, reason: str | None, registry: str = UPSTREAM
    ) -> Version:
        from ._publish import publish

        self._at.clear()
        self._named.clear()
        return publish(self.conn, self.dialect, change, source=source, actor=actor, reason=reason, registry=registry)
