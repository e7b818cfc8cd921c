"""The registry as plain immutable values.

Everything here is data: no I/O, no validation beyond what a value needs to exist.
The rules of RFC 6335 live in :mod:`portreg.rules`; reading and writing live in
:mod:`portreg.formats`.

Faithfulness drives the shape. IANA's XML is the source of truth, so the model keeps
everything it holds: record order, the order of a record's references, which people are
the assignee and which the contact, line breaks and paragraphs inside descriptions and
notes, and even the order in which a record's child elements were written (``layout``),
so that reading and writing a published version gives the same document back.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Iterator, Union

__all__ = [
    "DYNAMIC",
    "SYSTEM",
    "TRANSPORTS",
    "USER",
    "Footnote",
    "LineBreak",
    "Note",
    "Paragraph",
    "Person",
    "PortRange",
    "Record",
    "Reference",
    "Registry",
    "Text",
]

#: The transports that share the port number space (RFC 6335 §6), in the registry's order.
TRANSPORTS: tuple[str, ...] = ("tcp", "udp", "sctp", "dccp")

SYSTEM = "system"
USER = "user"
DYNAMIC = "dynamic"


def _quick_init(cls: type) -> type:
    """Give a frozen slots dataclass an ``__init__`` that costs a third of its own.

    A frozen dataclass's own ``__init__`` calls ``object.__setattr__`` once per field,
    since its ``__setattr__`` refuses every write; for a record of 13 fields that is
    about as long as reading the record's XML. This one lends the new instance, for the length
    of the call, to an unfrozen class with the same slots, stores each field with a plain
    assignment, and gives it back. Signature, defaults, annotations and all behaviour
    after construction (immutability, ``==``, ``hash``, ``dataclasses.replace``) are the
    dataclass's own; a subclass's instances go through the dataclass's ``__init__``.
    """
    init = cls.__dict__["__init__"]
    twin = type(f"_{cls.__name__}Fields", (), {"__slots__": cls.__dict__["__slots__"]})
    names = [f.name for f in fields(cls)]
    defaults = {f"_default_{f.name}": f.default for f in fields(cls) if f.default is not MISSING}
    params = ", ".join(f"{n}=_default_{n}" if f"_default_{n}" in defaults else n for n in names)
    stores = "".join(f"\n        self.{n} = {n}" for n in names)
    source = (
        f"def make(_cls, _twin, _set, _init, {', '.join(defaults)}):\n"
        f"    def __init__(self, {params}):\n"
        f"        if type(self) is not _cls:\n"
        f"            return _init(self, {', '.join(names)})\n"
        f"        _set(self, '__class__', _twin){stores}\n"
        f"        self.__class__ = _cls\n"
        f"    return __init__\n"
    )
    namespace: dict = {}
    exec(source, {}, namespace)
    quick = namespace["make"](cls, twin, object.__setattr__, init, **defaults)
    quick.__qualname__, quick.__module__ = init.__qualname__, cls.__module__
    quick.__annotations__ = init.__annotations__
    setattr(cls, "__init__", quick)  # noqa: B010 (assigning to a method is what mypy refuses)
    return cls


@dataclass(frozen=True, slots=True, order=True)
class PortRange:
    """A port or an inclusive range of ports; a single port is a range of one.

    ``written`` keeps how the registry wrote the value when that differs from the
    canonical form: six Unassigned rows write one port as ``4748-4748``, and IANA's CSV
    repeats it, so ``str()`` gives it back for a faithful round trip. It takes no part
    in comparisons: ``4748-4748`` is the port 4748.
    """

    low: int
    high: int
    written: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def single(cls, port: int) -> PortRange:
        return cls(port, port)

    @classmethod
    def parse(cls, text: str) -> PortRange:
        """Parse ``"80"`` or ``"6000-6063"``. Raises ValueError on anything else."""
        stripped = text.strip()
        low, sep, high = stripped.partition("-")
        # ASCII digits only, and few of them: "²".isdigit() is true, int("٣") is 3, and
        # int() refuses more than 4,300 digits with an error of its own.
        if not _is_number(low) or (sep and not _is_number(high)):
            raise ValueError(f"not a port or port range: {text[:40]!r}")
        first = int(low)
        last = int(high) if sep else first
        canonical = f"{first}-{last}" if first != last else str(first)
        return cls(first, last, None if stripped == canonical else stripped)

    @property
    def is_range(self) -> bool:
        return self.high != self.low

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.low <= port <= self.high

    def __len__(self) -> int:
        return self.high - self.low + 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.low, self.high + 1))

    def __str__(self) -> str:
        if self.written is not None:
            return self.written
        return f"{self.low}-{self.high}" if self.is_range else str(self.low)


@dataclass(frozen=True, slots=True)
class Reference:
    """An ``xref``: a pointer to a person, an RFC, a draft, a URI, a footnote, or free text.

    ``type`` is one of ``person``, ``rfc``, ``draft``, ``uri``, ``text``, ``note``
    (a footnote anchor); ``data`` is its target (absent for ``text``); ``text`` is the
    element's own text, when it has any (always for ``text``, sometimes for ``uri``).
    """

    type: str
    data: str | None = None
    text: str | None = None

    @property
    def label(self) -> str:
        """How IANA's CSV, HTML and text show the reference inside brackets.

        ``rfc9110`` becomes ``RFC9110``; a text reference shows its text; every other
        kind shows its data (a person id, a draft name, a URI, a footnote anchor).
        """
        if self.type == "rfc" and self.data:
            return self.data.upper()
        if self.type == "text" or self.data is None:
            return (self.text or "").strip()
        return self.data


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A ``<br/>`` inside a description or a note."""


