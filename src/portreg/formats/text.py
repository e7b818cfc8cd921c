"""The registry as plain text: IANA's head, an aligned table of records, the contacts.

The head (title, Last Updated, Expert(s), Reference, the notes, Available Formats) and the
Contact Information section follow the plain-text rendering IANA's page gives (the seed
``001_*.txt``) line for line, so that people who know that page find the same text.

The records are a fixed-width table meant for a terminal (``less -S``): IANA's twelve
columns, each with a set width (:data:`COLUMNS`), separated by two spaces, headed by the
column names (wrapped onto two lines where a name is wider than its column) and a rule
of dashes. A cell wider than its column wraps onto continuation lines of the same row:
text wraps at spaces, line breaks in the registry start a new line, lists of references
(``[RFC3501][RFC8314]``) break between references. Trailing blanks are trimmed. Footnotes
follow the table as ``[anchor] text``.
"""

from __future__ import annotations

import textwrap
from typing import BinaryIO, Iterable, Iterator

from ..model import Person, Record, Reference, Registry, Text
from . import FORMATS

__all__ = ["COLUMNS", "EXTENSION", "MEDIA_TYPE", "contact_lines", "head_lines", "render", "table_lines", "write"]

MEDIA_TYPE = FORMATS["txt"].media_type
EXTENSION = FORMATS["txt"].extension

AUTHORITY = "Internet Assigned Numbers Authority"
AVAILABLE_FORMATS = ("CSV", "XML", "HTML", "Plain text")
CONTACT_HEADER = "ID Name Organization Contact URI Last Updated"

#: IANA's column names and the width of each column in this table. Widths cover about
#: nine rows in ten without wrapping: names, 99% of person ids and dates fit; long
#: descriptions wrap at spaces, and an id wider than its column is cut across lines.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Service Name", 15),
    ("Port Number", 11),
    ("Transport Protocol", 9),
    ("Description", 34),
    ("Assignee", 26),
    ("Contact", 26),
    ("Registration Date", 12),
    ("Modification Date", 12),
    ("Reference", 20),
    ("Service Code", 10),
    ("Unauthorized Use Reported", 20),
    ("Assignment Notes", 36),
)
GAP = "  "


def write(registry: Registry, out: BinaryIO) -> None:
    """Write ``registry`` as UTF-8 text."""
    out.write(render(registry).encode("utf-8"))


def render(registry: Registry) -> str:
    """The whole text: head, records table, footnotes, contact information."""
    lines = head_lines(registry)
    lines += table_lines(registry.records)
    if registry.footnotes:
        lines += ["", "Footnotes", ""]
        for note in registry.footnotes:
            lines += _hanging(f"[{note.anchor}] ", str(note.text).strip("\n"))
    lines += ["", "Contact Information", ""]
    lines += contact_lines(registry.referenced_people())
    return "\n".join(lines) + "\n"


def head_lines(registry: Registry) -> list[str]:
    """The registry head as IANA's page reads in plain text (the seed's first lines)."""
    lines = [AUTHORITY, "", registry.title, ""]
    if registry.updated:
        lines += ["Last Updated", registry.updated]
    if registry.expert:
        lines += ["Expert(s)", *registry.expert.split("\n")]
    if registry.references:
        lines += ["Reference", "".join(f"[{r.label}]" for r in registry.references)]
    for note in registry.notes:
        # IANA's notes are pre-formatted text: kept as written, blank lines at the ends
        # trimmed, one blank line after each.
        lines += [note.title or "Note", *str(note.text).strip("\n").split("\n"), ""]
    lines += ["Available Formats"]
    for name in AVAILABLE_FORMATS:
        lines += ["", name]
    return lines


def table_lines(records: Iterable[Record]) -> list[str]:
    """The records as an aligned table: header, rule, then each record's lines."""
    header = [textwrap.wrap(name, width) for name, width in COLUMNS]
    lines = list(_row_lines(header))
    lines.append(GAP.join("-" * width for _, width in COLUMNS))
    for record in records:
        lines.extend(_row_lines(_cells(record)))
    return lines


def contact_lines(people: Iterable[Person]) -> list[str]:
    """The Contact Information table: a header, then one line per person, fields spaced."""
    lines = [CONTACT_HEADER]
    for person in people:
        fields = [f"[{person.id}]", person.name, person.org, *person.uris, person.updated]
        lines.append(" ".join(f for f in fields if f))
    return lines


def _cells(record: Record) -> list[list[str]]:
    widths = [width for _, width in COLUMNS]
    return [
        _wrap(record.name, widths[0]),
        _wrap(None if record.port is None else str(record.port), widths[1]),
        _wrap(record.transport, widths[2]),
        _wrap_text(record.description, widths[3]),
        _pack([f"[{pid}]" for pid in record.assignees], widths[4]),
        _pack([f"[{pid}]" for pid in record.contacts], widths[5]),
        _wrap(record.registered, widths[6]),
        _wrap(record.modified, widths[7]),
        _pack([f"[{_shown(ref)}]" for ref in record.citations], widths[8]),
        _wrap(record.service_code, widths[9]),
        _wrap_text(record.unauthorized, widths[10]),
        _wrap_text(record.notes, widths[11]),
    ]


def _shown(ref: Reference) -> str:
    """A reference's own words when it has some (``[TR-352]``), else its label, as IANA's CSV."""
    return ref.text.strip() if ref.text and ref.text.strip() else ref.label


def _row_lines(cells: list[list[str]]) -> Iterator[str]:
    height = max(1, *(len(c) for c in cells))
    for i in range(height):
        parts = [(cell[i] if i < len(cell) else "").ljust(width) for cell, (_, width) in zip(cells, COLUMNS)]
        yield GAP.join(parts).rstrip()


def _wrap(value: str | None, width: int) -> list[str]:
    """One cell's lines: each line of ``value`` trimmed and wrapped; blank lines dropped."""
    if not value:
        return []
    if len(value) <= width and "\n" not in value:
        return [value.strip()]
    lines: list[str] = []
    for line in value.split("\n"):
        lines += textwrap.wrap(line, width, break_on_hyphens=False)
    return lines


def _wrap_text(text: Text | None, width: int) -> list[str]:
    return _wrap(str(text), width) if text else []


def _pack(labels: list[str], width: int) -> list[str]:
    """Labels joined as IANA writes them (``[a][b]``), breaking between labels to fit."""
    lines: list[str] = []
    for label in labels:
        if lines and len(lines[-1]) + len(label) <= width:
            lines[-1] += label
        else:
            lines += textwrap.wrap(label, width) or [label]
    return lines


def _hanging(lead: str, text: str) -> list[str]:
    """``lead`` before the first line of ``text``, later lines indented to match."""
    indent = " " * len(lead)
    return [(lead if i == 0 else indent) + line for i, line in enumerate(text.split("\n"))]
