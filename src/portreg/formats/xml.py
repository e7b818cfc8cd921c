"""IANA's XML: the registry's source of truth, read into the model and written back.

Reading keeps everything the document holds (record and reference order, the order of
each record's child elements, text exactly as written, line breaks, paragraphs,
processing instructions), so that reading a published version and writing it again
gives the same document. The reader is strict about structure: an element, attribute
or run of text the model has no place for is an error naming its line, never silently
dropped, because a dropped element would be a silent loss at the next write.

The input is untrusted. It is parsed with lxml with entities left unresolved, no DTD
loading, no network and libxml2's size limits on; any DOCTYPE is refused outright
(registries have none), so entity bombs and external entities never get a chance.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Callable

from lxml import etree

from ..errors import FormatError
from ..model import (
    BR,
    Footnote,
    Inline,
    Note,
    Paragraph,
    Person,
    PortRange,
    Record,
    Reference,
    Registry,
    Text,
)

__all__ = ["EXTENSION", "MEDIA_TYPE", "NAMESPACE", "read", "write"]

MEDIA_TYPE = "application/xml"
EXTENSION = "xml"

NAMESPACE = "http://www.iana.org/assignments"

MAX_PORT = 65535

# --------------------------------------------------------------------------- parsing


class _RefuseEverything(etree.Resolver):
    """A resolver that never loads anything: the reader reads its input and nothing else."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        raise OSError(f"refusing to load {system_url!r}: a registry is read from its input alone")


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseEverything())
    return parser