BR = LineBreak()

Inline = Union[str, LineBreak, Reference, "Paragraph"]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A ``<paragraph>`` inside a note: a run of inline content."""

    content: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """Rich text as the registry writes it: strings, line breaks, references, paragraphs.

    Text nodes are kept exactly, whitespace included, so that mixed content survives a
    round trip. ``str(text)`` gives the plain reading: line breaks as newlines,
    references as ``[label]``, paragraphs as their content.
    """

    parts: tuple[Inline, ...] = ()

    @classmethod
    def of(cls, value: str | Text | None) -> Text | None:
        """Wrap a plain string (``None`` and ``Text`` pass through)."""
        if value is None or isinstance(value, Text):
            return value
        return cls((value,))

    @property
    def is_plain(self) -> bool:
        """True when the text is only strings (no breaks, references or paragraphs)."""
        return all(isinstance(p, str) for p in self.parts)

    def references(self) -> Iterator[Reference]:
        """Every inline reference, depth first, in document order."""
        yield from _inline_references(self.parts)

    def __str__(self) -> str:
        return "".join(_inline_plain(self.parts))

    def __bool__(self) -> bool:
        return bool(self.parts)


def _inline_plain(parts: tuple[Inline, ...]) -> Iterator[str]:
    for part in parts:
        if isinstance(part, str):
            yield part
        elif isinstance(part, LineBreak):
            yield "\n"
        elif isinstance(part, Reference):
            yield f"[{part.label}]"
        else:
            yield from _inline_plain(part.content)


def _inline_references(parts: tuple[Inline, ...]) -> Iterator[Reference]:
    for part in parts:
        if isinstance(part, Reference):
            yield part
        elif isinstance(part, Paragraph):
            yield from _inline_references(part.content)


@dataclass(frozen=True, slots=True)
class Note:
    """A registry-level note; some carry a title (``Request an Assignment``)."""

    text: Text
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Footnote:
    """A registry footnote, referenced from records as ``xref type="note" data=anchor``."""

    anchor: str
    text: Text


@_quick_init
@dataclass(frozen=True, slots=True)
class Record:
    """One row of the registry: a (service name, port or range, transport) assignment.

    Any of name, port and transport may be absent: Reserved and Unassigned rows have no
    name; name-only registrations have no port; some rows have no transport.

    ``assignee`` holds the person references written inside ``<assignee>``;
    ``references`` every other ``xref`` of the record, in document order (person
    references there are the contact, or both roles when there is no ``<assignee>``).
    ``layout`` is the order of the record's child elements as read (``"xref"`` once per
    entry of ``references``); writers follow it, or their own order when it is empty.
    Dates are kept as written (``2005-08`` and ``2017-06-05`` both occur).

    ``spacing`` is the whitespace around the record's tags as read, because IANA's files
    are hand-edited (tabs, trailing blanks, blank lines): the run before ``<record>``,
    after ``<record>``, then after each child's end tag in ``layout`` order (inside an
    ``<assignee>``: after its start tag and after each of its ``xref``), the last one
    being the run before ``</record>``. An XML writer uses it only when it fits the
    layout, and indents its own way otherwise.
    """

    name: str | None = None
    port: PortRange | None = None
    transport: str | None = None
    description: Text | None = None
    assignee: tuple[Reference, ...] = ()
    references: tuple[Reference, ...] = ()
    registered: str | None = None
    modified: str | None = None
    notes: Text | None = None
    unauthorized: Text | None = None
    service_code: str | None = None
    layout: tuple[str, ...] = field(default=(), compare=False)
    spacing: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def assignees(self) -> tuple[str, ...]:
        """Ids of the assignee: the ``<assignee>`` people, else every person reference.

        This is how IANA's own CSV export fills its Assignee column.
        """
        refs = self.assignee or tuple(r for r in self.references if r.type == "person")
        return tuple(r.data for r in refs if r.data)

    @property
    def contacts(self) -> tuple[str, ...]:
        """Ids of the contact: the person references outside ``<assignee>``."""
        return tuple(r.data for r in self.references if r.type == "person" and r.data)

    @property
    def citations(self) -> tuple[Reference, ...]:
        """The references that are not people (RFCs, drafts, URIs, text, footnotes)."""
        return tuple(r for r in self.references if r.type != "person")

    def person_ids(self) -> Iterator[str]:
        """Every person the record names, assignee first, then in document order."""
        for ref in self.assignee:
            if ref.data:
                yield ref.data
        for ref in self.references:
            if ref.type == "person" and ref.data:
                yield ref.data
        for text in (self.description, self.notes, self.unauthorized):
            if text:
                for ref in text.references():
                    if ref.type == "person" and ref.data:
                        yield ref.data


@_quick_init
@dataclass(frozen=True, slots=True)
class Person:
    """Someone a record refers to: a person, an organization, or a role (``IESG``)."""

    id: str
    name: str | None = None
    org: str | None = None
    uris: tuple[str, ...] = ()
    updated: str | None = None
    layout: tuple[str, ...] = field(default=(), compare=False)
    #: Whitespace as read, like :attr:`Record.spacing`: before ``<person>``, after it,
    #: then after each child's end tag (the last is the run before ``</person>``).
    spacing: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def display_name(self) -> str:
        return self.name or self.org or self.id


@dataclass(frozen=True, slots=True)
class Registry:
    """A whole published version of the registry.

    ``expert`` is kept as the registry writes it (one line per transport group, lines
    may wrap); :func:`portreg.rules.experts_by_group` reads it. ``head_layout`` is the
    order of the registry-level elements before the records, and
    ``processing_instructions`` the ones before the root element, for faithful XML.
    """

    title: str
    records: tuple[Record, ...] = ()
    people: tuple[Person, ...] = ()
    id: str = "service-names-port-numbers"
    category: str | None = None
    updated: str | None = None
    references: tuple[Reference, ...] = ()
    expert: str | None = None
    notes: tuple[Note, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    head_layout: tuple[str, ...] = field(default=(), compare=False)
    processing_instructions: tuple[str, ...] = field(default=(), compare=False)
    #: Whitespace as read at the top level: the run before each element of
    #: ``head_layout`` and before each footnote, before ``<people>`` and ``</people>``,
    #: and before ``</registry>``. Records and people carry their own.
    spacing: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def people_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    def referenced_people(self, records: tuple[Record, ...] | None = None) -> tuple[Person, ...]:
        """The people that ``records`` (default: all) refer to, in the registry's order."""
        wanted = {pid for r in (self.records if records is None else records) for pid in r.person_ids()}
        return tuple(p for p in self.people if p.id in wanted)


def _is_number(text: str) -> bool:
    """1 to 10 ASCII digits (a port has at most 5; the rest is for a clear range error)."""
    return 0 < len(text) <= 10 and text.isascii() and text.isdigit()
