"""Hypothesis strategies that generate valid Registry values.

"Valid" means what a published registry can hold, so that every format that can hold
a value gives it back: person references resolve to people, footnote references to
footnotes, ids are unique, ports lie in 0-65535 with low <= high, and every string is
XML-safe (no control characters but the line feed, no surrogates, no non-characters).
Simple fields (names, dates, ids, labels) are tidy: one line, no surrounding blanks,
as in the real data. Rich text is normalised the way any reader of markup gives it
back: no empty strings and never two strings side by side, and always some
non-blank character. Layouts, when asked for, are a permutation of the element names
the value really has (the model's ``layout`` fields).
"""

from __future__ import annotations

import dataclasses
import re

from hypothesis import strategies as st

from portreg.model import (
    BR,
    TRANSPORTS,
    Footnote,
    Note,
    Paragraph,
    Person,
    PortRange,
    Record,
    Reference,
    Registry,
    Text,
)

__all__ = [
    "beyond_equality",
    "dates",
    "people_lists",
    "port_ranges",
    "record_layout",
    "records",
    "registries",
    "service_names",
    "texts",
]

#: Characters beyond ASCII that have broken formats before: accents, CJK, an emoji
#: outside the BMP, a no-break space, a line separator.
_TRICKY = "éüßÅ√中文😀\u00a0\u2028"
_ASCII = "".join(map(chr, range(0x20, 0x7F)))
#: What text may hold: printable ASCII (markup and CSV specials included) and the
#: tricky ones. Plain alphabets, no filters: generation and shrinking stay fast.
_TEXT_ALPHABET = _ASCII + _TRICKY
_WORD_ALPHABET = "".join(c for c in _TEXT_ALPHABET if not c.isspace() and c not in "[]")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _tidy(max_size: int = 30) -> st.SearchStrategy[str]:
    """A one-line string with no blanks at either end (white space inside is one space)."""
    words = st.text(_WORD_ALPHABET, min_size=1, max_size=12)
    return st.lists(words, min_size=1, max_size=max(1, max_size // 8)).map(" ".join)


def _identifier(first: str, rest: str, max_size: int) -> st.SearchStrategy[str]:
    return st.builds(str.__add__, st.sampled_from(first), st.text(rest, max_size=max_size))


#: RFC 6335 names: letters, digits and single inner hyphens, at most 15 characters.
service_names = _identifier(_LOWER, _LOWER + _DIGITS + "-", 14).map(lambda n: re.sub("-+", "-", n).rstrip("-"))
person_ids = _identifier(_LOWER + _LOWER.upper(), _LOWER + _LOWER.upper() + _DIGITS + "_", 20)
dates = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}" + (f"-{d:02d}" if d else ""),
    st.integers(1980, 2030),
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(1, 28)),
)


@st.composite
def port_ranges(draw: st.DrawFn) -> PortRange:
    """A single port (most of the time) or an inclusive range within 0-65535."""
    low = draw(st.integers(0, 65535))
    if draw(st.booleans()):
        return PortRange(low, low)
    return PortRange(low, draw(st.integers(low, 65535)))


def _citations(anchors: tuple[str, ...]) -> st.SearchStrategy[Reference]:
    kinds = [
        st.integers(1, 9999).map(lambda n: Reference("rfc", f"rfc{n}")),
        _identifier(_LOWER, _LOWER + "-", 16).map(lambda d: Reference("draft", f"draft-{d}")),
        st.builds(
            lambda path, text: Reference("uri", f"https://example.org/{path}", text),
            st.text(_LOWER + _DIGITS, max_size=10),
            st.one_of(st.none(), _tidy(max_size=16)),
        ),
        _tidy(max_size=20).map(lambda t: Reference("text", None, t)),
    ]
    if anchors:
        kinds.append(st.sampled_from(anchors).map(lambda a: Reference("note", a)))
    return st.one_of(kinds)


def _person_refs(ids: tuple[str, ...]) -> st.SearchStrategy[Reference]:
    return st.sampled_from(ids).map(lambda pid: Reference("person", pid)) if ids else st.nothing()


