"""The transparency log's table: leaves read in order, appended under the store's write lock.

The store only keeps the leaves; what a leaf holds, the Merkle tree over them and the
signed heads are ``portreg.services.translog``'s. Leaves are never updated nor deleted:
the only write is an append at the end, in one transaction that checks the log still
has the size the caller computed its leaves for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import Conflict

if TYPE_CHECKING:
    from ._backend import Backend

__all__ = ["LogEntry", "LogTable", "NewLeaf"]

_ENTRY = "SELECT leaf_index, kind, version, leaf, leaf_hash, appended_at FROM log_entries"


@dataclass(frozen=True)
class LogEntry:
    """One leaf of the log: ``index`` counts from 0; ``leaf_hash`` is the leaf's Merkle hash."""

    index: int
    kind: str
    version: int | None
    leaf: bytes
    leaf_hash: bytes
    appended_at: datetime


@dataclass(frozen=True)
class NewLeaf:
    """A leaf to append: its kind, the version it is about (if any), its bytes and hash."""

    kind: str
    version: int | None
    leaf: bytes
    leaf_hash: bytes


class LogTable:
    """The ``log_entries`` table of one store."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend

    def size(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM log_entries") or 0)

    def entries(self, start: int = 0, end: int | None = None) -> list[LogEntry]:
        """Leaves ``start`` .. ``end - 1`` (to the end for None), in order."""
        params: dict[str, Any] = {"s": start}
        where = "leaf_index >= :s"
        if end is not None:
            where += " AND leaf_index < :e"
            params["e"] = end
        return [_entry(row) for row in self._db.rows(f"{_ENTRY} WHERE {where} ORDER BY leaf_index", params)]

    def hashes(self) -> list[bytes]:
        """Every leaf hash, in order: all the Merkle tree needs."""
        return [bytes.fromhex(h) for (h,) in self._db.rows("SELECT leaf_hash FROM log_entries ORDER BY leaf_index")]

    def entry_of_version(self, number: int) -> LogEntry | None:
        rows = self._db.rows(f"{_ENTRY} WHERE version = :n", {"n": number})
        return _entry(rows[0]) if rows else None

    def unlogged_versions(self) -> list[int]:
        """Numbers of the published versions that have no leaf yet, oldest first."""
        rows = self._db.rows(
            "SELECT v.number FROM versions v WHERE NOT EXISTS (SELECT 1 FROM log_entries l WHERE l.version = v.number) "
            "ORDER BY v.number"
        )
        return [n for (n,) in rows]

    def unlogged(self) -> list[tuple[int, str]]:
        """(number, registry) of every published version without a leaf, oldest first:
        version numbers are one sequence over all the registries a store holds."""
        rows = self._db.rows(
            "SELECT v.number, v.registry FROM versions v "
            "WHERE NOT EXISTS (SELECT 1 FROM log_entries l WHERE l.version = v.number) ORDER BY v.number"
        )
        return [(n, r) for n, r in rows]

    def registry_of_version(self, number: int) -> str | None:
        """The registry version ``number`` belongs to (None when no registry has it)."""
        found = self._db.scalar("SELECT registry FROM versions WHERE number = :n", {"n": number})
        return None if found is None else str(found)

    def append(self, leaves: Sequence[NewLeaf], *, at: int) -> None:
        """Append ``leaves`` as leaves ``at``, ``at + 1`` ...; Conflict when the log no longer has ``at`` leaves."""
        if not leaves:
            return
        from . import schema

        now = datetime.now(UTC).isoformat()
        with self._db.transaction() as conn:
            size = conn.exec_driver_sql("SELECT count(*) FROM log_entries").scalar() or 0
            if size != at:
                raise Conflict(
                    f"{self._db.url.masked}: the log grew to {size} leaves "
                    f"while {at} were expected; nothing was appended"
                )
            conn.execute(
                schema.log_entries.insert(),
                [
                    {
                        "leaf_index": at + i,
                        "kind": leaf.kind,
                        "version": leaf.version,
                        "leaf": leaf.leaf.decode("utf-8"),
                        "leaf_hash": leaf.leaf_hash.hex(),
                        "appended_at": now,
                    }
                    for i, leaf in enumerate(leaves)
                ],
            )


def _entry(row: tuple[Any, ...]) -> LogEntry:
    index, kind, version, leaf, leaf_hash, appended_at = row
    return LogEntry(
        index, kind, version, leaf.encode("utf-8"), bytes.fromhex(leaf_hash), datetime.fromisoformat(appended_at)
    )
