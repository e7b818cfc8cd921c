"""The registry as JSON: the whole model, in a shape that is pleasant to query.

The shape is documented by ``registry.schema.json`` beside this module (JSON Schema,
draft 2020-12). In short: one object with the registry head, ``records`` and
``people``; a record is an object with ``name``, ``port`` (``"80"``, ``"6000-6063"`` or
null) and the numbers ``port_low``/``port_high``, ``transport``, ``description``… Rich
text is a plain string when it is one run of text, else a list of nodes: strings,
``{"br": true}``, ``{"xref": {...}}`` and ``{"paragraph": [...]}``.

Why this much: JSON is portreg's lossless interchange format, so it keeps everything
the model keeps, and XML → JSON → XML gives the same document back. What only the XML
needs for that (element order, whitespace between tags, processing instructions) sits
in an ``"xml"`` object beside the values, left out when empty, so consumers can
ignore it. It is written one record per line, which keeps the
file greppable and diffable and lets the C encoder do the work (an indented dump goes
through the pure-Python encoder and is several times slower).

The reader checks the structure itself, not with a schema library: it is fast, and
every error names the JSON path of the bad field (``records[12].port``).
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Callable, Iterable, TypeVar

from ..errors import FormatError, TooLarge
from ..model import (
    BR,
    Footnote,
    Inline,
    LineBreak,
    Note,
    Paragraph,
    Person,
    PortRange,
    Record,
    Reference,
    Registry,
    Text,
)
from . import FORMATS

__all__ = ["EXTENSION", "FORMAT_VERSION", "MEDIA_TYPE", "from_document", "read", "to_document", "write"]

MEDIA_TYPE = FORMATS["json"].media_type
EXTENSION = FORMATS["json"].extension

#: Bumped when the shape changes in a way an old reader would misread.
FORMAT_VERSION = 1

MAX_PORT = 65535

Json = Any
T = TypeVar("T")


# --------------------------------------------------------------------------- writing


def write(registry: Registry, out: BinaryIO) -> None:
    """Write ``registry`` as UTF-8 JSON, one record and one person per line."""
    out.write(dumps(registry).encode("utf-8"))


def dumps(registry: Registry) -> str:
    """The JSON text of ``registry``: head keys one per line, then one object per line.

    Each record is encoded as soon as its dict is built, so the dicts never pile up:
    holding all of them at once makes the garbage collector walk them again and again.
    """
    head = _head_doc(registry)
    lines = ["{"]
    for key, value in head.items():
        if key in ("notes", "footnotes") and value:
            lines.append(_block(key, map(_dump, value)) + ",")
        else:
            lines.append(f"  {_dump(key)}: {_dump(value)},")
    lines.append(_block("records", (_dump(_record_doc(r)) for r in registry.records)) + ",")
    lines.append(_block("people", (_dump(_person_doc(p)) for p in registry.people)))
    lines.append("}\n")
    return "\n".join(lines)


def _block(key: str, rows: Iterable[str]) -> str:
    body = ",\n    ".join(rows)
    return f'  "{key}": [\n    {body}\n  ]' if body else f'  "{key}": []'


#: One encoder for every line: ``json.dumps`` with options builds a new one per call.
_dump = json.JSONEncoder(ensure_ascii=False).encode


def to_document(registry: Registry) -> dict[str, Json]:
    """``registry`` as plain JSON values (dicts, lists, strings, numbers, null)."""
    doc = _head_doc(registry)
    doc["records"] = [_record_doc(r) for r in registry.records]
    doc["people"] = [_person_doc(p) for p in registry.people]
    return doc


def _head_doc(registry: Registry) -> dict[str, Json]:
    return {
        "format_version": FORMAT_VERSION,
        "id": registry.id,
        "title": registry.title,
        "category": registry.category,
        "updated": registry.updated,
        "references": [_reference_doc(r) for r in registry.references],
        "expert": registry.expert,
        "notes": [{"title": n.title, "text": _text_doc(n.text)} for n in registry.notes],
        "footnotes": [{"anchor": f.anchor, "text": _text_doc(f.text)} for f in registry.footnotes],
        **_xml_doc(
            head_layout=registry.head_layout,
            processing_instructions=registry.processing_instructions,
            spacing=registry.spacing,
        ),
    }


def _xml_doc(**fields: tuple[str, ...]) -> dict[str, Json]:
    """``{"xml": {...}}`` holding what only faithful XML needs, or nothing when all empty."""
    return {"xml": {k: list(v) for k, v in fields.items()}} if any(fields.values()) else {}


def _record_doc(record: Record) -> dict[str, Json]:
    port = record.port
    doc = {
        "name": record.name,
        "port": None if port is None else str(port),
        "port_low": None if port is None else port.low,
        "port_high": None if port is None else port.high,
        "transport": record.transport,
        "description": _text_doc(record.description),
        "assignee": [_reference_doc(r) for r in record.assignee] if record.assignee else [],
        "references": [_reference_doc(r) for r in record.references],
        "registered": record.registered,
        "modified": record.modified,
        "notes": _text_doc(record.notes),
        "unauthorized": _text_doc(record.unauthorized),
        "service_code": record.service_code,
    }
    if record.layout or record.spacing:
        doc["xml"] = {"layout": list(record.layout), "spacing": list(record.spacing)}
    return doc


def _person_doc(person: Person) -> dict[str, Json]:
    doc: dict[str, Json] = {
        "id": person.id,
        "name": person.name,
        "org": person.org,
        "uris": list(person.uris),
        "updated": person.updated,
    }
    if person.layout or person.spacing:
        doc["xml"] = {"layout": list(person.layout), "spacing": list(person.spacing)}
    return doc


def _reference_doc(ref: Reference) -> dict[str, Json]:
    doc: dict[str, Json] = {"type": ref.type}
    if ref.data is not None:
        doc["data"] = ref.data
    if ref.text is not None:
        doc["text"] = ref.text
    return doc


def _text_doc(text: Text | None) -> Json:
    if text is None:
        return None
    parts = text.parts
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    return [_inline_doc(p) for p in parts]


def _inline_doc(part: Inline) -> Json:
    if isinstance(part, str):
        return part
    if isinstance(part, LineBreak):
        return {"br": True}
    if isinstance(part, Reference):
        return {"xref": _reference_doc(part)}
    return {"paragraph": [_inline_doc(p) for p in part.content]}


# --------------------------------------------------------------------------- reading


def read(data: bytes, *, source: str | None = None) -> Registry:
    """Read a registry written by :func:`write` (or by hand, in the same shape)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 at byte {exc.start}", source=source) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc.msg} (column {exc.colno})", source=source, line=exc.lineno) from None
    except RecursionError:
        raise TooLarge(
            "nested too deeply to be a registry (JSON arrays or objects inside each other)", source=source
        ) from None
    try:
        return from_document(doc)
    except FormatError as exc:
        if source:
            exc.with_source(source)
        raise


