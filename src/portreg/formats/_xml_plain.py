"""IANA's XML in its plain form, read without a parser: the fast path of the XML reader.

IANA writes the registry in a small, regular part of XML: UTF-8; no DOCTYPE, comment,
CDATA section, character reference or namespace prefix; ``<`` and ``>`` only around
tags; no white space inside tags; attributes double-quoted, in one order. A document
written that way is read here with string methods: split at its angle brackets, it is a
list that alternates text and tag. And since its 14,000 records and 5,500 people come
in a few dozen shapes (which children, in which order, with which white space between),
each shape seen often becomes a template, a regular expression that reads a whole
record or person in one match. That is a third of the time of building an lxml tree
and walking it, and no lxml to import.

This reader only recognises. Anything outside the plain form, and every error, raises
:class:`Unusual`, and the full reader (lxml, :mod:`._xml_tree`) reads the document from
the start instead, with its checks and its error messages. On a document in the plain
form both give equal registries; the tests hold them to it on every published version.
"""

from __future__ import annotations

import re

from ..model import BR, Footnote, Inline, Note, Paragraph, Person, PortRange, Record, Reference, Registry, Text

__all__ = ["Memo", "Unusual", "read"]

MAX_PORT = 65535


class Unusual(Exception):
    """The document is not in the plain form: the full reader must read it."""


class Memo:
    """Records and people read from earlier documents, by their text, to be read again for free.

    Published versions follow each other with a few rows changed out of 14,000: reading
    a version after the one before it, every element whose text (with the white space
    before it) is the same is the same value. Keyed by that text, an element costs a
    dict lookup instead of a match and a dozen objects. Only the elements of the last
    document read and of the one being read are kept, so the memo stays two versions
    large however many are read.
    """

    __slots__ = ("current", "previous")

    def __init__(self) -> None:
        self.previous: dict[tuple[str, str, str], tuple[Record | Person, str]] = {}
        self.current: dict[tuple[str, str, str], tuple[Record | Person, str]] = {}

    def next_document(self) -> None:
        if self.current:
            self.previous, self.current = self.current, {}