def _normalised(parts: list) -> tuple:
    """Adjacent strings merged and empty ones dropped, as a markup reader gives them."""
    out: list = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out)


@st.composite
def texts(
    draw: st.DrawFn,
    refs: st.SearchStrategy[Reference] | None = None,
    breaks: bool = True,
    paragraphs: bool = False,
    newlines: bool = True,
) -> Text:
    """Rich text: runs of characters, and where allowed line breaks, references and
    paragraphs (one level, as the registry uses them). Never blank."""
    run = st.text(_TEXT_ALPHABET + ("\n\t" if newlines else ""), min_size=1, max_size=12)
    inline = [run, run]
    if breaks:
        inline.append(st.just(BR))
    if refs is not None:
        inline.append(refs)
    flat = st.one_of(inline)
    nodes = [flat]
    if paragraphs:
        nodes.append(st.lists(flat, max_size=4).map(lambda p: Paragraph(_normalised(p))))
    parts = draw(st.lists(st.one_of(nodes), max_size=4))
    words = draw(_tidy(max_size=16))  # some non-blank words, wherever they land
    parts.insert(draw(st.integers(0, len(parts))), words)
    return Text(_normalised(parts))


def record_layout(record: Record) -> tuple[str, ...]:
    """The XML child elements ``record`` has, in the writers' usual order."""
    layout = []
    for token, present in (
        ("name", record.name is not None),
        ("protocol", record.transport is not None),
        ("number", record.port is not None),
        ("description", record.description is not None),
        ("assignee", bool(record.assignee)),
        ("note", record.notes is not None),
        ("unauthorized", record.unauthorized is not None),
        ("sc", record.service_code is not None),
    ):
        if present:
            layout.append(token)
    layout[1:1] = ["xref"] * len(record.references)
    return tuple(layout)


@st.composite
def records(draw: st.DrawFn, ids: tuple[str, ...] = (), anchors: tuple[str, ...] = (), layouts: bool = False) -> Record:
    """A record whose person references are among ``ids`` and footnote references
    among ``anchors``; any field may be absent, as in the registry."""
    citations = _citations(anchors)
    inline_refs = st.one_of(citations, _person_refs(ids)) if ids else citations
    opt = lambda s: st.one_of(st.none(), s)  # noqa: E731
    contacts = draw(st.lists(_person_refs(ids), max_size=2)) if ids else []
    record = Record(
        name=draw(opt(service_names)),
        port=draw(opt(port_ranges())),
        transport=draw(opt(st.sampled_from(TRANSPORTS))),
        description=draw(opt(texts(refs=None))),
        assignee=tuple(draw(st.lists(_person_refs(ids), max_size=2))) if ids else (),
        references=tuple(draw(st.permutations(contacts + draw(st.lists(citations, max_size=3))))),
        registered=draw(opt(dates)),
        modified=draw(opt(dates)),
        notes=draw(opt(texts(refs=inline_refs, paragraphs=True))),
        unauthorized=draw(opt(texts(refs=None, breaks=False))),
        service_code=draw(opt(st.integers(0, 2**32 - 1).map(str))),
    )
    if layouts:
        layout = tuple(draw(st.permutations(record_layout(record))))
        gaps = 2 + len(layout) + (len(record.assignee) + 1 if record.assignee else 0)
        record = dataclasses.replace(record, layout=layout, spacing=draw(_spacing(gaps, childless=not layout)))
    return record


def _spacing(gaps: int, childless: bool = False) -> st.SearchStrategy[tuple[str, ...]]:
    """Whitespace between tags as a hand-edited file has it: newlines, blanks, tabs.

    An element without children gets none inside (the XML writer closes it as ``<x/>``:
    see test_roundtrip_properties.py)."""
    runs = st.lists(st.text(" \t\n", max_size=4), min_size=gaps, max_size=gaps).map(tuple)
    return runs.map(lambda r: r[:-1] + ("",)) if childless else runs


