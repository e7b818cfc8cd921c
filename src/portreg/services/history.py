"""The registry's history as values: what changed between two versions, and since when.

::

    d = diff(store, "2024-01-01", "latest")       # versions by number, date or "latest"
    d.added, d.removed, d.changed, d.renamed, d.moved, d.people, d.head
    d.as_json(); d.text()
    since(store, "2024-01-01")                     # the same as diff(store, "2024-01-01", "latest")
    changes(store, since="2024-01-01")             # one diff per version published after, newest first
    services_patch(store, "300", "latest")         # a unified diff of /etc/services between them
    apply(d, registry_a, ids_a)                    # -> (registry_b, ids_b), exactly

A :class:`Diff` is built on the store's :class:`~portreg.store.Delta` (every stored row
that differs between two versions) and classifies each record by its stable id:

* **added** / **removed**: the record exists on one side only;
* **renamed**: same record, another service name (same port, transport and assignee:
  the store's matching rule);
* **moved**: same record, another port or range;
* **changed**: same key, other fields (field by field in :attr:`RecordChange.fields`).

People are added, removed or changed by their id; the head's changes (experts, notes,
footnotes, references, title) are listed field by field. The registry's date changes
with every version and is not listed: it is the version's own date. Rows that differ
only in layout, whitespace or place in the order are not changes a reader cares for;
they are counted (``reformatted``) and kept, so that :func:`apply` rebuilds the newer
version exactly.

Version references (``resolve``): a number (``12``), a date ``YYYY-MM-DD`` (the version
in force that day: the last one the registry dated on or before it), or ``latest``.
Digits alone are always a number, so ``2024`` is version 2024, never a year.

Registries: a store may hold local registries stacked on IANA's. Each has its own
versions, but their numbers are one sequence over all of them, so IANA's versions may
be 1, 3, 5 when a local registry published 2 and 4: a version's predecessor is the
previous version *of its registry*, never simply N - 1. A diff compares two versions
of one registry: ``diff(store, 2, 4)`` finds the registry the numbers belong to;
``registry="acme"`` names it (needed for dates and ``latest``, which mean IANA's
otherwise). IANA's history is unchanged by a local registry beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import Conflict, EmptyStore, InvalidQuery, NotFound
from ..model import Footnote, Note, Person, Record, Reference, Registry, Text
from ..rules import record_state
from ..store._registries import UPSTREAM
from .params import parse_date, parse_version, shown

if TYPE_CHECKING:
    from ..store import Delta, Store, Version

__all__ = [
    "Diff",
    "DiffCache",
    "FieldChange",
    "PersonChange",
    "RecordChange",
    "apply",
    "change_line",
    "changes",
    "diff",
    "parse_span",
    "predecessors",
    "resolve",
    "scope",
    "services_patch",
    "since",
]

RecordKind = Literal["added", "removed", "changed", "renamed", "moved"]
PersonKind = Literal["added", "removed", "changed"]
#: The kinds of record change, in the order listings show them.
RECORD_KINDS: tuple[RecordKind, ...] = ("added", "removed", "renamed", "moved", "changed")


# --------------------------------------------------------------------------- version references


#: What ``?registry=`` / ``--registry`` calls every registry at once.
STACK = "stack"


def scope(store: Store, registry: str | None = None, *refs: str | int) -> Store:
    """The registry a diff or a version reference reads, as a store scoped to it.

    ``registry`` when it names one (InvalidQuery for a malformed name, NotFound naming
    those held for an unknown one); else (None, or ``stack``: every registry, the
    default elsewhere) the registry the version numbers among ``refs`` belong to
    (version numbers are one sequence over every registry, so a number names its
    registry); else ``store``'s own. InvalidQuery when the numbers belong to two
    registries: a diff compares two versions of one.
    """
    from ..store._registries import check_name

    if registry is not None and registry != STACK:
        return store.scoped(check_name(registry))
    owners: dict[str, int] = {}
    for ref in refs:
        number = ref if isinstance(ref, int) else None
        if isinstance(ref, str) and ref.isascii() and ref.isdigit() and len(ref) <= 9:
            number = int(ref)
        if number is None:
            continue
        owner = store.log.registry_of_version(number)
        if owner is not None:
            owners.setdefault(owner, number)
    if len(owners) > 1:
        shown_owners = " and ".join(f"version {n} is {name}'s" for name, n in owners.items())
        raise InvalidQuery(f"a diff compares two versions of one registry; {shown_owners}", parameter="to")
    return store.scoped(next(iter(owners))) if owners else store


def resolve(store: Store, ref: str | int, parameter: str = "version") -> Version:
    """The version ``ref`` names: a number, ``YYYY-MM-DD`` (in force that day) or ``latest``.

    InvalidQuery (naming ``parameter``) when ``ref`` is none of these; NotFound when the
    store holds no such version (an empty store says how to fill it).
    """
    if isinstance(ref, str) and ref != "latest" and not (len(ref) == 10 and ref[4:5] == "-"):
        number = parse_version(ref, parameter) if ref[:1].isascii() and ref[:1].isdigit() else None
        if number is None:
            raise InvalidQuery(
                f"{parameter} must be a version number, a date YYYY-MM-DD or 'latest', got {shown(ref)}",
                parameter=parameter,
            )
        ref = number
    day = parse_date(ref, parameter) if isinstance(ref, str) and ref != "latest" else None
    latest = store.current_version()
    if latest is None:
        raise EmptyStore()
    if isinstance(ref, int):
        return store.version(ref)
    if day is None:
        return latest
    first = store.versions()[0]
    if first.published is not None and day.text < first.published:
        raise NotFound(
            f"no version was in force on {day.text}: the first, version {first.number}, is of {first.published}",
            suggestions=(str(first.number),),
        )
    return store.version(at=day.text)


def parse_span(span: str, parameter: str = "versions") -> tuple[str, str]:
    """``"A..B"`` (a URL's way of naming a diff) as its two references, for :func:`resolve`."""
    old, sep, new = span.partition("..")
    if not sep or not old or not new or len(span) > 45:
        raise InvalidQuery(
            f"{parameter} must be A..B, each a version number, a date YYYY-MM-DD or 'latest', got {shown(span)}",
            parameter=parameter,
        )
    return old, new


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after, as JSON-ready values (text as plain strings)."""

    field: str
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One record (by its stable store id) that differs between the two versions."""

    kind: RecordKind
    id: int
    old: Record | None
    new: Record | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def record(self) -> Record:
        """The record as it is in the newer version (as it was, when removed)."""
        found = self.new if self.new is not None else self.old
        assert found is not None
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "old": None if self.old is None else _record_json(self.id, self.old),
            "new": None if self.new is None else _record_json(self.id, self.new),
            "fields": [f.as_json() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class PersonChange:
    """One person (by id) added, removed, or whose name, organization, URIs or date changed."""

    kind: PersonKind
    id: str
    old: Person | None
    new: Person | None
    fields: tuple[FieldChange, ...] = ()

    def as_json(self) -> dict[str, Any]:
        from .query import person_json

        return {
            "kind": self.kind,
            "id": self.id,
            "old": None if self.old is None else person_json(self.old),
            "new": None if self.new is None else person_json(self.new),
            "fields": [f.as_json() for f in self.fields],
        }


@dataclass(frozen=True)
class Diff:
    """What changed from version ``old`` to version ``new`` (see the module docstring).

    ``records`` lists added, then removed, renamed, moved and changed records, each kind
    in registry order; ``people`` the people added, removed, then changed; ``head`` the
    registry-level fields that changed. ``reformatted`` counts records and people whose
    only difference is layout, whitespace or place in the order.
    """

    old: Version
    new: Version
    records: tuple[RecordChange, ...]
    people: tuple[PersonChange, ...]
    head: tuple[FieldChange, ...]
    reformatted: int = 0
    delta: Delta | None = field(default=None, repr=False, compare=False)
    #: The registry both versions are of (``iana``, or a local one).
    registry: str = UPSTREAM

    def of_kind(self, kind: str) -> tuple[RecordChange, ...]:
        return tuple(c for c in self.records if c.kind == kind)

    @property
    def added(self) -> tuple[RecordChange, ...]:
        return self.of_kind("added")

    @property
    def removed(self) -> tuple[RecordChange, ...]:
        return self.of_kind("removed")

    @property
    def changed(self) -> tuple[RecordChange, ...]:
        return self.of_kind("changed")

    @property
    def renamed(self) -> tuple[RecordChange, ...]:
        return self.of_kind("renamed")

    @property
    def moved(self) -> tuple[RecordChange, ...]:
        return self.of_kind("moved")

    @property
    def empty(self) -> bool:
        """True when nothing a reader cares for changed (layout alone does not count)."""
        return not (self.records or self.people or self.head)

    def counts(self) -> dict[str, int]:
        """How many of each kind: records by kind, then ``people_added`` … and ``head``."""
        result: dict[str, int] = dict.fromkeys(RECORD_KINDS, 0)
        for change in self.records:
            result[change.kind] += 1
        for kind in ("added", "removed", "changed"):
            result[f"people_{kind}"] = sum(1 for p in self.people if p.kind == kind)
        result["head"] = len(self.head)
        return result

    def summary(self) -> str:
        """One line: ``3 added, 1 removed, 2 changed; 1 person added; experts changed``."""
        counts = self.counts()
        parts = [f"{counts[k]} {k}" for k in RECORD_KINDS if counts[k]]
        people = [
            f"{counts[f'people_{k}']} {'person' if counts[f'people_{k}'] == 1 else 'people'} {k}"
            for k in ("added", "removed", "changed")
            if counts[f"people_{k}"]
        ]
        head = [f"{', '.join(_HEAD_LABELS[f.field] for f in self.head)} changed"] if self.head else []
        text = "; ".join(part for part in (", ".join(parts), ", ".join(people), *head) if part)
        return text or "no changes"

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape (``portreg diff --json``, ``/api/v1/changes/A..B``)."""
        from .query import version_json

        mine = {} if self.registry == UPSTREAM else {"registry": self.registry}
        return {
            **mine,
            "from": version_json(self.old),
            "to": version_json(self.new),
            "summary": self.summary(),
            "counts": {**self.counts(), "reformatted": self.reformatted},
            "records": [c.as_json() for c in self.records],
            "people": [p.as_json() for p in self.people],
            "head": [f.as_json() for f in self.head],
        }

    def text(self) -> str:
        """The diff for a person to read, one change a line with the fields below it."""
        whose = "" if self.registry == UPSTREAM else f"{self.registry}: "
        lines = [f"{whose}{_version_label(self.old)} -> {_version_label(self.new)}: {self.summary()}"]
        for change in self.records:
            lines.append(f"{change.kind:<8} {describe(change)}")
            if change.kind not in ("added", "removed"):
                lines.extend(f"           {change_line(f)}" for f in change.fields)
        for person in self.people:
            shown_person = person.new or person.old
            assert shown_person is not None
            lines.append(f"{'person ' + person.kind:<8} {person.id} ({shown_person.display_name})")
            lines.extend(f"           {change_line(f)}" for f in person.fields)
        for head in self.head:
            lines.append(f"head     {change_line(replace(head, field=_HEAD_LABELS[head.field]))}")
        if self.reformatted:
            lines.append(f"({self.reformatted} rows changed only their layout, whitespace or place)")
        return "\n".join(lines) + "\n"


def describe(change: RecordChange) -> str:
    """``[id] name port/transport`` of the record, with the rename or move shown with an arrow."""
    new, old = change.new, change.old
    record = change.record
    name = record.name or f"({record_state(record)})"
    where = _where(record)
    if change.kind == "renamed" and old is not None:
        name = f"{old.name} -> {name}"
    if change.kind == "moved" and old is not None and new is not None:
        where = f"{_where(old)} -> {where}"
    return f"[{change.id}] {name} {where}".rstrip()


def _where(record: Record) -> str:
    if record.port is None:
        return f"{record.transport} (no port)" if record.transport else "(no port)"
    return f"{record.port}/{record.transport}" if record.transport else str(record.port)


def _version_label(version: Version) -> str:
    return f"version {version.number} ({version.published or 'undated'})"


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 120 else text[:119] + "…")


#: Characters of context kept on each side of what changed inside a long text.
CONTEXT = 30


def change_line(change: FieldChange) -> str:
    """``field: old -> new``; of two long texts only the part that differs, with some context."""
    old, new = change.old, change.new
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = [(a, b) for a, b in zip(old, new) if a != b]
        if len(pairs) == 1 and isinstance(pairs[0][0], str) and isinstance(pairs[0][1], str):
            old, new = pairs[0]
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 2 * CONTEXT + 20:
        old, new = " ".join(old.split()), " ".join(new.split())
        start = 0
        while start < min(len(old), len(new)) and old[start] == new[start]:
            start += 1
        end = 0
        while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
            end += 1
        head = max(0, start - CONTEXT)
        lead = "…" if head else ""

        def cut(text: str) -> str:
            tail = len(text) - max(0, end - CONTEXT)
            return lead + text[head:tail] + ("…" if tail < len(text) else "")

        return f"{change.field}: {_shown(cut(old))} -> {_shown(cut(new))}"
    return f"{change.field}: {_shown(old)} -> {_shown(new)}"


def _record_json(record_id: int, record: Record) -> dict[str, Any]:
    from ..store import StoredRecord
    from .query import Hit

    return Hit.of(StoredRecord(record_id, record)).as_json()


# --------------------------------------------------------------------------- field by field


def _plain(text: Text | None) -> str | None:
    return None if text is None else str(text).strip()


def _labels(refs: Iterable[Reference]) -> list[str]:
    return [r.label for r in refs]


#: A record's fields as a diff shows them: (name, the model value compared, its JSON value).
_RECORD_FIELDS: tuple[tuple[str, Any, Any], ...] = (
    ("name", lambda r: r.name, lambda r: r.name),
    ("port", lambda r: r.port, lambda r: None if r.port is None else str(r.port)),
    ("transport", lambda r: r.transport, lambda r: r.transport),
    ("description", lambda r: r.description, lambda r: _plain(r.description)),
    ("assignee", lambda r: r.assignee, lambda r: list(r.assignees)),
    ("contact", lambda r: r.contacts, lambda r: list(r.contacts)),
    ("references", lambda r: r.citations, lambda r: _labels(r.citations)),
    ("registered", lambda r: r.registered, lambda r: r.registered),
    ("modified", lambda r: r.modified, lambda r: r.modified),
    ("notes", lambda r: r.notes, lambda r: _plain(r.notes)),
    ("unauthorized", lambda r: r.unauthorized, lambda r: _plain(r.unauthorized)),
    ("service_code", lambda r: r.service_code, lambda r: r.service_code),
)

_PERSON_FIELDS: tuple[tuple[str, Any, Any], ...] = (
    ("name", lambda p: p.name, lambda p: p.name),
    ("org", lambda p: p.org, lambda p: p.org),
    ("uris", lambda p: p.uris, lambda p: list(p.uris)),
    ("updated", lambda p: p.updated, lambda p: p.updated),
)


def _note(note: Note) -> str:
    text = str(note.text).strip()
    return f"{note.title}: {text}" if note.title else text


def _footnote(footnote: Footnote) -> str:
    return f"[{footnote.anchor}] {str(footnote.text).strip()}"


#: The head's fields a diff lists (the date is the version's own, never listed).
_HEAD_FIELDS: tuple[tuple[str, Any, Any], ...] = (
    ("title", lambda h: h.title, lambda h: h.title),
    ("id", lambda h: h.id, lambda h: h.id),
    ("category", lambda h: h.category, lambda h: h.category),
    ("references", lambda h: h.references, lambda h: _labels(h.references)),
    ("expert", lambda h: h.expert, lambda h: h.expert),
    ("notes", lambda h: h.notes, lambda h: [_note(n) for n in h.notes]),
    ("footnotes", lambda h: h.footnotes, lambda h: [_footnote(f) for f in h.footnotes]),
)
_HEAD_LABELS = {
    "title": "title",
    "id": "registry id",
    "category": "category",
    "references": "references",
    "expert": "experts",
    "notes": "notes",
    "footnotes": "footnotes",
}

T = TypeVar("T")


def _fields(table: tuple[tuple[str, Any, Any], ...], old: T, new: T) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(name, show(old), show(new)) for name, value, show in table if value(old) != value(new))


def record_fields(old: Record, new: Record) -> tuple[FieldChange, ...]:
    """The fields that differ between two states of a record.

    Person references and citations are compared apart (contact, references); when only
    their interleaving changed, ``references`` is listed with both full lists.
    """
    found = _fields(_RECORD_FIELDS, old, new)
    if not found and old != new:
        found = (FieldChange("references", _labels(old.references), _labels(new.references)),)
    return found


def _record_kind(old: Record, new: Record) -> RecordKind:
    if (old.name or "").casefold() != (new.name or "").casefold():
        return "renamed"
    if old.port != new.port or old.transport != new.transport:
        return "moved"
    return "changed"


# --------------------------------------------------------------------------- building diffs


def diff(store: Store, old: str | int, new: str | int, *, registry: str | None = None) -> Diff:
    """The diff from version ``old`` to version ``new`` (references as :func:`resolve` reads them),
    two versions of one registry (see :func:`scope`).

    Either may be the later one: a diff backwards lists as added what was removed.
    """
    store = scope(store, registry, old, new)
    a = resolve(store, old, "from")
    b = resolve(store, new, "to")
    return replace(from_delta(store.delta(a.number, b.number)), registry=store.registry_name)


def since(store: Store, day: str, *, registry: str | None = None) -> Diff:
    """What changed since ``day`` (YYYY-MM-DD): from the version in force that day to the
    latest, of ``registry`` (default: ``store``'s own)."""
    if not (isinstance(day, str) and len(day) == 10 and day[4:5] == "-"):
        raise InvalidQuery(f"since must be a date YYYY-MM-DD, got {shown(str(day))}", parameter="since")
    return diff(store, day, "latest", registry=registry if registry is not None else store.registry_name)


def predecessors(store: Store) -> dict[int, int]:
    """Each version of ``store``'s registry with the one before it in that registry
    (numbers are shared with the other registries, so N - 1 may be another's)."""
    numbers = [v.number for v in store.versions()]
    return dict(zip(numbers[1:], numbers))


def changes(
    store: Store,
    *,
    since: str | int | None = None,
    limit: int | None = None,
    offset: int = 0,
    registry: str | None = None,
) -> list[Diff]:
    """One diff per version of a registry (against its version before), newest first.

    ``registry``: the registry (default: ``store``'s own). ``since`` (a version
    reference): only the versions published after the one it names. A registry's first
    version has no version before it and is never listed. ``limit`` and ``offset`` page
    through the list.
    """
    if registry is not None:
        store = scope(store, registry)
    before = predecessors(store)
    first = 0 if since is None else resolve(store, since, "since").number
    numbers = sorted((n for n in before if n > first), reverse=True)[offset:]
    if limit is not None:
        numbers = numbers[:limit]
    return [replace(from_delta(store.delta(before[n], n)), registry=store.registry_name) for n in numbers]


def from_delta(delta: Delta) -> Diff:
    """Classify a store :class:`~portreg.store.Delta` into a :class:`Diff`."""
    by_kind: dict[str, list[RecordChange]] = {kind: [] for kind in RECORD_KINDS}
    reformatted = 0
    for row in delta.records:
        if row.old is None:
            assert row.new is not None
            by_kind["added"].append(RecordChange("added", row.id, None, row.new))
        elif row.new is None:
            by_kind["removed"].append(RecordChange("removed", row.id, row.old, None))
        elif row.old == row.new:
            reformatted += 1
        else:
            kind = _record_kind(row.old, row.new)
            by_kind[kind].append(RecordChange(kind, row.id, row.old, row.new, record_fields(row.old, row.new)))
    people: list[PersonChange] = []
    for person in delta.people:
        if person.old is None:
            people.append(PersonChange("added", person.id, None, person.new))
        elif person.new is None:
            people.append(PersonChange("removed", person.id, person.old, None))
        elif person.old == person.new:
            reformatted += 1
        else:
            people.append(
                PersonChange(
                    "changed", person.id, person.old, person.new, _fields(_PERSON_FIELDS, person.old, person.new)
                )
            )
    return Diff(
        old=delta.old,
        new=delta.new,
        records=tuple(c for kind in RECORD_KINDS for c in by_kind[kind]),
        people=tuple(sorted(people, key=lambda p: _PERSON_ORDER[p.kind])),
        head=_fields(_HEAD_FIELDS, delta.old_head, delta.new_head),
        reformatted=reformatted,
        delta=delta,
    )


_PERSON_ORDER = {"added": 0, "removed": 1, "changed": 2}


class DiffCache:
    """The last few diffs asked for, by version numbers: a published version never
    changes, so neither does a diff between two of them (a web page and its JSON twin
    ask for the same one; a diff over years of history costs a second to build)."""

    def __init__(self, size: int = 16) -> None:
        from collections import OrderedDict
        from threading import Lock

        self.size = size
        self._diffs: OrderedDict[tuple[str, int, int], Diff] = OrderedDict()
        self._lock = Lock()

    def get(self, store: Store, old: int, new: int) -> Diff:
        """The diff of two version numbers (of whichever registry holds them, see :func:`scope`)."""
        key = (store.url, old, new)
        with self._lock:
            found = self._diffs.get(key)
            if found is not None:
                self._diffs.move_to_end(key)
                return found
        found = diff(store, old, new)
        with self._lock:
            self._diffs[key] = found
            while len(self._diffs) > self.size:
                self._diffs.popitem(last=False)
        return found


# --------------------------------------------------------------------------- applying


K = TypeVar("K")
V = TypeVar("V")


def apply(diff: Diff, before: Registry, ids: Sequence[int]) -> tuple[Registry, list[int]]:
    """The newer version of ``diff``, made from the older one: ``before`` with its record ids.

    Gives the registry exactly (order, layout and whitespace included) and the ids of
    its records. Conflict when ``before`` is not the version the diff starts from (a
    record it removes or changes is not there, or one it adds already is).
    """
    if diff.delta is None:
        raise Conflict("this diff was not built from the store and cannot be applied")
    if len(ids) != len(before.records):
        raise Conflict(f"{len(ids)} ids were given for {len(before.records)} records")
    delta = diff.delta
    records = _apply(
        list(zip(ids, before.records)), [(r.id, r.old, r.new, r.placed, r.after) for r in delta.records], "record"
    )
    people = _apply(
        [(p.id, p) for p in before.people], [(p.id, p.old, p.new, p.placed, p.after) for p in delta.people], "person"
    )
    head = delta.new_head
    registry = replace(head, records=tuple(r for _, r in records), people=tuple(p for _, p in people))
    return registry, [i for i, _ in records]


def _apply(
    items: list[tuple[K, V]], rows: list[tuple[K, V | None, V | None, bool, K | None]], what: str
) -> list[tuple[K, V]]:
    """``items`` (key, value) in the old order, with the delta's ``rows`` applied.

    Rows keep their place unless placed: then each goes right after its anchor (the
    item before it in the new order). Placed rows come in the new order, so an anchor
    is always either an item that kept its place or a placed row already put.
    """
    values = dict(items)
    if len(values) != len(items):
        raise Conflict(f"a {what} id occurs twice in the version given")
    moving: set[K] = set()
    following: dict[K | None, K] = {}
    for key, old, new, placed, after in rows:
        if old is None:
            if key in values:
                raise Conflict(f"{what} {key} is added by the diff but already there")
        elif key not in values:
            raise Conflict(f"{what} {key} is not in the version given: the diff starts from another version")
        if new is None:
            del values[key]
            moving.add(key)
            continue
        values[key] = new
        if placed:
            moving.add(key)
            following[after] = key
    result: list[tuple[K, V]] = []

    def put(anchor: K | None) -> None:
        while anchor in following:
            anchor = following.pop(anchor)
            result.append((anchor, values[anchor]))

    put(None)
    if not following:
        result += [(key, values[key]) for key, _ in items if key not in moving]
    for key, _ in items if following else ():
        if key not in moving:
            result.append((key, values[key]))
            if key in following:
                put(key)
    if following:
        raise Conflict(f"the diff places {what}s after ones the version given does not hold")
    return result


# --------------------------------------------------------------------------- /etc/services


def services_patch(
    store: Store, old: str | int, new: str | int = "latest", *, registry: str | None = None, **options: Any
) -> str:
    """A unified diff of ``/etc/services`` as portreg writes it, from version ``old`` to ``new``
    (two versions of one registry, see :func:`scope`).

    What a distribution maintainer applies (``patch /etc/services < services.patch``)
    to the file of the version they shipped; empty when the two files agree.
    ``options`` go to the services writer (``profile=``), the same for both versions.
    """
    import difflib

    from ..formats import to_bytes

    store = scope(store, registry, old, new)
    a = resolve(store, old, "from")
    b = resolve(store, new, "to")
    before = to_bytes(store.registry(a.number), "services", **options).decode("utf-8").splitlines(keepends=True)
    after = to_bytes(store.registry(b.number), "services", **options).decode("utf-8").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"a/services\t(version {a.number}, {a.published or 'undated'})",
        tofile=f"b/services\t(version {b.number}, {b.published or 'undated'})",
    )
    return "".join(lines)
