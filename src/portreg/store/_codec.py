"""Stored rows -> model values, and the JSON both directions share.

A record is stored as one compact JSON array, ``body`` (every field, in a fixed
order), and a ``layout`` column holding its element order and whitespace as read (the
model's ``layout`` and ``spacing``: about 150 distinct values over 14,000 records, so
their decoding is cached). Reading a record back needs only these two; the facts
queries filter on (name, ports, transport, dates, state) are copied into columns of
their own. Rich text is a JSON string when it is one plain run, else a list whose
items are strings, ``null`` (a line break), lists (a reference: ``[type, data, text]``,
trailing nulls dropped) and ``{"p": [...]}`` (a paragraph). Writing is ``_encoder``'s
job; this module stays light, since every read needs it.
"""

from __future__ import annotations

import contextlib
import gc
import json
from typing import Any, Iterator, Sequence

from ..model import BR, Footnote, Note, Paragraph, Person, PortRange, Record, Reference, Registry, Text

_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


def loads(text: str) -> Any:
    """Parse JSON we wrote ourselves: the C scanner straight, without json.loads's
    checks for leading blanks and trailing data (twice as fast on small values)."""
    return _scan(text, 0)[0]


# json.dumps builds a new C encoder on every call, which costs more than encoding a
# small list: build it once. (markers, default, encoder, indent, key sep, item sep,
# sort_keys, skipkeys, allow_nan)
_encode = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True
)


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 characters kept as they are."""
    return "".join(_encode(value, 0))


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of values are built.

    None of them form cycles, yet each collection pass would walk them all again:
    rebuilding a registry takes half the time with the collector paused.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Decoder:
    """Turns stored JSON back into model values, sharing equal immutable values.

    References and layouts repeat thousands of times in a registry (``Jon_Postel``,
    the same child order), so one instance per read keeps one object for each.
    """

    def __init__(self) -> None:
        self._refs: dict[tuple[Any, ...], Reference] = {}
        self._layouts: dict[str | None, tuple[tuple[str, ...], tuple[str, ...]]] = {None: ((), ())}

    def ref(self, item: list[Any]) -> Reference:
        key = tuple(item)
        found = self._refs.get(key)
        if found is None:
            found = self._refs[key] = Reference(*item)
        return found

    def refs(self, items: list[list[Any]]) -> tuple[Reference, ...]:
        return tuple(self.ref(i) for i in items)

    def _inline(self, part: Any) -> Any:
        if type(part) is str:
            return part
        if part is None:
            return BR
        if type(part) is list:
            return self.ref(part)
        return Paragraph(tuple(self._inline(p) for p in part["p"]))

    def text(self, value: Any) -> Text | None:
        if value is None:
            return None
        if type(value) is str:
            return Text((value,))
        return Text(tuple(self._inline(p) for p in value))

    def layout(self, value: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(layout, spacing)`` from the ``layout`` column."""
        found = self._layouts.get(value)
        if found is None:
            layout, spacing = loads(value)  # type: ignore[arg-type]
            found = self._layouts[value] = (tuple(layout), tuple(spacing))
        return found

    def record(self, row: Sequence[Any]) -> Record:
        """A Record from its ``(body, layout)`` columns (:data:`RECORD_COLUMNS`)."""
        (name, low, high, written, transport, description, assignee, references,
         registered, modified, notes, unauthorized, service_code) = loads(row[0])  # fmt: skip
        if low is None:
            port = None
        elif written is None:
            port = PortRange(low, high)
        else:
            port = PortRange(low, high, written)
        layout, spacing = self.layout(row[1])
        return Record(
            name=name,
            port=port,
            transport=transport,
            description=self.text(description),
            assignee=self.refs(assignee) if assignee else (),
            references=self.refs(references) if references else (),
            registered=registered,
            modified=modified,
            notes=self.text(notes),
            unauthorized=self.text(unauthorized),
            service_code=service_code,
            layout=layout,
            spacing=spacing,
        )

    def person(self, row: Sequence[Any]) -> Person:
        """A Person from ``(person_id, name, org, uris, updated, layout)``: :data:`PERSON_COLUMNS`."""
        person_id, name, org, uris, updated, layout = row
        layout, spacing = self.layout(layout)
        return Person(
            id=person_id,
            name=name,
            org=org,
            uris=tuple(loads(uris)) if uris else (),
            updated=updated,
            layout=layout,
            spacing=spacing,
        )

    def head(self, value: str, records: tuple[Record, ...], people: tuple[Person, ...]) -> Registry:
        h = loads(value)
        return Registry(
            title=h["title"],
            records=records,
            people=people,
            id=h["id"],
            category=h.get("category"),
            updated=h.get("updated"),
            references=self.refs(h.get("references", [])),
            expert=h.get("expert"),
            notes=tuple(Note(self.text(t) or Text(), title) for t, title in h.get("notes", [])),
            footnotes=tuple(Footnote(a, self.text(t) or Text()) for a, t in h.get("footnotes", [])),
            head_layout=tuple(h.get("head_layout", [])),
            processing_instructions=tuple(h.get("processing_instructions", [])),
            spacing=tuple(h.get("spacing", [])),
        )


#: The columns :meth:`Decoder.record` reads, in order (prefix with a table alias as needed).
RECORD_COLUMNS = ("body", "layout")
#: The columns :meth:`Decoder.person` reads, in order.
PERSON_COLUMNS = ("person_id", "name", "org", "uris", "updated", "layout")
