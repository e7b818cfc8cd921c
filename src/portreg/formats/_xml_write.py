"""IANA's XML written from the model: the writer behind :func:`portreg.formats.xml.write`.

It gives back IANA's own whitespace (``spacing``) and element order (``layout``) where
the model kept them, so a published version comes back byte for byte, and indents
IANA's way where it did not. A module of its own, so that reading XML (and converting
it to any other format) does not compile the writer.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import FormatError
from ..model import Inline, Paragraph, Person, Record, Reference, Registry, Text
from .xml import DEFAULT_PROCESSING_INSTRUCTIONS, NAMESPACE

__all__ = ["dumps"]


#: Records' XML text by the record object's identity: see :func:`dumps`.
RecordTexts = dict[int, tuple[Record, str]]


def dumps(registry: Registry, *, record_texts: RecordTexts | None = None) -> str:
    """The XML text of ``registry``.

    Built as one list of strings joined at the end: far faster than building an lxml
    tree, and it lets the writer give back IANA's own whitespace (``spacing``) where the
    model kept it, so a published version comes back byte for byte.

    ``record_texts``: for a caller writing version after version, each made from the one
    before (so that unchanged records are the same objects), an empty dict it passes to
    every call: a record written in the call before is not written again. It keeps the
    records of the last call only (holding them, so that their identities stay theirs).
    """
    parts: list[str] = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    put = parts.append
    for pi in registry.processing_instructions or DEFAULT_PROCESSING_INSTRUCTIONS:
        if "?>" in pi or not pi.strip():
            raise FormatError(f"cannot write the processing instruction {pi!r} in XML", field="processing_instructions")
        put(f"<?{pi}?>\n")
    put(f'<registry xmlns="{NAMESPACE}" id="{_attr(registry.id)}">')
    head = _head_layout(registry)
    people = registry.people
    gaps = len(head) + len(registry.footnotes) + (2 if people else 0) + 1
    fits = head is registry.head_layout and len(registry.spacing) == gaps
    spacing = iter(registry.spacing if fits else ("\n  ",) * (gaps - 1) + ("\n",))
    references = iter(registry.references)
    notes = iter(registry.notes)
    for item in head:
        put(next(spacing))
        if item == "xref":
            put(_xref(next(references)))
        elif item == "note":
            note = next(notes)
            _text_element(put, "note", note.text, f' title="{_attr(note.title)}"' if note.title is not None else "")
        else:
            put(_plain(item, getattr(registry, item)))
    write_record = _RecordWriter().write
    if record_texts is None:
        for record in registry.records:
            write_record(record, put)
    else:
        kept: RecordTexts = {}
        for record in registry.records:
            hit = record_texts.get(id(record))
            if hit is None or hit[0] is not record:
                written: list[str] = []
                write_record(record, written.append)
                hit = (record, "".join(written))
            kept[id(record)] = hit
            put(hit[1])
        record_texts.clear()
        record_texts.update(kept)
    for footnote in registry.footnotes:
        put(next(spacing))
        _text_element(put, "footnote", footnote.text, f' anchor="{_attr(footnote.anchor)}"')
    if people:
        put(next(spacing))
        put("<people>")
        for person in people:
            _write_person(person, put)
        put(next(spacing))
        put("</people>")
    put(next(spacing))
    put("</registry>\n")
    document = "".join(parts)
    bad = _NOT_XML.search(document)
    if bad:
        line = document.count("\n", 0, bad.start()) + 1
        raise FormatError(
            f"the registry holds a character XML cannot carry (U+{ord(bad.group()):04X}) at line {line} of the output",
        )
    return document


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    """Escape character data the way libxml2 does (IANA's files are written by it)."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def _attr(value: str) -> str:
    return (
        _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
        if not value.isalnum()
        else value
    )


def _plain(tag: str, value: str) -> str:
    return f"<{tag}>{_text(value)}</{tag}>" if value else f"<{tag}/>"


def _xref(ref: Reference) -> str:
    attrs = f'type="{_attr(ref.type)}"'
    if ref.data is not None:
        attrs += f' data="{_attr(ref.data)}"'
    return f"<xref {attrs}>{_text(ref.text)}</xref>" if ref.text else f"<xref {attrs}/>"


def _inline(put: Callable[[str], Any], parts: tuple[Inline, ...]) -> None:
    for part in parts:
        if isinstance(part, str):
            put(_text(part))
        elif isinstance(part, Reference):
            put(_xref(part))
        elif isinstance(part, Paragraph):
            if part.content:
                put("<paragraph>")
                _inline(put, part.content)
                put("</paragraph>")
            else:
                put("<paragraph/>")
        else:
            put("<br/>")


def _text_element(put: Callable[[str], Any], tag: str, text: Text, attrs: str = "") -> None:
    parts = text.parts
    if not parts:
        put(f"<{tag}{attrs}/>")
    elif len(parts) == 1 and isinstance(parts[0], str):
        put(f"<{tag}{attrs}>{_text(parts[0])}</{tag}>")
    else:
        put(f"<{tag}{attrs}>")
        _inline(put, parts)
        put(f"</{tag}>")


def _head_layout(registry: Registry) -> tuple[str, ...]:
    """``registry.head_layout`` when it matches what the registry holds, else IANA's order."""
    layout = registry.head_layout
    present = {
        "category": registry.category is not None,
        "updated": registry.updated is not None,
        "expert": registry.expert is not None,
    }
    if (
        layout
        and layout.count("xref") == len(registry.references)
        and layout.count("note") == len(registry.notes)
        and (layout.count("title") == 1 or (not registry.title and "title" not in layout))
        and all(layout.count(name) == int(here) for name, here in present.items())
        and set(layout) <= {"title", "xref", "note", *present}
    ):
        return layout
    default = ["title"] if registry.title or not layout else []
    default += [name for name in ("category", "updated") if present[name]]
    default += ["xref"] * len(registry.references)
    default += ["expert"] if present["expert"] else []
    default += ["note"] * len(registry.notes)
    return tuple(default)


class _RecordWriter:
    """Writes records, remembering per layout what it has worked out once.

    A registry has tens of thousands of records but a few dozen layouts, so whether a
    layout fits a record, and the default spacing for it, are computed once per layout.
    """

    def __init__(self) -> None:
        self._fields: dict[tuple[str, ...], tuple[tuple[bool, ...], int] | None] = {}
        self._spacing: dict[tuple[tuple[str, ...], int], tuple[str, ...]] = {}

    def layout(self, record: Record) -> tuple[str, ...]:
        layout = record.layout
        if layout:
            if layout not in self._fields:
                self._fields[layout] = _layout_signature(layout)
            signature = self._fields[layout]
            if signature is not None and signature == (_present(record), len(record.references)):
                return layout
        return _default_record_layout(record)

    def spacing(self, record: Record, layout: tuple[str, ...]) -> tuple[str, ...]:
        assignees = len(record.assignee)
        gaps = 2 + len(layout) + (assignees + 1 if record.assignee else 0)
        if layout is record.layout and len(record.spacing) == gaps:
            return record.spacing
        key = (layout, assignees)
        if key not in self._spacing:
            runs = ["\n  "]
            for item in layout:
                runs.append("\n    ")
                if item == "assignee":
                    runs += ["\n      "] * assignees + ["\n    "]
            runs.append("\n  ")
            self._spacing[key] = tuple(runs)
        return self._spacing[key]

    def write(self, record: Record, put: Callable[[str], Any]) -> None:
        layout = self.layout(record)
        spacing = iter(self.spacing(record, layout))
        attrs = ""
        if record.registered is not None:
            attrs += f' date="{_attr(record.registered)}"'
        if record.modified is not None:
            attrs += f' updated="{_attr(record.modified)}"'
        put(next(spacing))
        if not layout:
            put(f"<record{attrs}/>")
            return
        put(f"<record{attrs}>")
        references = iter(record.references)
        for item in layout:
            put(next(spacing))
            if item == "xref":
                put(_xref(next(references)))
            elif item == "name":
                put(_plain("name", record.name))  # type: ignore[arg-type]
            elif item == "protocol":
                put(_plain("protocol", record.transport))  # type: ignore[arg-type]
            elif item == "number":
                put(f"<number>{record.port}</number>")
            elif item == "description":
                _text_element(put, "description", record.description)  # type: ignore[arg-type]
            elif item == "assignee":
                put("<assignee>")
                for ref in record.assignee:
                    put(next(spacing))
                    put(_xref(ref))
                put(next(spacing))
                put("</assignee>")
            elif item == "note":
                _text_element(put, "note", record.notes)  # type: ignore[arg-type]
            elif item == "unauthorized":
                _text_element(put, "unauthorized", record.unauthorized)  # type: ignore[arg-type]
            else:
                put(_plain("sc", record.service_code))  # type: ignore[arg-type]
        put(next(spacing))
        put("</record>")


#: The record's singleton children in the order :func:`_present` reports them.
_SINGLE_CHILDREN = ("name", "protocol", "number", "description", "assignee", "note", "unauthorized", "sc")


def _present(record: Record) -> tuple[bool, ...]:
    return (
        record.name is not None,
        record.transport is not None,
        record.port is not None,
        record.description is not None,
        bool(record.assignee),
        record.notes is not None,
        record.unauthorized is not None,
        record.service_code is not None,
    )


def _layout_signature(layout: tuple[str, ...]) -> tuple[tuple[bool, ...], int] | None:
    """Which singletons ``layout`` holds and how many xrefs, or None when it is not valid."""
    if any(layout.count(name) > 1 for name in _SINGLE_CHILDREN) or not set(layout) <= {"xref", *_SINGLE_CHILDREN}:
        return None
    return tuple(name in layout for name in _SINGLE_CHILDREN), layout.count("xref")


def _default_record_layout(record: Record) -> tuple[str, ...]:
    """IANA's most common order for records written without a layout of their own."""
    present = dict(zip(_SINGLE_CHILDREN, _present(record)))
    layout = [name for name in ("name", "protocol", "assignee") if present[name]]
    layout += ["xref"] * len(record.references)
    layout += [name for name in ("description", "number", "note", "unauthorized", "sc") if present[name]]
    return tuple(layout)


_PERSON_CHILDREN = ("name", "org", "uri", "updated")


def _person_layout(person: Person) -> tuple[str, ...]:
    """``person.layout`` when it matches what the person holds, else IANA's order."""
    single = {"name": person.name, "org": person.org, "updated": person.updated}
    layout = person.layout
    if (
        layout
        and layout.count("uri") == len(person.uris)
        and all(layout.count(name) == (value is not None) for name, value in single.items())
        and set(layout) <= set(_PERSON_CHILDREN)
    ):
        return layout
    return (
        *(["name"] if person.name is not None else []),
        *(["org"] if person.org is not None else []),
        *(["uri"] * len(person.uris)),
        *(["updated"] if person.updated is not None else []),
    )


def _write_person(person: Person, put: Callable[[str], Any]) -> None:
    layout = _person_layout(person)
    if layout is person.layout and len(person.spacing) == len(layout) + 2:
        spacing = iter(person.spacing)
    else:
        spacing = iter(("\n    ",) + ("\n      ",) * len(layout) + ("\n    ",))
    put(next(spacing))
    if not layout:
        put(f'<person id="{_attr(person.id)}"/>')
        return
    put(f'<person id="{_attr(person.id)}">')
    uris = iter(person.uris)
    for item in layout:
        put(next(spacing))
        put(_plain(item, next(uris) if item == "uri" else getattr(person, item)))
    put(next(spacing))
    put("</person>")