def read(data: bytes, memo: Memo | None = None) -> Registry:
    """The registry in ``data``, or :class:`Unusual` when it is not in the plain form.

    ``memo`` (one per series of documents, read in turn) shares elements between them.
    """
    # Deleting every byte XML allows in text leaves the angle brackets, which must
    # alternate (so "]]>" cannot occur outside a tag either), and any byte XML forbids.
    if len(data) > _LARGEST:
        raise Unusual
    angles = data.translate(None, _TEXT_BYTES)
    if angles != b"<>" * (len(angles) // 2) or (not data.isascii() and b"\xef\xbf" in data):  # U+FFFE, U+FFFF
        raise Unusual
    if memo is not None:
        memo.next_document()
    try:
        return _Scanner(data.decode("utf-8"), memo).registry()
    except (UnicodeDecodeError, IndexError):  # not UTF-8; the document ends inside an element
        raise Unusual from None


#: Past this size, libxml2's limits (10 MB of text in one node) could refuse what this
#: reader accepts: such documents are left to lxml. IANA's file is 4 MB.
_LARGEST = 10_000_000
#: libxml2 refuses elements nested deeper than 256; paragraphs deeper than this are left to it.
_DEEPEST = 200
_TEXT_BYTES = bytes(b for b in range(0x100) if b in b"\t\n" or (b >= 0x20 and b not in b"<>"))
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_BLANKS = " \t\n"
_DECLARATION = re.compile(r"""\?xml version=(["'])1\.0\1(?:[ \t\n]+encoding=(["'])(?i:utf-8)\2)?[ \t\n]*""")
_PROCESSING_INSTRUCTION = re.compile(r"\?([A-Za-z_][A-Za-z0-9._-]*)(?:[ \t\n]+(.*))?", re.S)
_VALUE = r'="([^"\t\n]*)"'  # parsers turn tabs and newlines in attributes into spaces: left to lxml
_ROOT = re.compile(rf'registry xmlns="http://www\.iana\.org/assignments"(?: id{_VALUE})?')
_RECORD = re.compile(rf"record(?: date{_VALUE})?(?: updated{_VALUE})?")
_XREF = re.compile(rf"xref type{_VALUE}(?: data{_VALUE})?(/?)")
_PERSON = re.compile(rf"person id{_VALUE}")
_NOTE = re.compile(rf"note(?: title{_VALUE})?")
_FOOTNOTE = re.compile(rf"footnote anchor{_VALUE}")
_HEAD_TEXTS = ("title", "category", "updated", "expert")
_RECORD_TEXTS = ("name", "protocol", "number", "description", "note", "unauthorized", "sc")
_RICH = ("description", "note", "unauthorized")
_PERSON_TEXTS = ("name", "org", "uri", "updated")
#: Stands in the list for a record or person read whole by a template (no tag holds a NUL).
_BUILT = "\0"
#: How many records (or people) of one shape are read piece by piece before it gets a template.
_TEMPLATE_AFTER = 24


def _split(text: str) -> list[str]:
    """``text`` split at its angle brackets: text, tag, text, tag, ..., text."""
    return text.replace(">", "<").split("<")


def _unescape(text: str) -> str:
    """``text`` with XML's five predefined entities replaced; any other ``&`` is unusual."""
    first, *rest = text.split("&")
    out = [first]
    for piece in rest:
        name, semicolon, after = piece.partition(";")
        if not semicolon or name not in _ENTITIES:
            raise Unusual
        out += (_ENTITIES[name], after)
    return "".join(out)


def _value(text: str | None) -> str | None:
    return _unescape(text) if text and "&" in text else text


def _blank(text: str) -> str:
    if text and not text.isspace():
        raise Unusual
    return text


class _Scanner:
    """Reads the list in order, one method per element, as the full reader walks its tree.

    ``flat`` alternates text and tag: ``flat[at]`` is the next tag, ``flat[at + 1]`` the
    text after it. Records and people that a template read stand in it as one tag,
    :data:`_BUILT`, for the next of ``built``. Equal values are shared as the full reader
    shares them (references, texts, ports, layouts, spacings).
    """

    def __init__(self, text: str, memo: Memo | None = None) -> None:
        self.memo = memo
        self.tail = ""  # the text after the element a method has just read
        self._built: list[Record | Person] = []
        self._templates: dict[tuple[str, int], list[_Template]] = {}
        self._shapes: dict[tuple[object, ...], int] = {}
        self._references: dict[tuple[str | None, str | None, str | None], Reference] = {}
        self._pairs: dict[tuple[str, str], Reference] = {}
        self._record_tags: dict[str, tuple[str | None, str | None]] = {}
        self._texts: dict[str, Text] = {}
        self._ports: dict[str, PortRange] = {}
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        flat = self.lay_out(text)
        self.flat, self.at, self.built = flat, 1, iter(self._built)

    def next(self) -> tuple[str, str]:
        """The next tag (what is between ``<`` and ``>``) and the text after it."""
        at = self.at
        self.at = at + 2
        return self.flat[at], self.flat[at + 1]

    def shared(self, items: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        key = tuple(items)
        return self._shared.setdefault(key, key)

    # ---- records and people by template

    def lay_out(self, text: str) -> list[str]:
        """The document as the list, with every record and person a template reads replaced."""
        head, *records = text.split("<record")
        flat = _split(head)
        if records:
            *records, last = records
            for part in records:
                self.lane("<record", part, flat)
            head, *people = ("<record" + last).split("<person ")
            flat += _split(head)[1:]
            if people:
                *people, last = people
                for part in people:
                    self.lane("<person ", part, flat)
                flat += _split("<person " + last)[1:]
        return flat

    def lane(self, opening: str, part: str, flat: list[str]) -> None:
        """Add the element ``opening + part`` and the text after it to ``flat``.

        A template of its shape reads it whole; else it is read piece by piece, which
        counts its shape towards a template. When more than white space follows the
        element, it all goes to ``flat`` for :meth:`registry` to read in order.
        """
        memo = self.memo
        if memo is not None:
            text_key = (opening, part, flat[-1])
            known = memo.current.get(text_key)
            if known is None:
                known = memo.previous.get(text_key)
                if known is not None:
                    memo.current[text_key] = known
            if known is not None:
                self._built.append(known[0])
                flat += (_BUILT, known[1])
                return
        key = (opening, part.count("<"))
        for template in self._templates.get(key, ()):
            match = template.regex.fullmatch(part)
            if match is not None:
                built = template.build(self, template, match, flat[-1])
                self._built.append(built)
                flat += (_BUILT, match[template.after])
                if memo is not None:
                    memo.current[text_key] = (built, match[template.after])
                return
        pieces = _split(opening + part)
        self.flat, self.at = pieces, 3  # (the element's own list, for the methods that read one)
        if opening == "<record":
            element: Record | Person = self.record(pieces[1], pieces[2], flat[-1])
        else:
            match = _PERSON.fullmatch(pieces[1])
            if match is None or not match[1]:
                raise Unusual
            element = self.person(_value(match[1]), pieces[2], flat[-1])  # type: ignore[arg-type]
        if self.at != len(pieces) or self.tail.strip(_BLANKS):
            flat += pieces[1:]
            return
        self._built.append(element)
        flat += (_BUILT, self.tail)
        if memo is not None:
            memo.current[text_key] = (element, self.tail)
        shape = (opening, element.layout, element.spacing[1:])
        seen = self._shapes[shape] = self._shapes.get(shape, 0) + 1
        if seen == _TEMPLATE_AFTER and _Template.fits(element):
            self._templates.setdefault(key, []).append(_Template(element))

    def templated_record(self, template: _Template, match: re.Match[str], lead: str) -> Record:
        registered, modified, name, transport, number, description, notes, unauthorized, service_code = match.group(
            *template.fields
        )
        assignee: tuple[Reference, ...] = ()
        references: tuple[Reference, ...] = ()
        if template.xref_groups:  # (type, data) of each empty xref, the assignee's first
            pairs = template.xrefs(match)
            found = self._pairs
            if len(pairs) == 2:  # the common case: one reference
                ref = found.get(pairs) or self.reference(*pairs)
                assignee, references = ((ref,), ()) if template.assignees else ((), (ref,))
            else:
                refs = [found.get(pair) or self.reference(*pair) for pair in zip(pairs[::2], pairs[1::2])]
                assignee, references = tuple(refs[: template.assignees]), tuple(refs[template.assignees :])
        if description is not None:  # (a Text's truth is a Python call: no "or" here)
            text = self._texts.get(description)
            description = text if text is not None else self.plain_text(description)
        if number is not None:
            port = self._ports.get(number)
            number = port if port is not None else self.port(number)
        if name is not None and "&" in name:
            name = _unescape(name)
        if transport is not None and "&" in transport:
            transport = _unescape(transport)
        spacing = template.spacings.get(lead)
        return Record(
            name,
            number,
            transport,
            description,
            assignee,
            references,
            registered,
            modified,
            None if notes is None else self.plain_text(notes),
            None if unauthorized is None else self.plain_text(unauthorized),
            _value(service_code),
            template.layout,
            spacing if spacing is not None else template.spacing(self, lead),
        )

    def templated_person(self, template: _Template, match: re.Match[str], lead: str) -> Person:
        person_id, name, org, updated = match.group(*template.fields)
        uris = template.xrefs(match)
        if "&" in "".join(uris):
            uris = tuple(map(_unescape, uris))
        return Person(
            person_id,
            _value(name),
            _value(org),
            uris,
            _value(updated),
            template.layout,
            template.spacing(self, lead),
        )

    def reference(self, kind: str, data: str) -> Reference:
        """The reference of an empty xref a template read (cached by its type and data)."""
        ref = self._references.get((kind, data, None))
        if ref is None:
            ref = self._references[kind, data, None] = Reference(kind, data)
        self._pairs[kind, data] = ref
        return ref

    # ---- values

    def xref(self, tag: str, text: str) -> tuple[Reference, str]:
        """The reference whose start tag is ``tag``, and the text after the element."""
        match = _XREF.fullmatch(tag)
        if match is None:
            raise Unusual
        kind, data, empty = _value(match[1]), _value(match[2]), match[3]
        content = None
        if not empty:
            content = _value(text) or None
            end, text = self.next()
            if end != "/xref":
                raise Unusual
        key = (kind, data, content)
        ref = self._references.get(key)
        if ref is None:
            ref = self._references[key] = Reference(kind, data, content)  # type: ignore[arg-type]
        return ref, text

    def inline(self, text: str, end: str, depth: int = 0) -> tuple[tuple[Inline, ...], str]:
        """Mixed content up to the tag ``end``, kept as the full reader keeps it; and the text after."""
        if depth > _DEEPEST:
            raise Unusual
        parts: list[Inline] = [_value(text)] if text else []  # type: ignore[list-item]
        while True:
            tag, text = self.next()
            if tag == end:
                return tuple(parts), text
            if tag == "br/":
                parts.append(BR)
            elif tag == "paragraph":
                content, text = self.inline(text, "/paragraph", depth + 1)
                parts.append(Paragraph(content))
            elif tag == "paragraph/":
                parts.append(Paragraph(()))
            else:
                ref, text = self.xref(tag, text)
                parts.append(ref)
            if text:
                parts.append(_value(text))  # type: ignore[arg-type]

    def text(self, text: str, end: str) -> tuple[Text, str]:
        """The rich text of an element whose start tag was just read, and the text after it."""
        if self.flat[self.at] != end:
            parts, after = self.inline(text, end)
            return Text(parts), after
        self.at += 2
        return self.plain_text(text), self.flat[self.at - 1]

    def plain_text(self, text: str) -> Text:
        found = self._texts.get(text)
        if found is None:
            value = _value(text)
            found = self._texts[text] = Text((value,) if value else ())
        return found

    def plain(self, text: str, end: str) -> tuple[str, str]:
        """The text of an element that holds only text, and the text after it."""
        tag, after = self.next()
        if tag != end:
            raise Unusual
        return _value(text), after  # type: ignore[return-value]

    def port(self, text: str) -> PortRange:
        port = self._ports.get(text)
        if port is None:
            try:
                port = PortRange.parse(text)
            except ValueError:
                raise Unusual from None
            if port.high > MAX_PORT or port.low > port.high:
                raise Unusual
            self._ports[text] = port
        return port

    # ---- the document

    def registry(self) -> Registry:
        flat = self.flat
        if flat[0]:  # text before the first tag
            raise Unusual
        processing_instructions = []
        while flat[self.at].startswith("?"):
            tag, after = self.next()
            if not tag.endswith("?") or after.strip(_BLANKS):
                raise Unusual
            match = _PROCESSING_INSTRUCTION.fullmatch(tag[:-1])
            if self.at == 3 and _DECLARATION.fullmatch(tag[:-1]):
                continue
            if match is None or match[1].lower() == "xml":
                raise Unusual
            processing_instructions.append(f"{match[1]} {match[2]}" if match[2] else match[1])
        tag, lead = self.next()
        root = _ROOT.fullmatch(tag)
        if root is None:
            raise Unusual
        head: dict[str, str] = {}
        head_layout: list[str] = []
        references: list[Reference] = []
        notes: list[Note] = []
        footnotes: list[Footnote] = []
        records: list[Record] = []
        people: tuple[Person, ...] = ()
        spacing: list[str] = []
        seen_people = False
        _blank(lead)
        while True:
            tag, text = self.next()
            if tag == _BUILT:
                record = next(self.built)
                if type(record) is not Record:
                    raise Unusual
                records.append(record)
            elif tag.startswith("record"):
                records.append(self.record(tag, text, lead))
                text = self.tail
            elif tag == "/registry":
                break
            elif tag in _HEAD_TEXTS and tag not in head:
                head[tag], text = self.plain(text, "/" + tag)
                head_layout.append(tag)
                spacing.append(lead)
            elif tag[:-1] in _HEAD_TEXTS and tag.endswith("/") and tag[:-1] not in head:
                head[tag[:-1]] = ""
                head_layout.append(tag[:-1])
                spacing.append(lead)
            elif tag.startswith("xref"):
                ref, text = self.xref(tag, text)
                references.append(ref)
                head_layout.append("xref")
                spacing.append(lead)
            elif match := _NOTE.fullmatch(tag):
                note, text = self.text(text, "/note")
                notes.append(Note(note, _value(match[1])))
                head_layout.append("note")
                spacing.append(lead)
            elif match := _FOOTNOTE.fullmatch(tag):
                note, text = self.text(text, "/footnote")
                footnotes.append(Footnote(_value(match[1]), note))  # type: ignore[arg-type]
                spacing.append(lead)
            elif tag == "people" and not seen_people:
                seen_people = True
                spacing.append(lead)
                people, text = self.people(text)
                spacing.append(text)
                text = self.tail
            else:
                raise Unusual
            lead = _blank(text)
        if self.at != len(flat) or text.strip(_BLANKS):
            raise Unusual
        spacing.append(lead)
        return Registry(
            title=head.get("title", ""),
            records=tuple(records),
            people=people,
            id=_value(root[1]) if root[1] is not None else "service-names-port-numbers",  # type: ignore[arg-type]
            category=head.get("category"),
            updated=head.get("updated"),
            references=tuple(references),
            expert=head.get("expert"),
            notes=tuple(notes),
            footnotes=tuple(footnotes),
            head_layout=tuple(head_layout),
            processing_instructions=tuple(processing_instructions),
            spacing=tuple(spacing),
        )

    def record(self, tag: str, text: str, lead: str) -> Record:
        """One record, its start tag just read, piece by piece; the text after it goes to ``tail``."""
        dates = self._record_tags.get(tag)
        if dates is None:
            match = _RECORD.fullmatch(tag)
            if match is None:
                raise Unusual
            dates = self._record_tags[tag] = (_value(match[1]), _value(match[2]))
        found: dict[str, str | Text | tuple[Reference, ...]] = {}
        references: list[Reference] = []
        layout: list[str] = []
        spacing = [lead, _blank(text)]
        while True:
            tag, text = self.next()
            kind = tag if tag in _RECORD_TEXTS else None
            if kind is not None:
                if self.flat[self.at] == "/" + kind:
                    tail = self.flat[self.at + 1]
                    self.at += 2
                elif kind in _RICH:
                    parts, tail = self.inline(text, "/" + kind)
                    text = Text(parts)  # type: ignore[assignment]
                else:
                    raise Unusual
            elif tag == "/record":
                break
            elif tag[:-1] in _RECORD_TEXTS and tag.endswith("/"):
                kind, text, tail = tag[:-1], "", text
            elif tag.startswith("xref"):
                ref, tail = self.xref(tag, text)
                references.append(ref)
                kind = "xref"
            elif tag == "assignee" and tag not in found:
                found[tag], tail = self.assignee(text, spacing)
                kind = tag
            else:
                raise Unusual
            if kind != "xref" and kind != "assignee":
                if kind in found:
                    raise Unusual
                found[kind] = text
            layout.append(kind)
            spacing.append(_blank(tail))
        self.tail = text
        get = found.get
        port, description, notes, unauthorized = get("number"), get("description"), get("note"), get("unauthorized")
        return Record(
            _value(get("name")),  # type: ignore[arg-type]
            None if port is None else self.port(port),  # type: ignore[arg-type]
            _value(get("protocol")),  # type: ignore[arg-type]
            description if type(description) is not str else self.plain_text(description),  # type: ignore[arg-type]
            get("assignee", ()),  # type: ignore[arg-type]
            tuple(references),
            dates[0],
            dates[1],
            notes if type(notes) is not str else self.plain_text(notes),  # type: ignore[arg-type]
            unauthorized if type(unauthorized) is not str else self.plain_text(unauthorized),  # type: ignore[arg-type]
            _value(get("sc")),  # type: ignore[arg-type]
            self.shared(layout),
            self.shared(spacing),
        )

    def assignee(self, text: str, spacing: list[str]) -> tuple[tuple[Reference, ...], str]:
        spacing.append(_blank(text))
        refs: list[Reference] = []
        while True:
            tag, text = self.next()
            if tag == "/assignee":
                return tuple(refs), text
            if not tag.startswith("xref"):
                raise Unusual
            ref, text = self.xref(tag, text)
            refs.append(ref)
            spacing.append(_blank(text))

    def people(self, text: str) -> tuple[tuple[Person, ...], str]:
        """The people, and the white space before ``</people>``; the text after it goes to ``tail``."""
        lead = _blank(text)
        people = []
        while True:
            tag, text = self.next()
            if tag == _BUILT:
                person = next(self.built)
                if type(person) is not Person:
                    raise Unusual
                people.append(person)
            elif tag == "/people":
                self.tail = text
                return tuple(people), lead
            else:
                match = _PERSON.fullmatch(tag)
                if match is None or not match[1]:
                    raise Unusual
                people.append(self.person(_value(match[1]), text, lead))  # type: ignore[arg-type]
                text = self.tail
            lead = _blank(text)

    def person(self, person_id: str, text: str, lead: str) -> Person:
        """One person, its start tag just read, piece by piece; the text after it goes to ``tail``."""
        found: dict[str, str] = {}
        uris: list[str] = []
        layout: list[str] = []
        spacing = [lead, _blank(text)]
        while True:
            tag, text = self.next()
            if tag in _PERSON_TEXTS:
                kind = tag
                text, tail = self.plain(text, "/" + tag)
            elif tag == "/person":
                break
            elif tag[:-1] in _PERSON_TEXTS and tag.endswith("/"):
                kind, text, tail = tag[:-1], "", text
            else:
                raise Unusual
            if kind == "uri":
                uris.append(text)
            elif kind in found:
                raise Unusual
            else:
                found[kind] = text
            layout.append(kind)
            spacing.append(_blank(tail))
        self.tail = text
        return Person(
            person_id,
            found.get("name"),
            found.get("org"),
            tuple(uris),
            found.get("updated"),
            self.shared(layout),
            self.shared(spacing),
        )


class _Template:
    """A regular expression for one shape of record or person, made from one of that shape.

    It matches the text after ``<record`` (or ``<person ``) up to the next element: the
    attributes, the children with the shape's white space around them, the end tag
    and the white space after it (group :attr:`after`). The values (dates, texts, id,
    the type and data of each empty xref) are groups; so that absent fields read as
    None, group 1 is one that never matches (no NUL can occur).
    """

    _XREF = r'<xref type="([^"&\t\n]*)" data="([^"&\t\n]*)"/>'

    @staticmethod
    def fits(element: Record | Person) -> bool:
        """Whether the values of ``element`` are of the kinds a template reads."""
        if type(element) is Person:
            return True
        texts = (element.description, element.notes, element.unauthorized)  # type: ignore[union-attr]
        refs = (*element.assignee, *element.references)  # type: ignore[union-attr]
        return all(t is None or t.is_plain for t in texts) and all(r.data is not None and r.text is None for r in refs)

    def __init__(self, element: Record | Person) -> None:
        self.layout = element.layout
        self.gaps = element.spacing[1:]
        self.spacings: dict[str, tuple[str, ...]] = {}  # by lead, see spacing()
        gaps = iter(self.gaps)
        if type(element) is Record:
            self.build, tag = _Scanner.templated_record, "record"
            pattern = [r'(\x00)?(?: date="([^"&\t\n]*)")?(?: updated="([^"&\t\n]*)")?>']
            groups: dict[str, int] = {"registered": 2, "modified": 3}
            names: tuple[str, ...] = ("registered", "modified", *_RECORD_TEXTS)
        else:
            self.build, tag = _Scanner.templated_person, "person"  # type: ignore[assignment]
            pattern = [r'(\x00)?id="([^"&\t\n]*)">']
            groups = {"id": 2}
            names = ("id", "name", "org", "updated")
        count = len(groups) + 1
        xrefs: list[int] = []  # the groups of the xrefs' types and data (or the uris), in order
        assignee: list[int] = []
        self.assignees = len(getattr(element, "assignee", ()))
        pattern.append(re.escape(next(gaps)))
        for kind in self.layout:
            if kind == "xref":
                pattern.append(self._XREF)
                xrefs += (count + 1, count + 2)
                count += 2
            elif kind == "assignee":
                pattern.append("<assignee>" + re.escape(next(gaps)))
                for _ in range(self.assignees):
                    pattern.append(self._XREF + re.escape(next(gaps)))
                    assignee += (count + 1, count + 2)
                    count += 2
                pattern.append("</assignee>")
            else:
                pattern.append(f"<{kind}>([^<]*)</{kind}>")
                count += 1
                if kind == "uri":
                    xrefs.append(count)
                else:
                    groups[kind] = count
            pattern.append(re.escape(next(gaps)))
        pattern.append(rf"</{tag}>(\s*)")
        self.regex = re.compile("".join(pattern))
        self.after = count + 1
        self.fields = tuple(groups.get(name, 1) for name in names)
        self.xref_groups = (*assignee, *xrefs)

    def xrefs(self, match: re.Match[str]) -> tuple[str, ...]:
        """The values of the repeated children: each xref's type and data, or each uri."""
        groups = self.xref_groups
        if len(groups) > 1:
            return match.group(*groups)
        return (match[groups[0]],) if groups else ()

    def spacing(self, scanner: _Scanner, lead: str) -> tuple[str, ...]:
        """The spacing of an element of this shape after ``lead``, shared."""
        spacing = self.spacings.get(lead)
        if spacing is None:
            spacing = self.spacings[lead] = scanner.shared((lead, *self.gaps))
        return spacing