def _parse(data: bytes, source: str | None) -> etree._Element:
    """The root element of ``data``, or a FormatError; DOCTYPEs are refused before parsing."""
    if not data.strip():
        raise FormatError("the input is empty", source=source, line=1)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        line = data[: max(data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY"))].count(b"\n") + 1
        raise FormatError(
            "a DOCTYPE or entity declaration is not allowed: a registry has no DTD", source=source, line=line
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"not well-formed XML: {exc.msg}", source=source, line=exc.lineno or None) from None
    except (ValueError, OSError) as exc:  # e.g. an encoding lxml does not know
        raise FormatError(f"not readable as XML: {exc}", source=source) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # declared in an encoding the byte check missed
        raise FormatError("a DOCTYPE is not allowed: a registry has no DTD", source=source, line=1)
    return root


def _leading_processing_instructions(root: etree._Element) -> tuple[str, ...]:
    """The processing instructions before the root, each as ``target content``."""
    found = []
    node = root.getprevious()
    while node is not None:
        if node.tag is etree.PI:
            found.append(f"{node.target} {node.text}" if node.text else node.target)
        node = node.getprevious()
    return tuple(reversed(found))


# --------------------------------------------------------------------------- reading


def read(data: bytes, *, source: str | None = None) -> Registry:
    """Read one published version of the registry from IANA's XML."""
    root = _parse(data, source)
    return _Reader(root, source).registry(_leading_processing_instructions(root))


class _Reader:
    """One pass over the tree; holds the tag names of the document's namespace and caches.

    Caches share equal immutable values (references, layouts) between records: a
    registry names ``Jon_Postel`` hundreds of times and has a few dozen distinct layouts,
    which keeps the model small and the read fast.
    """

    def __init__(self, root: etree._Element, source: str | None) -> None:
        self.source = source
        qname = etree.QName(root)
        if qname.localname != "registry" or qname.namespace not in (NAMESPACE, None):
            raise FormatError(
                f"not a port registry: the root element is <{_pretty(root.tag)}>, "
                f"expected <registry xmlns=\"{NAMESPACE}\">",
                source=source,
                line=root.sourceline,
            )
        self.root = root
        ns = "{%s}" % qname.namespace if qname.namespace else ""
        self.ns = ns
        self.XREF = ns + "xref"
        self.BR = ns + "br"
        self.PARAGRAPH = ns + "paragraph"
        self.RECORD = ns + "record"
        self.ASSIGNEE = ns + "assignee"
        self.PERSON = ns + "person"
        self.record_fields = {ns + n: n for n in _RECORD_CHILDREN}
        self.person_fields = {ns + n: n for n in ("name", "org", "uri", "updated")}
        self.head_fields = {ns + n: n for n in _HEAD_CHILDREN}
        self._refs: dict[Any, Reference] = {}
        self._layouts: dict[tuple[str, ...], tuple[str, ...]] = {}

    # ---- errors

    def error(self, message: str, el: etree._Element | None = None, field: str | None = None) -> FormatError:
        return FormatError(message, source=self.source, line=el.sourceline if el is not None else None, field=field)

    def no_text(self, text: str | None, el: etree._Element, where: str) -> None:
        """Refuse non-blank text where only elements belong (it would be lost)."""
        if text and not text.isspace():
            raise self.error(f"unexpected text {text.strip()[:40]!r} in <{where}>", el)

    def check_attributes(self, el: etree._Element, allowed: frozenset[str], where: str) -> None:
        for key in el.keys():
            if key not in allowed:
                raise self.error(f"unexpected attribute {_pretty(key)!r} on <{where}>", el)

    # ---- values

    def reference(self, el: etree._Element) -> Reference:
        key = (tuple(el.items()), el.text)
        ref = self._refs.get(key)
        if ref is None:
            attrs = dict(key[0])
            if len(attrs) != len(key[0]) or not attrs.keys() <= {"type", "data"}:
                extra = sorted(set(attrs) - {"type", "data"})
                raise self.error(f"unexpected attribute {_pretty(extra[0])!r} on <xref>", el)
            if "type" not in attrs:
                raise self.error("an <xref> without a type", el, "xref")
            ref = self._refs[key] = Reference(attrs["type"], attrs.get("data"), el.text)
        if len(el):
            raise self.error(f"unexpected element <{_pretty(el[0].tag)}> in <xref>", el[0])
        return ref

    def inline(self, el: etree._Element) -> tuple[Inline, ...]:
        """Mixed content: strings exactly as written, line breaks, references, paragraphs."""
        parts: list[Inline] = [el.text] if el.text else []
        for child in el:
            tag = child.tag
            if tag == self.BR:
                if len(child) or child.text or child.keys():
                    raise self.error("a <br> must be empty", child)
                parts.append(BR)
            elif tag == self.XREF:
                parts.append(self.reference(child))
            elif tag == self.PARAGRAPH:
                self.check_attributes(child, _NO_ATTRIBUTES, "paragraph")
                parts.append(Paragraph(self.inline(child)))
            else:
                raise self.error(f"unexpected element <{_pretty(tag)}> in <{_pretty(el.tag)}>", child)
            if child.tail:
                parts.append(child.tail)
        return tuple(parts)

    def text(self, el: etree._Element) -> Text:
        if not len(el):
            return Text((el.text,)) if el.text else _EMPTY_TEXT
        return Text(self.inline(el))

    def plain(self, el: etree._Element, where: str) -> str:
        """The text of an element that holds only text (``""`` for ``<name/>``)."""
        if len(el):
            raise self.error(f"unexpected element <{_pretty(el[0].tag)}> in <{where}>", el[0])
        return el.text or ""

    def layout(self, items: list[str]) -> tuple[str, ...]:
        key = tuple(items)
        return self._layouts.setdefault(key, key)

    # ---- the document

    def registry(self, processing_instructions: tuple[str, ...]) -> Registry:
        root = self.root
        self.check_attributes(root, frozenset({"id"}), "registry")
        self.no_text(root.text, root, "registry")
        head: dict[str, Any] = {}
        head_layout: list[str] = []
        references: list[Reference] = []
        notes: list[Note] = []
        footnotes: list[Footnote] = []
        records: list[Record] = []
        people: tuple[Person, ...] = ()
        seen_people = False
        record_tag = self.RECORD
        read_record = self.record
        for child in root:
            tag = child.tag
            if tag == record_tag:
                records.append(read_record(child))
            else:
                name = self.head_fields.get(tag)
                if name is None:
                    raise self.error(f"unexpected element <{_pretty(tag)}> in <registry>", child)
                if name == "footnote":
                    self.check_attributes(child, frozenset({"anchor"}), "footnote")
                    anchor = child.get("anchor")
                    if anchor is None:
                        raise self.error("a <footnote> without an anchor", child, "footnote")
                    footnotes.append(Footnote(anchor, self.text(child)))
                elif name == "people":
                    if seen_people:
                        raise self.error("a second <people> in <registry>", child)
                    seen_people = True
                    people = self.people(child)
                else:
                    if name == "xref":
                        references.append(self.reference(child))
                    elif name == "note":
                        self.check_attributes(child, frozenset({"title"}), "note")
                        notes.append(Note(self.text(child), child.get("title")))
                    else:
                        if name in head:
                            raise self.error(f"a second <{name}> in <registry>", child)
                        self.check_attributes(child, _NO_ATTRIBUTES, name)
                        head[name] = self.plain(child, name)
                    head_layout.append(name)
            self.no_text(child.tail, child, "registry")
        return Registry(
            title=head.get("title", ""),
            records=tuple(records),
            people=people,
            id=root.get("id", "service-names-port-numbers"),
            category=head.get("category"),
            updated=head.get("updated"),
            references=tuple(references),
            expert=head.get("expert"),
            notes=tuple(notes),
            footnotes=tuple(footnotes),
            head_layout=tuple(head_layout),
            processing_instructions=processing_instructions,
        )

    def record(self, el: etree._Element) -> Record:
        attrs = el.keys()
        if attrs and not _RECORD_ATTRIBUTES.issuperset(attrs):
            self.check_attributes(el, _RECORD_ATTRIBUTES, "record")
        self.no_text(el.text, el, "record")
        values: dict[str, Any] = {}
        references: list[Reference] = []
        layout: list[str] = []
        fields = self.record_fields
        for child in el:
            name = fields.get(child.tag)
            if name is None:
                raise self.error(f"unexpected element <{_pretty(child.tag)}> in <record>", child)
            if name == "xref":
                references.append(self.reference(child))
            else:
                if name in values:
                    raise self.error(f"a second <{name}> in one <record>", child, name)
                if child.keys():
                    self.check_attributes(child, _NO_ATTRIBUTES, name)
                values[name] = _RECORD_READERS[name](self, child)
            layout.append(name)
            tail = child.tail
            if tail and not tail.isspace():
                self.no_text(tail, child, "record")
        return Record(
            name=values.get("name"),
            port=values.get("number"),
            transport=values.get("protocol"),
            description=values.get("description"),
            assignee=values.get("assignee", ()),
            references=tuple(references),
            registered=el.get("date"),
            modified=el.get("updated"),
            notes=values.get("note"),
            unauthorized=values.get("unauthorized"),
            service_code=values.get("sc"),
            layout=self.layout(layout),
        )

    def port(self, el: etree._Element) -> PortRange:
        text = self.plain(el, "number")
        try:
            port = PortRange.parse(text)
        except ValueError:
            raise self.error(f"not a port or port range: {text!r}", el, "number") from None
        if port.high > MAX_PORT or port.low > port.high:
            raise self.error(f"not a port or port range: {text!r} (ports run from 0 to {MAX_PORT})", el, "number")
        return port

    def assignee(self, el: etree._Element) -> tuple[Reference, ...]:
        self.no_text(el.text, el, "assignee")
        refs = []
        for child in el:
            if child.tag != self.XREF:
                raise self.error(f"unexpected element <{_pretty(child.tag)}> in <assignee>", child)
            refs.append(self.reference(child))
            self.no_text(child.tail, child, "assignee")
        return tuple(refs)

    def people(self, el: etree._Element) -> tuple[Person, ...]:
        self.check_attributes(el, _NO_ATTRIBUTES, "people")
        self.no_text(el.text, el, "people")
        people = []
        for child in el:
            if child.tag != self.PERSON:
                raise self.error(f"unexpected element <{_pretty(child.tag)}> in <people>", child)
            people.append(self.person(child))
            self.no_text(child.tail, child, "people")
        return tuple(people)

    def person(self, el: etree._Element) -> Person:
        self.check_attributes(el, frozenset({"id"}), "person")
        person_id = el.get("id")
        if not person_id:
            raise self.error("a <person> without an id", el, "id")
        self.no_text(el.text, el, "person")
        values: dict[str, str] = {}
        uris: list[str] = []
        layout: list[str] = []
        fields = self.person_fields
        for child in el:
            name = fields.get(child.tag)
            if name is None:
                raise self.error(f"unexpected element <{_pretty(child.tag)}> in <person>", child)
            if child.keys():
                self.check_attributes(child, _NO_ATTRIBUTES, name)
            value = self.plain(child, name)
            if name == "uri":
                uris.append(value)
            elif name in values:
                raise self.error(f"a second <{name}> in one <person>", child, name)
            else:
                values[name] = value
            layout.append(name)
            self.no_text(child.tail, child, "person")
        return Person(
            id=person_id,
            name=values.get("name"),
            org=values.get("org"),
            uris=tuple(uris),
            updated=values.get("updated"),
            layout=self.layout(layout),
        )


_EMPTY_TEXT = Text(())
_NO_ATTRIBUTES: frozenset[str] = frozenset()
_RECORD_ATTRIBUTES = frozenset({"date", "updated"})
_RECORD_CHILDREN = ("name", "protocol", "number", "description", "xref", "assignee", "note", "unauthorized", "sc")
_HEAD_CHILDREN = ("title", "category", "updated", "xref", "expert", "note", "footnote", "people")

_RECORD_READERS: dict[str, Callable[[_Reader, etree._Element], Any]] = {
    "name": lambda r, el: r.plain(el, "name"),
    "protocol": lambda r, el: r.plain(el, "protocol"),
    "number": _Reader.port,
    "description": _Reader.text,
    "assignee": _Reader.assignee,
    "note": _Reader.text,
    "unauthorized": _Reader.text,
    "sc": lambda r, el: r.plain(el, "sc"),
}


def _pretty(tag: Any) -> str:
    """A tag or attribute name for messages: IANA's namespace left out, others shown."""
    if not isinstance(tag, str):
        return "processing instruction"
    if tag.startswith("{" + NAMESPACE + "}"):
        return tag[len(NAMESPACE) + 2 :]
    return tag
