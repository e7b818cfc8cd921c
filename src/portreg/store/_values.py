"""The values the store hands out: versions, records with their stable ids, pages, diffs.

Plain frozen dataclasses, importable without a database driver, so that the query
layer and the CLI can name them at no cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..model import Person, Record, Registry

__all__ = [
    "Change",
    "ConflictRow",
    "Delta",
    "Diff",
    "PersonDelta",
    "PortRange",
    "RecordChange",
    "RecordDelta",
    "RegistryInfo",
    "SearchPage",
    "StoredRecord",
    "Version",
    "VersionSpan",
]


@dataclass(frozen=True)
class Version:
    """One published state of the registry; numbers run 1, 2, 3 ... in publication order."""

    number: int
    published: str | None  # the registry's own <updated> date (YYYY-MM-DD)
    created_at: datetime  # when portreg stored it (UTC)
    source: str  # file path, URL, or "workflow"
    actor: str | None  # who, when known
    record_count: int
    reason: str | None = None  # why (the workflow's audit trail); None for plain imports


@dataclass(frozen=True)
class StoredRecord:
    """A record as the store holds it: ``id`` is stable across versions (see ``_matching``);
    ``source`` names the registry it belongs to (``iana``, or a local one such as ``acme``)."""

    id: int
    record: Record
    source: str = "iana"


@dataclass(frozen=True)
class PortRange:
    """Ports ``low`` to ``high`` on ``transport`` (None: every transport)."""

    low: int
    high: int
    transport: str | None = None

    def __str__(self) -> str:
        ports = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
        return ports if self.transport is None else f"{ports}/{self.transport}"


@dataclass(frozen=True)
class RegistryInfo:
    """A registry the store holds: the upstream (``iana``) or a local one stacked on it.

    ``position`` orders the stack: the highest is consulted first. ``ranges`` are the
    ports a local registry allocates from (none for the upstream).
    """

    name: str
    kind: str  # upstream | local
    title: str
    position: int
    created_at: str
    created_by: str | None = None
    ranges: tuple[PortRange, ...] = ()

    @property
    def local(self) -> bool:
        return self.kind == "local"


@dataclass(frozen=True)
class ConflictRow:
    """One row of ``overlay_conflicts``; ``resolved_at`` None while the conflict holds."""

    id: int
    registry: str
    kind: str
    local_record_id: int | None
    upstream_record_id: int | None
    local_version: int | None
    upstream_version: int | None
    message: str
    found_at: str
    found_by: str
    found_version: int | None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    resolved_version: int | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def key(self) -> tuple[str, str, int | None, int | None]:
        """What makes two findings the same conflict: registry, kind and the two records."""
        return (self.registry, self.kind, self.local_record_id, self.upstream_record_id)


@dataclass(frozen=True)
class SearchPage:
    """One page of search results; ``total`` counts every match, not just this page."""

    total: int
    items: list[StoredRecord]


@dataclass(frozen=True)
class VersionSpan:
    """The versions ``first`` to ``last`` inclusive; ``last`` None means "still current"."""

    first: int
    last: int | None

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.first <= number and (self.last is None or number <= self.last)


@dataclass(frozen=True)
class RecordChange:
    """One record (by stable id) whose fields differ between two versions."""

    id: int
    old: Record
    new: Record


@dataclass(frozen=True)
class Diff:
    """What changed from version ``old`` to version ``new``, records matched by stable id.

    A record that only moved in the registry's order is not a change. ``head_changed``
    says whether the registry head (title, notes, experts, footnotes ...) differs;
    ``people_changed`` lists the ids of people added, removed or edited.
    """

    old: Version
    new: Version
    added: list[StoredRecord]
    removed: list[StoredRecord]
    changed: list[RecordChange]
    people_changed: list[str]
    head_changed: bool

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.people_changed or self.head_changed)


@dataclass(frozen=True)
class RecordDelta:
    """One record whose stored row differs between two versions (see :class:`Delta`).

    ``old`` None: it is new; ``new`` None: it went away. ``placed`` says that it is new
    or changed place in the order; ``after`` is then the id of the record before it in
    the new version (None: it comes first).
    """

    id: int
    old: Record | None
    new: Record | None
    placed: bool = False
    after: int | None = None


@dataclass(frozen=True)
class PersonDelta:
    """One person whose stored row differs (as :class:`RecordDelta`, keyed by person id)."""

    id: str
    old: Person | None
    new: Person | None
    placed: bool = False
    after: str | None = None


@dataclass(frozen=True)
class Delta:
    """Every stored difference between version ``old`` and version ``new``: enough to
    rebuild ``new`` from ``old`` exactly (order, layout and whitespace included).

    The heads are registries holding no records and no people. Records come in the old
    order for those removed, then the new order; people likewise. Unlike :class:`Diff`,
    rows that changed only their layout, whitespace or place are included.
    """

    old: Version
    new: Version
    old_head: Registry
    new_head: Registry
    records: list[RecordDelta]
    people: list[PersonDelta]

@dataclass
class Change:
    """What one publication does to the current version."""

    updated: str  #: the registry's new Last Updated (YYYY-MM-DD)
    add: list[Record] = field(default_factory=list)
    replace: list[tuple[int, Record]] = field(default_factory=list)  #: (record id, its new content)
    remove: list[int] = field(default_factory=list)  #: record ids
    people: list[Person] = field(default_factory=list)  #: added, or replacing the person of that id
