"""What changed, version by version: the entries behind ``/changes``, its feeds and the watches.

An :class:`Entry` is one published version with what it changed (records added,
removed, changed field by field; people; the registry head) against the version
before it. A :class:`Watch` narrows entries to what one reader cares
about: a port, a range, a service name or a person; its entries are the versions that
touched it, each with only the changes that touched it.

Versions never change once published, so each version's changes are computed once
(from the store's diff of it and the version before) and kept.

Registries: a store may hold local registries stacked on IANA's, their versions
numbered in one sequence. Entries are of one registry (``registry="acme"``), or of the
whole stack (``registry=None`` or ``"stack"``: every registry's versions, in the one
order of their numbers, each entry naming its registry). A version is compared with
the version before it *in its registry*. With IANA's registry alone, the stack is IANA's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import InvalidQuery, NotFound
from ..store._registries import UPSTREAM
from . import params
from .history import RECORD_KINDS, describe

if TYPE_CHECKING:
    from ..model import Record
    from ..store import Store, Version
    from .history import Diff

__all__ = ["WATCH_KINDS", "Change", "Entry", "Feeds", "Listed", "Watch", "label_of"]

#: The fields a change lists, in the registry's column order (attribute, label).
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "service name"),
    ("port", "port"),
    ("transport", "transport"),
    ("description", "description"),
    ("assignee", "assignee"),
    ("references", "references"),
    ("registered", "registration date"),
    ("modified", "modification date"),
    ("notes", "assignment notes"),
    ("unauthorized", "unauthorized use"),
    ("service_code", "service code"),
)
WATCH_KINDS = ("port", "range", "service", "person")
_FIELD_LABELS = dict(FIELDS)
#: Per-version changes kept in memory (a version's are a few KB).
CACHED = 2048
#: A watch's entry for a store's first version lists at most this many of its records.
LISTED = 100


def label_of(record: Record) -> str:
    """``postgresql 5432/tcp``: how a change names its record."""
    where = str(record.port) if record.port is not None else ""
    if record.transport:
        where += f"/{record.transport}"
    name = record.name or (
        "(unassigned)" if record.description and "unassigned" in str(record.description).lower() else "(no name)"
    )
    return f"{name} {where}".strip()


@dataclass(frozen=True)
class Change:
    """One record's change in one version: ``kind`` is added, removed, renamed, moved or changed."""

    kind: str
    record_id: int
    label: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.fields and self.kind not in ("added", "removed"):
            return f"{self.label} {self.kind}: {', '.join(self.fields)}"
        return f"{self.label} {self.kind}"


@dataclass(frozen=True)
class Entry:
    """One version and what it changed (all of it, or what touched a watch)."""

    version: Version
    changes: tuple[Change, ...]
    people_changed: tuple[str, ...] = ()
    head_changed: bool = False
    #: True for the first version of a store: everything in it is new.
    first: bool = False
    #: The whole version's summary (the history service's), when this entry is not narrowed to a watch.
    overall: str | None = None
    #: Changes left out of ``changes`` (a store's first version, watched over a wide range).
    more: int = 0
    #: The registry that published the version (``iana``, or a local one).
    registry: str = UPSTREAM
    #: The registry's version before this one (None for its first).
    before: int | None = None

    @property
    def previous(self) -> int | None:
        """The version this one is compared with: the previous one of the same registry."""
        return None if self.first else self.before

    @property
    def local(self) -> bool:
        return self.registry != UPSTREAM

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def summary(self) -> str:
        """``3 added, 1 renamed, 2 changed; 1 person changed`` (or what the first version held)."""
        if self.first:
            whose = f" of {self.registry}" if self.local else " in this store"
            return f"first version{whose}: {self.version.record_count:,} records"
        if self.overall is not None:
            return self.overall
        parts = [f"{n} {kind}" for kind in RECORD_KINDS if (n := self.count(kind))]
        if self.people_changed:
            parts.append(
                f"{len(self.people_changed)} {'person' if len(self.people_changed) == 1 else 'people'} changed"
            )
        return ", ".join(parts) or "no change to records"

    @property
    def title(self) -> str:
        date = f" ({self.version.published})" if self.version.published else ""
        whose = f" of {self.registry}" if self.local else ""
        return f"Version {self.version.number}{whose}{date}: {self.summary}"


@dataclass(frozen=True)
class Watch:
    """What a reader follows: ``kind`` port, range, service or person, and its ``key``."""

    kind: str
    key: str
    low: int = 0
    high: int = 0
    #: The one registry followed (None: every registry the store holds).
    registry: str | None = None

    @classmethod
    def parse(cls, kind: str, text: str) -> Watch:
        """A watch from a URL's words; InvalidQuery naming the parameter when malformed."""
        if kind == "port":
            span = params.parse_range(text, "port")
            kind = "range" if span.is_range else "port"
            return cls(kind, str(span), span.low, span.high)
        if kind in ("service", "person"):
            if not text or len(text) > 200 or not text.isprintable():
                raise InvalidQuery(f"a {kind} is 1 to 200 printable characters", parameter=kind)
            return cls(kind, text)
        raise InvalidQuery(f"one of {', '.join(WATCH_KINDS)}", parameter="kind")

    @property
    def title(self) -> str:
        return {"port": "port", "range": "ports", "service": "service", "person": "person"}[self.kind] + f" {self.key}"


@dataclass(frozen=True)
class Listed:
    """A published version, the registry that published it, and its version before in that registry."""

    version: Version
    registry: str
    before: int | None