@st.composite
def people_lists(draw: st.DrawFn, layouts: bool = False) -> tuple[Person, ...]:
    """People with unique ids (compared case-insensitively, as ids are in practice)."""
    ids = draw(st.lists(person_ids, max_size=5, unique_by=str.lower))
    people = []
    for pid in ids:
        person = Person(
            id=pid,
            name=draw(st.one_of(st.none(), _tidy(max_size=24))),
            org=draw(st.one_of(st.none(), _tidy(max_size=24))),
            uris=tuple(draw(st.lists(person_ids.map(lambda u: f"mailto:{u}&example.org"), max_size=2))),
            updated=draw(st.one_of(st.none(), dates)),
        )
        if layouts:
            tokens = [t for t, v in (("name", person.name), ("org", person.org)) if v is not None]
            tokens += ["uri"] * len(person.uris) + (["updated"] if person.updated else [])
            layout = tuple(draw(st.permutations(tokens)))
            person = dataclasses.replace(person, layout=layout, spacing=draw(_spacing(2 + len(layout), childless=not layout)))
        people.append(person)
    return tuple(people)


@st.composite
def registries(draw: st.DrawFn, max_records: int = 6, layouts: bool = False) -> Registry:
    """A whole registry: head, footnotes, records and the people they name."""
    people = draw(people_lists(layouts=layouts))
    ids = tuple(p.id for p in people)
    anchors = tuple(str(n) for n in range(1, draw(st.integers(0, 2)) + 1))
    records_ = tuple(draw(st.lists(records(ids, anchors, layouts=layouts), max_size=max_records)))
    latest = max((d for r in records_ for d in (r.registered, r.modified) if d), default=None)
    updated = draw(st.one_of(st.none(), dates))
    if updated is not None and latest is not None and updated < latest:
        updated = latest  # a version is never dated before its own records
    expert_lines = draw(st.lists(st.sampled_from(["TCP/UDP", "SCTP", "DCCP"]), unique=True, max_size=3))
    expert = "\n".join(f"{group}: {draw(_tidy(max_size=30))}" for group in expert_lines) or None
    registry = Registry(
        title=draw(_tidy(max_size=40)),
        id=draw(st.sampled_from(["service-names-port-numbers", "ports"])),
        category=draw(st.one_of(st.none(), _tidy(max_size=30))),
        updated=updated,
        references=tuple(draw(st.lists(st.integers(1, 9999).map(lambda n: Reference("rfc", f"rfc{n}")), max_size=2))),
        expert=expert,
        notes=tuple(
            Note(text, title)
            for text, title in draw(
                st.lists(
                    st.tuples(texts(refs=_citations(()), paragraphs=True), st.one_of(st.none(), _tidy(max_size=20))),
                    max_size=2,
                )
            )
        ),
        footnotes=tuple(Footnote(a, draw(texts(refs=None))) for a in anchors),
        records=records_,
        people=people,
    )
    if not layouts:
        return registry
    head = ["title"] + [n for n in ("category", "updated", "expert") if getattr(registry, n) is not None]
    head += ["xref"] * len(registry.references) + ["note"] * len(registry.notes)
    head_layout = tuple(draw(st.permutations(head)))
    gaps = len(head_layout) + len(registry.footnotes) + (2 if people else 0) + 1
    return dataclasses.replace(
        registry,
        head_layout=head_layout,
        spacing=draw(_spacing(gaps)),
        processing_instructions=draw(st.lists(st.sampled_from(PROCESSING_INSTRUCTIONS), min_size=1, max_size=2, unique=True).map(tuple)),
    )


#: Processing instructions as IANA's files have them.
PROCESSING_INSTRUCTIONS = (
    'xml-stylesheet type="text/xsl" href="service-names-port-numbers.xsl"',
    'xml-model href="service-names-port-numbers.rng" schematypens="http://relaxng.org/ns/structure/1.0" ',
)


def beyond_equality(registry: Registry) -> tuple:
    """What ``==`` leaves out and only faithful XML needs: layouts, whitespace between
    tags, processing instructions. Round trips that hold the whole model compare it too."""
    return (
        registry.head_layout,
        registry.processing_instructions,
        registry.spacing,
        tuple((r.layout, r.spacing) for r in registry.records),
        tuple((p.layout, p.spacing) for p in registry.people),
    )
