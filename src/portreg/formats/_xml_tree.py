"""IANA's XML read with lxml: the full reader, for any document and for every error.

Reading keeps everything the document holds (record and reference order, the order of
each record's child elements, text exactly as written, line breaks, paragraphs,
processing instructions), so that reading a published version and writing it again
gives the same document. The reader is strict about structure: an element, attribute
or run of text the model has no place for is an error naming its line, never silently
dropped, because a dropped element would be a silent loss at the next write.

The input is untrusted. It is parsed with lxml with entities left unresolved, no DTD
loading, no network and libxml2's size limits on; any DOCTYPE is refused outright
(registries have none), so entity bombs and external entities never get a chance.

IANA's own files take a faster path first (:mod:`._xml_plain`); this reader reads what
that one leaves, and says what is wrong, and where, when anything is.
"""

from __future__ import annotations

import re
from typing import Any

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
from .xml import NAMESPACE

__all__ = ["read"]

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
    if b"\x00" in data[:1024] and not data.startswith(_WIDE_BOMS):
        raise FormatError("the input is binary, not XML", source=source)
    found = [at for at in (data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY")) if at >= 0]
    if found:
        raise FormatError(
            "a DOCTYPE or entity declaration is not allowed: a registry has no DTD",
            source=source,
            line=data.count(b"\n", 0, min(found)) + 1,
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        # libxml2 ends its message with ", line L, column C"; the line goes in front.
        message = _WHERE.sub(r" (column \1)", exc.msg or "syntax error")
        if exc.lineno and exc.lineno > data.count(b"\n", 0, len(data) - 1):
            message += "; the input ends early (truncated?)"
        raise FormatError(f"not well-formed XML: {message}", source=source, line=exc.lineno or None) from None
    except (ValueError, OSError) as exc:  # e.g. an encoding lxml does not know
        raise FormatError(f"not readable as XML: {exc}", source=source) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # declared in an encoding the byte check missed
        raise FormatError("a DOCTYPE is not allowed: a registry has no DTD", source=source, line=1)
    return root


#: Byte order marks of UTF-16 and UTF-32, the encodings in which XML may hold NUL bytes.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_WHERE = re.compile(r", line \d+, column (\d+)$")


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
    """Read one published version of the registry from IANA's XML, or say what is wrong."""
    root = _parse(data, source)
    return _Reader(root, source).registry(_leading_processing_instructions(root))


class _Reader:
    """One pass over the tree, written for speed: the 2024 registry has 100,000 elements.

    lxml creates a Python object for every element, tag, text and attribute touched, so
    each is touched once, attributes are counted (``len(el.attrib)`` is cheap, listing
    them is not) and named only when the count says something unexpected is there.
    Equal immutable values (references, plain texts, layouts, spacings) are shared
    between records: the registry names ``Jon_Postel`` hundreds of times and has a few
    dozen distinct layouts, which keeps the model small and the read fast.
    """

    def __init__(self, root: etree._Element, source: str | None) -> None:
        self.source = source
        qname = etree.QName(root)
        if qname.localname != "registry" or qname.namespace not in (NAMESPACE, None):
            raise FormatError(
                f"not a port registry: the root element is <{_pretty(root.tag)}>, "
                f'expected <registry xmlns="{NAMESPACE}">',
                source=source,
                line=root.sourceline,
            )
        self.root = root
        ns = f"{{{qname.namespace}}}" if qname.namespace else ""
        self.tags = {ns + name: name for name in _ELEMENTS}
        self.XREF, self.BR, self.PARAGRAPH, self.PERSON = (ns + n for n in ("xref", "br", "paragraph", "person"))
        self._references: dict[tuple[str | None, str | None, str | None], Reference] = {}
        self._texts: dict[str, Text] = {}
        self._ports: dict[str, PortRange] = {}
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}

    # ---- errors, raised only once something is wrong

    def error(self, message: str, el: etree._Element | None = None, field: str | None = None) -> FormatError:
        return FormatError(message, source=self.source, line=el.sourceline if el is not None else None, field=field)

    def blank(self, text: str | None, el: etree._Element, where: str) -> str:
        """``text`` where only whitespace belongs ("" for none); other text is an error."""
        if text is None:
            return ""
        if text and not text.isspace():
            raise self.error(f"unexpected text {text.strip()[:40]!r} in <{where}>", el)
        return text

    def unexpected(self, el: etree._Element, parent: str) -> FormatError:
        if not isinstance(el.tag, str):
            return self.error(f"unexpected processing instruction in <{parent}>", el)
        return self.error(f"unexpected element <{_pretty(el.tag)}> in <{parent}>", el)

    def attributes(self, el: etree._Element, allowed: tuple[str, ...], where: str) -> None:
        """Refuse attributes the model has no place for (they would be lost on writing)."""
        for key in el.keys():  # noqa: SIM118 (an element iterates its children; keys() are its attributes)
            if key not in allowed:
                raise self.error(f"unexpected attribute {_pretty(key)!r} on <{where}>", el)

    # ---- values

    def reference(self, el: etree._Element) -> Reference:
        kind = el.get("type")
        data = el.get("data")
        text = el.text
        if kind is None or len(el.attrib) != 1 + (data is not None) or len(el):
            if kind is None:
                raise self.error("an <xref> without a type", el, "xref")
            self.attributes(el, ("type", "data"), "xref")
            raise self.unexpected(el[0], "xref")
        key = (kind, data, text)
        ref = self._references.get(key)
        if ref is None:
            ref = self._references[key] = Reference(kind, data, text)
        return ref

    def inline(self, el: etree._Element) -> tuple[Inline, ...]:
        """Mixed content: strings exactly as written, line breaks, references, paragraphs."""
        parts: list[Inline] = [el.text] if el.text else []
        for child in el:
            tag = child.tag
            if tag == self.BR:
                if len(child) or child.text or len(child.attrib):
                    raise self.error("a <br/> must be empty", child)
                parts.append(BR)
            elif tag == self.XREF:
                parts.append(self.reference(child))
            elif tag == self.PARAGRAPH:
                self.attributes(child, (), "paragraph")
                parts.append(Paragraph(self.inline(child)))
            else:
                raise self.unexpected(child, _pretty(el.tag))
            if child.tail:
                parts.append(child.tail)
        return tuple(parts)

    def text(self, el: etree._Element) -> Text:
        if len(el):
            return Text(self.inline(el))
        value = el.text or ""
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = Text((value,) if value else ())
        return text

    def plain(self, el: etree._Element, where: str) -> str:
        """The text of an element that holds only text (``""`` for ``<name/>``)."""
        if len(el):
            raise self.unexpected(el[0], where)
        return el.text or ""

    def port(self, el: etree._Element) -> PortRange:
        text = self.plain(el, "number")
        port = self._ports.get(text)
        if port is None:
            port = self._ports[text] = self.parse_port(text, el)
        return port

    def parse_port(self, text: str, el: etree._Element) -> PortRange:
        try:
            port = PortRange.parse(text)
        except ValueError:
            raise self.error(f"not a port or port range: {text!r}", el, "number") from None
        if port.high > MAX_PORT or port.low > port.high:
            raise self.error(f"not a port or port range: {text!r} (ports run from 0 to {MAX_PORT})", el, "number")
        return port

    def shared(self, items: list[str]) -> tuple[str, ...]:
        """``items`` as a tuple, the same object as an equal one read before."""
        key = tuple(items)
        return self._shared.setdefault(key, key)

    # ---- the document

    def registry(self, processing_instructions: tuple[str, ...]) -> Registry:
        root = self.root
        if len(root.attrib) != (root.get("id") is not None):
            self.attributes(root, ("id",), "registry")
        head: dict[str, Any] = {}
        head_layout: list[str] = []
        references: list[Reference] = []
        notes: list[Note] = []
        footnotes: list[Footnote] = []
        records: list[Record] = []
        people: tuple[Person, ...] = ()
        spacing: list[str] = []
        seen_people = False
        tags = self.tags
        read_record = self.record
        lead = self.blank(root.text, root, "registry")
        for child in root:
            name = tags.get(child.tag)
            if name == "record":
                records.append(read_record(child, lead))
            elif name in ("title", "category", "updated", "expert"):
                if name in head:
                    raise self.error(f"a second <{name}> in <registry>", child, name)
                if len(child.attrib):
                    self.attributes(child, (), name)
                head[name] = self.plain(child, name)
                head_layout.append(name)
                spacing.append(lead)
            elif name == "xref":
                references.append(self.reference(child))
                head_layout.append(name)
                spacing.append(lead)
            elif name == "note":
                self.attributes(child, ("title",), "note")
                notes.append(Note(self.text(child), child.get("title")))
                head_layout.append(name)
                spacing.append(lead)
            elif name == "footnote":
                self.attributes(child, ("anchor",), "footnote")
                anchor = child.get("anchor")
                if anchor is None:
                    raise self.error("a <footnote> without an anchor", child, "footnote")
                footnotes.append(Footnote(anchor, self.text(child)))
                spacing.append(lead)
            elif name == "people" and not seen_people:
                seen_people = True
                spacing.append(lead)
                people, closing = self.people(child)
                spacing.append(closing)
            else:
                raise self.unexpected(child, "registry")
            lead = self.blank(child.tail, child, "registry")
        spacing.append(lead)
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
            spacing=tuple(spacing),
        )

    def record(self, el: etree._Element, lead: str) -> Record:
        registered = el.get("date")
        modified = el.get("updated")
        if len(el.attrib) != (registered is not None) + (modified is not None):
            self.attributes(el, ("date", "updated"), "record")
        name = transport = port = description = notes = unauthorized = service_code = None
        assignee: tuple[Reference, ...] = ()
        references: list[Reference] = []
        layout: list[str] = []
        spacing = [lead, self.blank(el.text, el, "record")]
        tags = self.tags
        for child in el:
            kind = tags.get(child.tag)
            if kind == "xref":
                references.append(self.reference(child))
            elif len(child.attrib):
                self.attributes(child, (), kind or "record")
                raise self.unexpected(child, "record")
            elif kind in layout:
                raise self.error(f"a second <{kind}> in one <record>", child, kind)
            elif kind in _RECORD_STRINGS:
                if len(child):
                    raise self.unexpected(child[0], kind)
                value = child.text or ""
                if kind == "name":
                    name = value
                elif kind == "protocol":
                    transport = value
                else:
                    service_code = value
            elif kind == "description":
                description = self.text(child)
            elif kind == "number":
                port = self.port(child)
            elif kind == "assignee":
                assignee = self.assignee(child, spacing)
            elif kind == "note":
                notes = self.text(child)
            elif kind == "unauthorized":
                unauthorized = self.text(child)
            else:
                raise self.unexpected(child, "record")
            layout.append(kind)
            tail = child.tail
            spacing.append("" if tail is None else tail if tail.isspace() else self.blank(tail, child, "record"))
        return Record(
            name,
            port,
            transport,
            description,
            assignee,
            tuple(references),
            registered,
            modified,
            notes,
            unauthorized,
            service_code,
            self.shared(layout),
            self.shared(spacing),
        )

    def assignee(self, el: etree._Element, spacing: list[str]) -> tuple[Reference, ...]:
        """The person references in ``<assignee>``; its inner whitespace goes to ``spacing``."""
        spacing.append(self.blank(el.text, el, "assignee"))
        refs = []
        for child in el:
            if child.tag != self.XREF:
                raise self.unexpected(child, "assignee")
            refs.append(self.reference(child))
            spacing.append(self.blank(child.tail, child, "assignee"))
        return tuple(refs)

    def people(self, el: etree._Element) -> tuple[tuple[Person, ...], str]:
        """The people, and the whitespace before ``</people>``."""
        if len(el.attrib):
            self.attributes(el, (), "people")
        lead = self.blank(el.text, el, "people")
        people = []
        for child in el:
            if child.tag != self.PERSON:
                raise self.unexpected(child, "people")
            people.append(self.person(child, lead))
            lead = self.blank(child.tail, child, "people")
        return tuple(people), lead

    def person(self, el: etree._Element, lead: str) -> Person:
        person_id = el.get("id")
        if not person_id or len(el.attrib) != 1:
            self.attributes(el, ("id",), "person")
            raise self.error("a <person> without an id", el, "id")
        name = org = updated = None
        uris: list[str] = []
        layout: list[str] = []
        spacing = [lead, self.blank(el.text, el, "person")]
        tags = self.tags
        for child in el:
            kind = tags.get(child.tag)
            if len(child.attrib):
                self.attributes(child, (), kind or "person")
            if kind == "uri":
                uris.append(self.plain(child, "uri"))
            elif kind in layout:
                raise self.error(f"a second <{kind}> in one <person>", child, kind)
            elif kind == "name":
                name = self.plain(child, "name")
            elif kind == "org":
                org = self.plain(child, "org")
            elif kind == "updated":
                updated = self.plain(child, "updated")
            else:
                raise self.unexpected(child, "person")
            layout.append(kind)
            spacing.append(self.blank(child.tail, child, "person"))
        return Person(person_id, name, org, tuple(uris), updated, self.shared(layout), self.shared(spacing))


_RECORD_STRINGS = frozenset({"name", "protocol", "sc"})

#: Every element name a registry may hold, at any depth.
_ELEMENTS = (
    "registry", "title", "category", "updated", "xref", "expert", "note", "footnote", "people", "record",
    "name", "protocol", "number", "description", "assignee", "unauthorized", "sc", "person", "org", "uri",
)  # fmt: skip


def _pretty(tag: Any) -> str:
    """A tag or attribute name for messages: IANA's namespace left out, others shown."""
    if tag.startswith("{" + NAMESPACE + "}"):
        return tag[len(NAMESPACE) + 2 :]
    return tag