def from_document(doc: Json) -> Registry:
    """Build a Registry from parsed JSON; a FormatError names the path of a bad field."""
    obj = _Object(doc, "", REGISTRY_KEYS)
    version = obj.opt("format_version", _integer)
    if version is not None and version != FORMAT_VERSION:
        raise FormatError(f"format_version {version} is not supported (this reader knows {FORMAT_VERSION})",
                          field="format_version")
    kwargs: dict[str, Any] = {
        "title": obj.req("title", _string),
        "category": obj.opt("category", _string),
        "updated": obj.opt("updated", _string),
        "expert": obj.opt("expert", _string),
        "references": obj.list("references", _reference),
        "notes": obj.list("notes", _note),
        "footnotes": obj.list("footnotes", _footnote),
        "records": obj.list("records", _record),
        "people": obj.list("people", _person),
        **_xml_fields(obj, REGISTRY_XML_KEYS),
    }
    ident = obj.opt("id", _string)
    if ident is not None:
        kwargs["id"] = ident
    return Registry(**kwargs)


REGISTRY_KEYS = frozenset({
    "format_version", "id", "title", "category", "updated", "references", "expert", "notes",
    "footnotes", "records", "people", "xml",
})
REGISTRY_XML_KEYS = frozenset({"head_layout", "processing_instructions", "spacing"})
RECORD_KEYS = frozenset({
    "name", "port", "port_low", "port_high", "transport", "description", "assignee", "references",
    "registered", "modified", "notes", "unauthorized", "service_code", "xml",
})
PERSON_KEYS = frozenset({"id", "name", "org", "uris", "updated", "xml"})
LAYOUT_KEYS = frozenset({"layout", "spacing"})
REFERENCE_KEYS = frozenset({"type", "data", "text"})
NOTE_KEYS = frozenset({"title", "text"})
FOOTNOTE_KEYS = frozenset({"anchor", "text"})


