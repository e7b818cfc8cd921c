"""The SQL of overlay conflicts: a local record against an upstream one, found, kept, resolved.

``portreg.services.conflicts`` decides what a conflict is (by
``portreg.services.overlay.collisions``); this module reads and writes the rows of
``overlay_conflicts`` and reads what that decision needs inside the transaction of the
version being published: the current records of a registry and the ranges local
registries allocate from. Reads inside the transaction see the version being written,
so a conflict is always judged against the rows it will be stored beside.
"""

from __future__ import annotations

from typing import Any

from ._accounts import Executor
from ._codec import RECORD_COLUMNS, Decoder
from ._values import ConflictRow, PortRange, StoredRecord

__all__ = ["ConflictRows"]

_COLUMNS = (
    "c.id, c.registry, c.kind, c.local_record_id, c.upstream_record_id, c.local_version, c.upstream_version, "
    "c.message, c.found_at, c.found_by, c.found_version, c.resolved_at, c.resolved_by, c.resolution, "
    "c.resolved_version"
)
_BODIES = ", ".join(f"b.{c}" for c in RECORD_COLUMNS)
#: The advisory lock that serializes checks of the stack on PostgreSQL ("portreg-conflicts").
_LOCK = 0x706F7274726567


class ConflictRows:
    """Row operations on ``overlay_conflicts`` (and the reads a reconciliation needs)."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- what a reconciliation reads

    def lock(self) -> None:
        """Take the stack's check lock until the transaction ends.

        Two checks at once on PostgreSQL (at READ COMMITTED) would each read the other's
        old rows, and a conflict between what the two wrote would be seen by neither.
        Imports already run one at a time there (the import lock), but a check after new
        ranges runs beside them; under this lock the second check waits, and its reads
        then see what the first committed. SQLite runs one writer at a time already.
        """
        if self._db.dialect == "postgresql":
            self._db.rows("SELECT pg_advisory_xact_lock(:key)", {"key": _LOCK})

    def current_records(self, registry: str) -> list[StoredRecord]:
        """The records of ``registry`` in its newest version, as this transaction sees it."""
        rows = self._db.rows(
            f"SELECT r.record_id, {_BODIES} FROM record_revisions r JOIN record_bodies b ON b.row_id = r.row_id "
            "WHERE r.registry = :reg AND r.valid_to IS NULL ORDER BY r.sort_key",
            {"reg": registry},
        )
        decoder = Decoder()
        return [StoredRecord(row[0], decoder.record(row[1:]), registry) for row in rows]

    def slots_meeting(
        self, registry: str, other: str
    ) -> list[tuple[int, str | None, int | None, int | None, str | None, str]]:
        """What a check needs of the current records of ``registry`` that registry
        ``other``'s can meet, without their bodies: ``(record_id, name, port_low,
        port_high, transport, state)``, in registry order, of those on a port or range
        overlapping one of ``other``'s current records or of a name one of them has
        (ignoring case). A local registry's few hundred records meet a few hundred of
        IANA's 14,000, found through the ports' and names' indexes instead of read all."""
        # ``other``'s rows drive the join (CROSS JOIN keeps them outer on SQLite), and each
        # finds its upstream rows through the ports' or names' index. ``registry || ''``
        # hides the registry column from SQLite's planner, which otherwise builds a
        # temporary index on it and scans every upstream row per local one: 3.4 s instead
        # of 0.1 s for a local registry of 1,000 records (benchmarks/conflicts.py).
        current = "r.registry || '' = :reg AND r.valid_to IS NULL"
        joined = (
            "SELECT r.record_id, r.name, r.port_low, r.port_high, r.transport, r.state, r.sort_key "
            "FROM record_revisions o CROSS JOIN record_revisions r WHERE o.registry = :other AND o.valid_to IS NULL"
        )
        rows = self._db.rows(
            f"{joined} AND r.port_low BETWEEN o.port_low AND o.port_high AND r.port_high = r.port_low AND {current} "
            "UNION "
            f"{joined} AND r.port_high > r.port_low AND r.port_low <= o.port_high AND r.port_high >= o.port_low "
            f"AND {current} "
            "UNION "
            f"{joined} AND r.name_key = o.name_key AND {current} "
            "ORDER BY 7",
            {"reg": registry, "other": other},
        )
        return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]

    def exceptions(self, registry: str) -> dict[tuple[int, str], str]:
        """The ports ``registry`` may use although the upstream assigns them: (port, transport) -> reason."""
        rows = self._db.rows(
            "SELECT port, transport, reason FROM registry_exceptions WHERE registry = :reg", {"reg": registry}
        )
        return {(int(row[0]), str(row[1])): str(row[2]) for row in rows}

    def current_version(self, registry: str) -> int | None:
        rows = self._db.rows("SELECT max(number) FROM versions WHERE registry = :reg", {"reg": registry})
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def local_registries(self) -> dict[str, tuple[PortRange, ...]]:
        """Every local registry, top of the stack first, with the ranges it allocates from."""
        names = [
            row[0] for row in self._db.rows("SELECT name FROM registries WHERE kind = 'local' ORDER BY position DESC")
        ]
        ranges: dict[str, list[PortRange]] = {name: [] for name in names}
        for registry, low, high, transport in self._db.rows(
            "SELECT registry, port_low, port_high, transport FROM registry_ranges ORDER BY registry, port_low, id"
        ):
            if registry in ranges:
                ranges[registry].append(PortRange(low, high, transport))
        return {name: tuple(found) for name, found in ranges.items()}

    # -- the conflicts

    def of(
        self,
        registry: str | None = None,
        *,
        open_only: bool = False,
        found_version: int | None = None,
        resolved_version: int | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[ConflictRow]:
        """Conflicts, optionally of one registry, only open ones, found or resolved by one version."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if registry is not None:
            where.append("c.registry = :reg")
            params["reg"] = registry
        if open_only:
            where.append("c.resolved_at IS NULL")
        if found_version is not None:
            where.append("c.found_version = :fv")
            params["fv"] = found_version
        if resolved_version is not None:
            where.append("c.resolved_version = :rv")
            params["rv"] = resolved_version
        sql = f"SELECT {_COLUMNS} FROM overlay_conflicts c"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.id DESC" if newest_first else " ORDER BY c.id"
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return [ConflictRow(*row) for row in self._db.rows(sql, params)]

    def open_on(self, record_ids: list[int]) -> list[ConflictRow]:
        """The open conflicts either of whose records is one of ``record_ids``, oldest first."""
        if not record_ids:
            return []
        names = {f"r{i}": rid for i, rid in enumerate(record_ids[:500])}
        held = ", ".join(f":{n}" for n in names)
        rows = self._db.rows(
            f"SELECT {_COLUMNS} FROM overlay_conflicts c WHERE c.resolved_at IS NULL "
            f"AND (c.local_record_id IN ({held}) OR c.upstream_record_id IN ({held})) ORDER BY c.id",
            names,
        )
        return [ConflictRow(*row) for row in rows]

    def get(self, conflict_id: int) -> ConflictRow | None:
        rows = self._db.rows(f"SELECT {_COLUMNS} FROM overlay_conflicts c WHERE c.id = :id", {"id": conflict_id})
        return ConflictRow(*rows[0]) if rows else None

    def acknowledged(self, registry: str, *, by: str = "person") -> set[tuple[str, str, int | None, int | None]]:
        """The keys of conflicts settled while they still hold, ``by`` a ``person`` (not
        raised again) or by an ``exception`` of the registry (not raised again while it stands)."""
        settled = "resolved_by = 'exception'" if by == "exception" else "resolved_by <> 'exception'"
        rows = self._db.rows(
            "SELECT registry, kind, local_record_id, upstream_record_id FROM overlay_conflicts "
            f"WHERE registry = :reg AND resolved_at IS NOT NULL AND resolved_version IS NULL AND {settled}",
            {"reg": registry},
        )
        return {(row[0], row[1], row[2], row[3]) for row in rows}

    def add(
        self,
        *,
        registry: str,
        kind: str,
        local_record_id: int | None,
        upstream_record_id: int | None,
        local_version: int | None,
        upstream_version: int | None,
        message: str,
        found_at: str,
        found_by: str,
        found_version: int | None,
    ) -> int:
        rows = self._db.rows(
            "INSERT INTO overlay_conflicts (registry, kind, local_record_id, upstream_record_id, local_version, "
            "upstream_version, message, found_at, found_by, found_version) "
            "VALUES (:reg, :kind, :lid, :uid, :lv, :uv, :msg, :at, :by, :fv) RETURNING id",
            {
                "reg": registry,
                "kind": kind,
                "lid": local_record_id,
                "uid": upstream_record_id,
                "lv": local_version,
                "uv": upstream_version,
                "msg": message,
                "at": found_at,
                "by": found_by,
                "fv": found_version,
            },
        )
        return int(rows[0][0])

    def resolve(self, conflict_id: int, *, at: str, by: str | None, resolution: str, version: int | None = None) -> int:
        """Mark an open conflict resolved; 0 when it was not open (resolved meanwhile)."""
        return self._db.execute(
            "UPDATE overlay_conflicts SET resolved_at = :at, resolved_by = :by, resolution = :why, "
            "resolved_version = :v WHERE id = :id AND resolved_at IS NULL",
            {"at": at, "by": by, "why": resolution, "v": version, "id": conflict_id},
        )

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per registry: (open, resolved)."""
        rows = self._db.rows(
            "SELECT registry, count(*) - count(resolved_at), count(resolved_at) FROM overlay_conflicts "
            "GROUP BY registry ORDER BY registry"
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}
