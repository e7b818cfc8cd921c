"""IANA's CSV export: one row per record, twelve columns, RFC 4180 as IANA writes it.

IANA's CSV is derived from its XML (see ``../shared/spec/formats.md``): people become
``[id]`` runs in the Assignee and Contact columns, every other reference a ``[label]``
run in Reference, rich text a single string. The writer follows that mapping so that
XML → CSV matches IANA's own export; the reader undoes it as far as the cells allow,
so that CSV → CSV gives the same bytes back. What a cell cannot tell is decided by
the rule that regenerates it:

- Assignee equal to Contact is read as "no ``<assignee>``, the people are both"
  (IANA's rule for filling Assignee), a different Assignee as ``<assignee>`` plus the
  contact. An empty Assignee beside a Contact cannot be written back (IANA's rule
  fills Assignee from the contact): it reads as contact only, and writes as both.
- A Reference label becomes an RFC (``RFC9110``; ``RFC8765, Section 6.1`` keeps its
  words as the reference's text), a draft (``draft-…``, ``RFC-…``), a footnote
  (``1``), a URI (``https://…``), else free text. Labels nest brackets, so a text
  reference holding ``[…]`` reads whole; a cell whose brackets do not balance reads
  as one text reference.
- In Assignment Notes, ``[RFC…]`` and ``[uri]`` become inline references: that is how
  the XML cites there (a few citations are plain text in the XML; the cell is the same
  either way). Elsewhere brackets are text (``Unassigned [was netstat]``; Unauthorized
  Use's ``[RFC4146]`` is text in the XML too).

Writing rich text as a cell follows IANA's current export (2018, and 2025 onwards; see
:func:`_cell_text`): a ``<br/>`` is a newline inside the quoted cell, the text is
trimmed, and a line break of the XML's own layout with white space on both sides
becomes one space. The 2024 exports alone folded ``<br/>`` into a space too; that
convention is not kept, as no export made since follows it.

The CSV has no registry head: the title is IANA's and ``updated`` the latest date in
the rows. Exports before 2020 call the 11th column ``Known Unauthorized Uses``; the
reader takes both, and the writer picks the header from the registry's date (or from
``legacy_header=``), so that an old export read and written stays the same bytes. (A
current header over rows all older than 2020 reads with no date, to be written back
with the current header; an old header over newer rows needs ``legacy_header=True``.)
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, BinaryIO, Callable, Iterator

from ..errors import FormatError
from ..model import TRANSPORTS, LineBreak, Paragraph, Person, PortRange, Record, Reference, Registry, Text
from . import FORMATS
from ._decode import utf8_text

__all__ = ["EXTENSION", "HEADER", "LEGACY_HEADER", "MEDIA_TYPE", "TITLE", "read", "write"]

MEDIA_TYPE = FORMATS["csv"].media_type
EXTENSION = FORMATS["csv"].extension

HEADER: tuple[str, ...] = (
    "Service Name",
    "Port Number",
    "Transport Protocol",
    "Description",
    "Assignee",
    "Contact",
    "Registration Date",
    "Modification Date",
    "Reference",
    "Service Code",
    "Unauthorized Use Reported",
    "Assignment Notes",
)
#: The header of exports made before the 11th column was renamed.
LEGACY_HEADER: tuple[str, ...] = HEADER[:10] + ("Known Unauthorized Uses",) + HEADER[11:]
#: Registries updated before this date are written with :data:`LEGACY_HEADER`. The
#: exact day IANA renamed the column is not known; the exports we hold put it before
#: 2024 and public copies of old exports before 2020.
LEGACY_BEFORE = "2020-01-01"

#: The CSV carries no registry head; it is IANA's export of this registry.
TITLE = "Service Name and Transport Protocol Port Number Registry"

_UNAUTHORIZED = HEADER[10]
_ALIASES = {LEGACY_HEADER[10]: _UNAUTHORIZED}
_FOLD = re.compile(r"\s+\n\s+")
_PEOPLE = re.compile(r"(?:\[[^\[\]]+\])+")
_PERSON_ID = re.compile(r"\[([^\[\]]+)\]")
_RFC = re.compile(r"RFC(\d+)")
_RFC_WITH_WORDS = re.compile(r"RFC(\d+)\W.*", re.S)
_DRAFT = re.compile(r"(?:draft|RFC)-\S+")
_ANCHOR = re.compile(r"\d+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_INLINE_CITATION = re.compile(r"\[(RFC\d+|[A-Za-z][A-Za-z0-9+.-]*://[^\s\[\]]+)\]")
_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
MAX_PORT = 65535


# --------------------------------------------------------------------------- writing


def write(registry: Registry, out: BinaryIO, *, legacy_header: bool | None = None) -> None:
    """Write ``registry`` as IANA's CSV: CRLF rows, minimal quoting, UTF-8 without BOM.

    ``legacy_header`` names the 11th column ``Known Unauthorized Uses``; by default it
    does so for registries updated before :data:`LEGACY_BEFORE`, as IANA did.
    """
    if legacy_header is None:
        legacy_header = registry.updated is not None and registry.updated < LEGACY_BEFORE
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(LEGACY_HEADER if legacy_header else HEADER)
    writer.writerows(_rows(registry.records))
    out.write(buf.getvalue().encode("utf-8"))


def _rows(records: tuple[Record, ...]) -> Iterator[tuple[str, ...]]:
    """One row per record, in IANA's column order.

    A registry shares its values: the tcp and udp rows of a service hold the same
    description, hundreds of rows the same reference. So each cell made from a text,
    a port or a reference is made once, and found again by the object's identity (the
    records hold them for the whole write; hashing a dataclass would cost a Python call).
    """
    cells: dict[int, str] = {}
    for record in records:
        refs = record.references
        if refs:
            contacts = "".join([f"[{ref.data}]" for ref in refs if ref.type == "person" and ref.data])
            citations = "".join([_citation(ref, cells) for ref in refs if ref.type != "person"])
        else:
            contacts = citations = ""
        assignee = record.assignee
        port, description, unauthorized, notes = record.port, record.description, record.unauthorized, record.notes
        yield (
            record.name or "",
            "" if port is None else cells.get(id(port)) or cells.setdefault(id(port), str(port)),
            record.transport or "",
            "" if description is None else cells.get(id(description)) or _cell(description, cells),
            "".join([f"[{ref.data}]" for ref in assignee if ref.data]) if assignee else contacts,
            contacts,
            record.registered or "",
            record.modified or "",
            citations,
            record.service_code or "",
            "" if unauthorized is None else _cell(unauthorized, cells),
            "" if notes is None else _cell(notes, cells),
        )


def _citation(ref: Reference, cells: dict[int, str]) -> str:
    cell = cells.get(id(ref))
    if cell is None:
        cell = cells[id(ref)] = f"[{_label(ref)}]"
    return cell


def _cell(text: Text, cells: dict[int, str]) -> str:
    cell = cells.get(id(text))
    if cell is None:
        cell = cells[id(text)] = _cell_text(text)
    return cell


def _label(ref: Reference) -> str:
    """What IANA shows inside the brackets: the reference's own words, else its target.

    An ``xref`` with text shows the text (``<xref type="uri" data="…TR-352.pdf">TR-352``
    is ``[TR-352]``, an RFC with ``RFC8765, Section 6.1`` shows those words); one
    without shows :attr:`Reference.label` (``RFC9110``, the URI, the anchor).
    """
    return _unfold(ref.text) if ref.text and ref.text.strip() else ref.label


def _cell_text(text: Text | None) -> str:
    """Rich text as one cell, as IANA's current export writes it.

    Between line breaks (``<br/>``), the text's own layout is unfolded (:func:`_unfold`);
    each run of ``<br/>`` is one newline, which takes the place of the newline the XML
    puts after it: ``whois++<br/><br/>\nIANA`` is ``whois++\nIANA``, and
    ``keys:<br/>\n  txtvers`` keeps its indentation, ``keys:\n  txtvers``.
    """
    if not text:
        return ""
    parts = text.parts
    if len(parts) == 1 and type(parts[0]) is str:
        return _unfold(parts[0])
    runs = [""]
    for piece in _flatten(parts):
        if piece is _BREAK:
            if runs[-1] or len(runs) == 1:  # a run of breaks is one newline
                runs.append("")
        else:
            runs[-1] += piece
    if len(runs) == 1:
        return _unfold(runs[0])
    folded = [_FOLD.sub(" ", run) for run in runs]
    return (folded[0] + "".join("\n" + run.removeprefix("\n") for run in folded[1:])).strip()


def _unfold(text: str) -> str:
    """Trim, and turn each line break with white space on both sides into one space.

    That is IANA's rule for the XML's own layout, read off every row of its export:
    ``Elements \n      (TEMPORARY`` is joined into ``Elements (TEMPORARY``; a line
    break with text on one side stays, so indented continuation lines (``with\n      a
    binary``) and a space before a newline (``"iChat AV" \n(Apple's``) are kept as written.
    """
    return _FOLD.sub(" ", text).strip() if "\n" in text else text.strip()


#: What :func:`_flatten` yields for a ``<br/>``.
_BREAK = object()


def _flatten(parts: tuple) -> Iterator[Any]:
    """The text of ``parts`` as strings, with :data:`_BREAK` for each line break."""
    for part in parts:
        if isinstance(part, str):
            yield part
        elif isinstance(part, LineBreak):
            yield _BREAK
        elif isinstance(part, Reference):
            yield f"[{_label(part)}]"
        elif isinstance(part, Paragraph):
            yield from _flatten(part.content)


# --------------------------------------------------------------------------- reading


def read(data: bytes, *, source: str | None = None) -> Registry:
    """Read IANA's CSV (either header) into a Registry; bad input raises FormatError."""
    text = utf8_text(data, source).removeprefix("\ufeff")
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None:
            raise FormatError("the input is empty", source=source, line=1)
        columns = _columns(header, source)
        records: list[Record] = []
        people: dict[str, Person] = {}
        line = rows.line_num + 1
        for cells in rows:
            if len(cells) != len(header):
                raise FormatError(
                    f"{len(cells)} cells where the header has {len(header)}", source=source, line=line
                )
            row = {name: cells[i] for name, i in columns.items()}
            record = _record(row, source, line)
            for pid in record.person_ids():
                if pid not in people:
                    people[pid] = Person(id=pid)
            records.append(record)
            line = rows.line_num + 1
    except csv.Error as exc:
        raise FormatError(f"bad CSV: {exc}", source=source, line=rows.line_num) from None
    return Registry(
        title=TITLE, records=tuple(records), people=tuple(people.values()), updated=_updated(records, header)
    )


def _updated(records: list[Record], header: list[str]) -> str | None:
    """The latest date in the rows, unless the header says the export is newer than that.

    A current header on rows all dated before :data:`LEGACY_BEFORE` gives None (the
    date is unknown), so that writing what was read keeps the current header.
    """
    latest = max((d for r in records for d in (r.registered, r.modified) if d), default=None)
    if latest and latest < LEGACY_BEFORE and LEGACY_HEADER[10] not in header:
        return None
    return latest


def _columns(header: list[str], source: str | None) -> dict[str, int]:
    """Column name -> index; any order is fine, but every column must be there once."""
    names = [_ALIASES.get(h, h) for h in header]
    unknown = [h for h, n in zip(header, names) if n not in HEADER]
    missing = [h for h in HEADER if h not in names]
    doubled = sorted({n for n in names if names.count(n) > 1})
    problems = [
        f"{what} column{'s' if len(names) > 1 else ''} {', '.join(map(repr, names))}"
        for what, names in (("missing", missing), ("unknown", unknown), ("repeated", doubled))
        if names
    ]
    if problems:
        raise FormatError("; ".join(problems) + " (not IANA's CSV header)", source=source, line=1)
    return {n: i for i, n in enumerate(names)}


def _record(row: dict[str, str], source: str | None, line: int) -> Record:
    def fail(column: str, message: str) -> FormatError:
        return FormatError(message, source=source, line=line, field=column)

    port = None
    if cell := row["Port Number"]:
        try:
            port = PortRange.parse(cell)
        except ValueError:
            raise fail("Port Number", f"not a port or a port range: {cell!r}") from None
        if port.high > MAX_PORT or port.low > port.high:
            raise fail("Port Number", f"not a port or a port range: {cell!r}")
    transport = row["Transport Protocol"] or None
    if transport is not None and transport not in TRANSPORTS:
        raise fail("Transport Protocol", f"unknown transport {transport!r}; expected one of {', '.join(TRANSPORTS)}")
    for column in ("Registration Date", "Modification Date"):
        if row[column] and not _DATE.fullmatch(row[column]):
            raise fail(column, f"not a date (YYYY-MM-DD or YYYY-MM): {row[column]!r}")
    assignees = _person_ids(row, "Assignee", fail)
    contacts = _person_ids(row, "Contact", fail)
    if assignees == contacts or not assignees:
        assignee: tuple[Reference, ...] = ()
    else:
        assignee = tuple(Reference("person", pid) for pid in assignees)
    references = tuple(Reference("person", pid) for pid in contacts) + _citations(row["Reference"], fail)
    return Record(
        name=row["Service Name"] or None,
        port=port,
        transport=transport,
        description=Text.of(row["Description"] or None),
        assignee=assignee,
        references=references,
        registered=row["Registration Date"] or None,
        modified=row["Modification Date"] or None,
        notes=_notes(row["Assignment Notes"]),
        unauthorized=Text.of(row[_UNAUTHORIZED] or None),
        service_code=row["Service Code"] or None,
    )


def _person_ids(row: dict[str, str], column: str, fail: Callable[[str, str], FormatError]) -> tuple[str, ...]:
    cell = row[column]
    if not cell:
        return ()
    if not _PEOPLE.fullmatch(cell):
        raise fail(column, f"expected person ids as [id][id]…, got {cell!r}")
    return tuple(_PERSON_ID.findall(cell))


def _citations(cell: str, fail: Callable[[str, str], FormatError]) -> tuple[Reference, ...]:
    """The Reference cell, ``[RFC9110][1][free text]``, as references."""
    if not cell:
        return ()
    labels = _bracketed(cell)
    if labels is None:
        if not (cell.startswith("[") and cell.endswith("]")):
            raise fail("Reference", f"expected references as [label][label]…, got {cell!r}")
        labels = [cell[1:-1]]  # unbalanced brackets inside: one text reference
    return tuple(_reference(label) for label in labels)


def _bracketed(cell: str) -> list[str] | None:
    """``[a][b [c]]`` -> ``["a", "b [c]"]``; None when the cell is not such a run."""
    labels, depth, start = [], 0, 0
    for i, char in enumerate(cell):
        if char == "[":
            if depth == 0:
                if i != start:
                    return None
                start = i + 1
            depth += 1
        elif char == "]":
            if depth == 0:
                return None
            depth -= 1
            if depth == 0:
                labels.append(cell[start:i])
                start = i + 1
        elif depth == 0:
            return None
    return labels if depth == 0 and start == len(cell) else None


def _reference(label: str) -> Reference:
    if m := _RFC.fullmatch(label):
        return Reference("rfc", f"rfc{m[1]}")
    if m := _RFC_WITH_WORDS.fullmatch(label):
        return Reference("rfc", f"rfc{m[1]}", label)
    if _DRAFT.fullmatch(label):
        return Reference("draft", label)
    if _ANCHOR.fullmatch(label):
        return Reference("note", label)
    if _URI.fullmatch(label):
        return Reference("uri", label)
    return Reference("text", None, label)


def _notes(cell: str) -> Text | None:
    """Assignment Notes, with ``[RFC…]`` and ``[uri]`` as the inline references they were."""
    if not cell:
        return None
    parts: list[str | Reference] = []
    pos = 0
    for m in _INLINE_CITATION.finditer(cell):
        if m.start() > pos:
            parts.append(cell[pos : m.start()])
        parts.append(_reference(m[1]))
        pos = m.end()
    if pos < len(cell):
        parts.append(cell[pos:])
    return Text(tuple(parts))