class _Object:
    """A JSON object being read: typed access to its keys, errors naming their path."""

    __slots__ = ("doc", "path")

    def __init__(self, doc: Json, path: str, keys: frozenset[str]) -> None:
        if not isinstance(doc, dict):
            raise FormatError(f"expected an object, found {_kind(doc)}", field=path or "$")
        if not keys.issuperset(doc):
            name = sorted(doc.keys() - keys)[0]
            raise FormatError(f"unknown key {name!r}; known keys: {', '.join(sorted(keys))}",
                              field=_join(path, name))
        self.doc = doc
        self.path = path

    def req(self, key: str, convert: Callable[[Json, str], T]) -> T:
        if key not in self.doc or self.doc[key] is None:
            raise FormatError("is required", field=_join(self.path, key))
        return convert(self.doc[key], _join(self.path, key))

    # Strings are most of a registry: they skip building a path that only an error needs.

    def opt(self, key: str, convert: Callable[[Json, str], T]) -> T | None:
        value = self.doc.get(key)
        if value is None:
            return None
        if convert is _string and type(value) is str:
            return value  # type: ignore[return-value]
        return convert(value, _join(self.path, key))

    def list(self, key: str, convert: Callable[[Json, str], T]) -> tuple[T, ...]:
        value = self.doc.get(key)
        if value is None:
            return ()
        if type(value) is list and convert is _string and all(type(v) is str for v in value):
            return tuple(value)
        path = _join(self.path, key)
        if not isinstance(value, list):
            raise FormatError(f"expected a list, found {_kind(value)}", field=path)
        return tuple(convert(item, f"{path}[{i}]") for i, item in enumerate(value))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Json) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _string(value: Json, path: str) -> str:
    if not isinstance(value, str):
        raise FormatError(f"expected a string, found {_kind(value)}", field=path)
    return value


def _integer(value: Json, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(f"expected an integer, found {_kind(value)}", field=path)
    return value


def _record(doc: Json, path: str) -> Record:
    obj = _Object(doc, path, RECORD_KEYS)
    return Record(
        name=obj.opt("name", _string),
        port=_port(obj),
        transport=obj.opt("transport", _string),
        description=obj.opt("description", _text),
        assignee=obj.list("assignee", _reference),
        references=obj.list("references", _reference),
        registered=obj.opt("registered", _string),
        modified=obj.opt("modified", _string),
        notes=obj.opt("notes", _text),
        unauthorized=obj.opt("unauthorized", _text),
        service_code=obj.opt("service_code", _string),
        **_xml_fields(obj, LAYOUT_KEYS),
    )


def _xml_fields(obj: _Object, keys: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The model fields kept in an object's ``"xml"`` entry (each a list of strings)."""
    xml = obj.opt("xml", lambda value, path: _Object(value, path, keys))
    return {} if xml is None else {key: xml.list(key, _string) for key in keys}


def _port(obj: _Object) -> PortRange | None:
    """``port`` is the truth; ``port_low``/``port_high``, when given, must agree with it."""
    text = obj.opt("port", _string)
    port = None
    if text is not None:
        path = _join(obj.path, "port")
        try:
            port = PortRange.parse(text)
        except ValueError:
            raise FormatError(f"expected a port (\"80\") or a range (\"6000-6063\"), found {text!r}",
                              field=path) from None
        if port.high > MAX_PORT or port.low > port.high:
            raise FormatError(f"{text!r} is not a port range within 0-{MAX_PORT}", field=path)
    bounds = (None, None) if port is None else (port.low, port.high)
    for key, expected in zip(("port_low", "port_high"), bounds):
        value = obj.opt(key, _integer)
        if value is not None and value != expected:
            raise FormatError(f"is {value} but port is {json.dumps(text)}", field=_join(obj.path, key))
    return port


def _person(doc: Json, path: str) -> Person:
    obj = _Object(doc, path, PERSON_KEYS)
    return Person(
        id=obj.req("id", _string),
        name=obj.opt("name", _string),
        org=obj.opt("org", _string),
        uris=obj.list("uris", _string),
        updated=obj.opt("updated", _string),
        **_xml_fields(obj, LAYOUT_KEYS),
    )


def _reference(doc: Json, path: str) -> Reference:
    obj = _Object(doc, path, REFERENCE_KEYS)
    return Reference(obj.req("type", _string), obj.opt("data", _string), obj.opt("text", _string))


def _note(doc: Json, path: str) -> Note:
    obj = _Object(doc, path, NOTE_KEYS)
    return Note(obj.req("text", _text), obj.opt("title", _string))


def _footnote(doc: Json, path: str) -> Footnote:
    obj = _Object(doc, path, FOOTNOTE_KEYS)
    return Footnote(obj.req("anchor", _string), obj.req("text", _text))


def _text(value: Json, path: str) -> Text:
    if isinstance(value, str):
        return Text((value,))
    return Text(_inlines(value, path))


def _inlines(value: Json, path: str) -> tuple[Inline, ...]:
    if not isinstance(value, list):
        raise FormatError(f"expected a string or a list of text nodes, found {_kind(value)}", field=path)
    return tuple(_inline(node, f"{path}[{i}]") for i, node in enumerate(value))


def _inline(node: Json, path: str) -> Inline:
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        (key, value), = node.items()
        if key == "br":
            if value is not True:
                raise FormatError("expected true", field=f"{path}.br")
            return BR
        if key == "xref":
            return _reference(value, f"{path}.xref")
        if key == "paragraph":
            return Paragraph(_inlines(value, f"{path}.paragraph"))
    raise FormatError('expected a string, {"br": true}, {"xref": {...}} or {"paragraph": [...]}', field=path)
