"""Model values -> rows to store: serialization, hashes, search documents.

The serialized form is the one ``_codec`` reads back. Each row's ``content_hash`` is a
64-bit BLAKE2b of its serialization: an import compares hashes, never decoded values,
so a mostly unchanged version costs one pass of serialization and touches only the
rows that changed. The whole version's hash chains the row hashes in order, which is
how an identical import is spotted without reading a single row.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, Iterable

from ..model import LineBreak, Person, Record, Reference, Registry, Text
from ._codec import dumps


def row_hash(serialized: str) -> int:
    """A signed 64-bit hash (fits BIGINT on both databases) of a row's serialization."""
    return int.from_bytes(blake2b(serialized.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


# --------------------------------------------------------------------------- rich values


def _ref(ref: Reference) -> list[Any]:
    if ref.text is not None:
        return [ref.type, ref.data, ref.text]
    if ref.data is not None:
        return [ref.type, ref.data]
    return [ref.type]


def _inline(part: Any) -> Any:
    if isinstance(part, str):
        return part
    if isinstance(part, LineBreak):
        return None
    if isinstance(part, Reference):
        return _ref(part)
    return {"p": [_inline(p) for p in part.content]}


def encode_text(text: Text | None) -> Any:
    if text is None:
        return None
    parts = text.parts
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    return [_inline(p) for p in parts]


# --------------------------------------------------------------------------- rows


@dataclass(slots=True)
class RecordRow:
    """A record ready to be stored: its columns, its hash, and its key for matching.

    ``key`` identifies a record within one version: (port low, port high, transport,
    case-folded name).
    """

    record: Record
    key: tuple[int | None, int | None, str | None, str | None]
    body: str
    layout: str | None
    content_hash: int


@dataclass(slots=True)
class PersonRow:
    person: Person
    layout: str | None
    content_hash: int

    @property
    def uris(self) -> str | None:
        """The ``uris`` column (computed for the rows written only)."""
        return dumps(self.person.uris) if self.person.uris else None

    @property
    def search_text(self) -> tuple[str, str | None, str | None]:
        """What a person contributes to the search documents of records naming them."""
        p = self.person
        return (p.id, p.name, p.org)


class Encoder:
    """Serializes model values for the database; caches the JSON of repeated layouts.

    One encoder may serve a series of imports (``Store.series()``): it then keeps the
    rows of the last registry it encoded, by the identity of their model values, so that
    a record or person read once and shared by the next version (``xml.memo()``) is not
    serialized and hashed again. Values are compared by identity only: equal but
    distinct values are encoded anew, which is always right.
    """

    def __init__(self, *, remember: bool = False) -> None:
        self._layouts: dict[tuple[tuple[str, ...], tuple[str, ...]], str | None] = {((), ()): None}
        self._remember = remember
        self._rows: dict[int, RecordRow | PersonRow] = {}

    def rows(self, registry: Registry) -> tuple[list[RecordRow], list[PersonRow]]:
        """The rows of every record and person of ``registry``, in order."""
        if not self._remember:
            return [self.record(r) for r in registry.records], [self.person(p) for p in registry.people]
        previous = self._rows
        get = previous.get
        record, person = self.record, self.person
        # A row holds its value, so a row found by id is that very value's only while
        # its value is the one asked for (ids are reused once a value is gone).
        records = [
            row if (row := get(id(r))) is not None and row.record is r else record(r)  # type: ignore[union-attr]
            for r in registry.records
        ]
        people = [
            row if (row := get(id(p))) is not None and row.person is p else person(p)  # type: ignore[union-attr]
            for p in registry.people
        ]
        self._rows = dict(zip(map(id, registry.records), records))
        self._rows.update(zip(map(id, registry.people), people))
        return records, people  # type: ignore[return-value]

    def layout(self, layout: tuple[str, ...], spacing: tuple[str, ...]) -> str | None:
        """The ``layout`` column: element order and whitespace as read (None when neither is known)."""
        key = (layout, spacing)
        found = self._layouts.get(key, "")
        if found == "":
            found = self._layouts[key] = dumps(key)
        return found

    def record(self, record: Record) -> RecordRow:
        """Runs 14,000 times per import: written for speed (no helper calls for plain text)."""
        port, name = record.port, record.name
        if port is None:
            low = high = written = None
        else:
            low, high, written = port.low, port.high, port.written
        d, n, u = record.description, record.notes, record.unauthorized
        assignee, references = record.assignee, record.references
        body = dumps(
            [
                name,
                low,
                high,
                written,
                record.transport,
                None if d is None else d.parts[0] if len(d.parts) == 1 and type(d.parts[0]) is str else encode_text(d),
                [_ref(r) for r in assignee] if assignee else None,
                [_ref(r) for r in references] if references else None,
                record.registered,
                record.modified,
                None if n is None else encode_text(n),
                None if u is None else encode_text(u),
                record.service_code,
            ]
        )
        shape = (record.layout, record.spacing)
        layout = self._layouts.get(shape, "")
        if layout == "":
            layout = self.layout(*shape)
        digest = blake2b((body if layout is None else body + layout).encode(), digest_size=8).digest()
        key = (low, high, record.transport, None if name is None else name.casefold())
        return RecordRow(record, key, body, layout, int.from_bytes(digest, "big", signed=True))

    def person(self, person: Person) -> PersonRow:
        layout = self.layout(person.layout, person.spacing)
        serialized = dumps((person.id, person.name, person.org, person.uris, person.updated, layout))
        return PersonRow(person, layout, row_hash(serialized))

    def head(self, registry: Registry) -> str:
        return dumps(
            {
                "title": registry.title,
                "id": registry.id,
                "category": registry.category,
                "updated": registry.updated,
                "references": [_ref(r) for r in registry.references],
                "expert": registry.expert,
                "notes": [[encode_text(n.text), n.title] for n in registry.notes],
                "footnotes": [[f.anchor, encode_text(f.text)] for f in registry.footnotes],
                "head_layout": list(registry.head_layout),
                "processing_instructions": list(registry.processing_instructions),
                "spacing": list(registry.spacing),
            }
        )


def version_hash(head: str, records: Iterable[RecordRow], people: Iterable[PersonRow]) -> str:
    """The fingerprint of a whole version: its head and every row's hash, in order."""
    return hash_of_version(head, [r.content_hash for r in records], [p.content_hash for p in people])


def hash_of_version(head: str, record_hashes: Iterable[int], person_hashes: Iterable[int]) -> str:
    """:func:`version_hash` from the row hashes alone: a publication that changed a few
    rows computes it from the stored hashes, without serializing the others again."""
    h = blake2b(head.encode("utf-8"), digest_size=16)
    h.update(array("q", record_hashes).tobytes())
    h.update(b"\x00people")
    h.update(array("q", person_hashes).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- search documents


def search_document(record: Record, people: dict[str, tuple[str, str | None, str | None]]) -> tuple[str, str, str, str]:
    """The four full-text columns of a record: name, description, notes, people.

    People are indexed by id (``Jon_Postel`` reads as "Jon Postel"), name and
    organization, as the registry of that version names them.
    """
    notes = " ".join(str(t) for t in (record.notes, record.unauthorized) if t)
    names: list[str] = []
    for person_id in dict.fromkeys(record.person_ids()):
        pid, name, org = people.get(person_id, (person_id, None, None))
        names.append(pid.replace("_", " "))
        names.extend(v for v in (name, org) if v)
    return (record.name or "", str(record.description or ""), notes, " ".join(names))


def person_document(person: Person) -> tuple[str, str, str, str]:
    """The full-text columns of a person: id, name, organization, URIs."""
    return (person.id.replace("_", " "), person.name or "", person.org or "", " ".join(person.uris))


def record_people(record: Record) -> set[tuple[str, str]]:
    """(person id, role) pairs: ``assignee``, ``contact``, or ``mention`` (inside a text)."""
    pairs = {(pid, "assignee") for pid in record.assignees}
    pairs.update((pid, "contact") for pid in record.contacts)
    for text in (record.description, record.notes, record.unauthorized):
        if text:
            pairs.update((r.data, "mention") for r in text.references() if r.type == "person" and r.data)
    return pairs
