"""Which versions changed what someone watches: a port, a range, a service name, a person.

Answered from the validity intervals alone: a record changed at version *v* when one
of its revisions starts or ends at *v* and the revision on the other side of *v* (if
any) has other content. Revisions written only because a record moved in the
registry's order, or because a person it names was renamed, hold the same content
hash and are not changes of the record. One query per watch, newest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import Backend

__all__ = ["WatchQueries"]

_STARTS = (
    "SELECT r.valid_from, r.record_id FROM record_revisions r WHERE r.registry = :reg AND {match} AND NOT EXISTS ("
    "SELECT 1 FROM record_revisions o WHERE o.record_id = r.record_id AND o.valid_to = r.valid_from "
    "AND o.content_hash = r.content_hash)"
)
_ENDS = (
    "SELECT r.valid_to, r.record_id FROM record_revisions r WHERE r.registry = :reg AND {match} "
    "AND r.valid_to IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM record_revisions n WHERE n.record_id = r.record_id AND n.valid_from = r.valid_to "
    "AND n.content_hash = r.content_hash)"
)


class WatchQueries:
    """The store's answers to "which versions touched this", as (version, record id) pairs."""

    def __init__(self, backend: Backend, registry: str) -> None:
        self._db = backend
        self._registry = registry

    def _touching(self, match: str, params: dict[str, Any]) -> list[tuple[int, int]]:
        sql = f"{_STARTS.format(match=match)} UNION {_ENDS.format(match=match)} ORDER BY 1 DESC, 2"
        return [(int(v), int(rid)) for v, rid in self._db.rows(sql, {**params, "reg": self._registry})]

    def ports(self, low: int, high: int) -> list[tuple[int, int]]:
        """Changes of records whose port or range overlaps ``low``..``high``."""
        return self._touching("r.port_low <= :hi AND r.port_high >= :lo", {"lo": low, "hi": high})

    def name(self, name: str) -> list[tuple[int, int]]:
        """Changes of records of service name ``name`` (case-insensitive, RFC 6335 §5.1)."""
        return self._touching("r.name_key = :name", {"name": name.casefold()})

    def person(self, person_id: str) -> list[tuple[int, int]]:
        """Changes of records naming ``person_id`` (assignee, contact, or in a text)."""
        return self._touching(
            "r.row_id IN (SELECT row_id FROM record_people WHERE person_id = :pid)", {"pid": person_id}
        )

    def person_versions(self, person_id: str) -> list[int]:
        """Versions where the person's own entry (name, organization, URIs) changed."""
        rows = self._db.rows(
            "SELECT valid_from FROM person_revisions WHERE person_id = :pid AND registry = :reg UNION "
            "SELECT valid_to FROM person_revisions WHERE person_id = :pid AND registry = :reg AND valid_to IS NOT NULL "
            "ORDER BY 1 DESC",
            {"pid": person_id, "reg": self._registry},
        )
        return [int(v) for (v,) in rows]