class Feeds:
    """Entries of a store's versions, computed once per version and kept.

    ``store`` is the store as the service opened it; every registry it holds is read
    through ``store.scoped(name)``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._diffs: OrderedDict[int, Entry] = OrderedDict()

    def registries(self, registry: str | None = None) -> list[str]:
        """The registries ``registry`` names: all of them for None or ``stack``; else that
        one (InvalidQuery for a malformed name, NotFound naming those held for an unknown one)."""
        from ..store._registries import check_name
        from .history import STACK

        if registry is None or registry == STACK:
            return [info.name for info in self.store.registries.all()]
        check_name(registry)
        return [self.store.registries.get(registry).name]

    def listed(self, *, since: str | None = None, registry: str | None = None) -> list[Listed]:
        """Published versions of ``registry`` (see :meth:`registries`), newest first;
        ``since`` (YYYY[-MM[-DD]]) keeps those published on or after it."""
        bound = params.parse_date(since, "since").text if since is not None else None
        found: list[Listed] = []
        for name in self.registries(registry):
            before = None
            for version in self.store.scoped(name).versions():
                if bound is None or (version.published is not None and version.published[: len(bound)] >= bound):
                    found.append(Listed(version, name, before))
                before = version.number
        found.sort(key=lambda listed: listed.version.number, reverse=True)
        return found

    def versions(self, *, since: str | None = None, registry: str | None = None) -> list[Version]:
        """Published versions, newest first; ``since`` (YYYY[-MM[-DD]]) keeps those published on or after it."""
        return [listed.version for listed in self.listed(since=since, registry=registry)]

    def page(
        self, *, since: str | None = None, page: int = 1, page_size: int = 25, registry: str | None = None
    ) -> tuple[list[Entry], int]:
        """One page of entries, newest first, and how many there are in all."""
        found = self.listed(since=since, registry=registry)
        chosen = found[(page - 1) * page_size : page * page_size]
        return [self._entry(listed) for listed in chosen], len(found)

    def entry(self, version: Version) -> Entry:
        """Everything ``version`` (of whichever registry published it) changed."""
        with self._lock:
            found = self._diffs.get(version.number)
        if found is not None:
            return found
        name = self.store.log.registry_of_version(version.number) or UPSTREAM
        from .history import predecessors

        before = predecessors(self.store.scoped(name)).get(version.number)
        return self._entry(Listed(version, name, before))

    def _entry(self, listed: Listed) -> Entry:
        version = listed.version
        with self._lock:
            found = self._diffs.get(version.number)
            if found is not None:
                self._diffs.move_to_end(version.number)
                return found
        if listed.before is None:
            found = Entry(version, (), first=True, registry=listed.registry)
        else:
            from . import history

            diff = history.diff(self.store, listed.before, version.number, registry=listed.registry)
            found = replace(_entry(diff), registry=listed.registry, before=listed.before)
        with self._lock:
            self._diffs[version.number] = found
            while len(self._diffs) > CACHED:
                self._diffs.popitem(last=False)
        return found

    def watch(self, watch: Watch, *, limit: int = 50, registry: str | None = None) -> list[Entry]:
        """The versions of ``registry`` (default: every registry) that touched ``watch``,
        newest first, each with only the changes touching it."""
        touched: list[tuple[int, int]] = []
        own: set[int] = set()
        owner: dict[int, str] = {}
        for name in self.registries(registry):
            watches = self.store.scoped(name).watches
            if watch.kind in ("port", "range"):
                found = watches.ports(watch.low, watch.high)
            elif watch.kind == "service":
                found = watches.name(watch.key)
            else:
                found = watches.person(watch.key)
                mine = set(watches.person_versions(watch.key))
                own |= mine
                owner.update(dict.fromkeys(mine, name))
            touched += found
            owner.update({number: name for number, _ in found})
        by_version: dict[int, set[int]] = {}
        for number, record_id in touched:
            by_version.setdefault(number, set()).add(record_id)
        numbers = sorted(by_version.keys() | own, reverse=True)[:limit]
        entries = []
        listed = {item.version.number: item for name in set(owner.values()) for item in self.listed(registry=name)}
        for number in numbers:
            full = self._entry(listed[number])
            scoped = self.store.scoped(owner[number])
            ids = by_version.get(number, set())
            more = 0
            if full.first:
                changes = tuple(self._added(scoped, number, sorted(ids)[:LISTED]))
                more = max(0, len(ids) - LISTED)
            else:
                changes = tuple(c for c in full.changes if c.record_id in ids)
            people = tuple(p for p in full.people_changed if p == watch.key) if watch.kind == "person" else ()
            entries.append(
                replace(full, changes=changes, people_changed=people, head_changed=False, overall=None, more=more)
            )
        return entries

    def _added(self, store: Store, number: int, ids: list[int]) -> list[Change]:
        out = []
        for record_id in ids:
            try:
                stored = store.record(record_id, version=number)
            except NotFound:
                continue
            out.append(Change("added", record_id, label_of(stored.record)))
        return out


def _entry(diff: Diff) -> Entry:
    changes = tuple(
        Change(c.kind, c.id, _label(describe(c)), tuple(_FIELD_LABELS.get(f.field, f.field) for f in c.fields))
        for c in diff.records
    )
    return Entry(diff.new, changes, tuple(p.id for p in diff.people), bool(diff.head), overall=diff.summary())


def _label(described: str) -> str:
    """The history service's ``[id] name port/transport`` without the id (feeds link records by name)."""
    return described.split("] ", 1)[1] if described.startswith("[") and "] " in described else described
