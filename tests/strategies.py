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
    "dates",
    "people_lists",
    "port_ranges",
    "record_layout",
    "records",
    "registries",
    "service_names",
    "texts",
]

#: Characters XML 1.0 can carry, less the controls (a line feed is added where text allows it).
_XML_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co"))
_WORD_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co", "Z"))


def _tidy(max_size: int = 30) -> st.SearchStrategy[str]:
    """A one-line string with no blanks at either end (white space inside is one space)."""
    words = st.text(_WORD_CHAR.filter(lambda c: c not in "[]"), min_size=1, max_size=12)
    return st.lists(words, min_size=1, max_size=max(1, max_size // 8)).map(" ".join)


service_names = st.from_regex(r"[a-z]([a-z0-9]|-(?=[a-z0-9])){0,14}", fullmatch=True)
person_ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True)
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
        st.from_regex(r"draft-[a-z]{2,8}-[a-z]{2,8}(-[0-9]{2})?", fullmatch=True).map(lambda d: Reference("draft", d)),
        st.builds(
            lambda path, text: Reference("uri", f"https://example.org/{path}", text),
            st.from_regex(r"[a-z0-9]{0,10}", fullmatch=True),
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
    chars = st.one_of(_XML_CHAR, st.just("\n")) if newlines else _XML_CHAR
    run = st.text(chars, min_size=1, max_size=25)
    inline = [run, run]
    if breaks:
        inline.append(st.just(BR))
    if refs is not None:
        inline.append(refs)
    flat = st.one_of(inline)
    nodes = [flat]
    if paragraphs:
        nodes.append(st.lists(flat, max_size=4).map(lambda p: Paragraph(_normalised(p))))
    parts = draw(st.lists(st.one_of(nodes), max_size=6))
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
        record = _with_layout(record, tuple(draw(st.permutations(record_layout(record)))))
    return record


def _with_layout(value, layout: tuple[str, ...]):
    import dataclasses

    return dataclasses.replace(value, layout=layout)


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
            person = _with_layout(person, tuple(draw(st.permutations(tokens))))
        people.append(person)
    return tuple(people)


@st.composite
def registries(draw: st.DrawFn, max_records: int = 8, layouts: bool = False) -> Registry:
    """A whole registry: head, footnotes, records and the people they name."""
    people = draw(people_lists(layouts=layouts))
    ids = tuple(p.id for p in people)
    anchors = tuple(str(n) for n in range(1, draw(st.integers(0, 2)) + 1))
    expert_lines = draw(st.lists(st.sampled_from(["TCP/UDP", "SCTP", "DCCP"]), unique=True, max_size=3))
    expert = "\n".join(f"{group}: {draw(_tidy(max_size=30))}" for group in expert_lines) or None
    return Registry(
        title=draw(_tidy(max_size=40)),
        id=draw(st.sampled_from(["service-names-port-numbers", "ports"])),
        category=draw(st.one_of(st.none(), _tidy(max_size=30))),
        updated=draw(st.one_of(st.none(), dates)),
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
        records=tuple(draw(st.lists(records(ids, anchors, layouts=layouts), max_size=max_records))),
        people=people,
    )
