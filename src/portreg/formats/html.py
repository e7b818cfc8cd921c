"""The registry as IANA's web page shows it: one standalone HTML5 document.

The page is a Jinja2 template (``templates/registry.html``) built from the macros in
``templates/registry_macros.html`` (style, head, records table, contacts table,
footnotes), so that the web layer can build its own pages from the same pieces:
:func:`environment` gives the template environment, :func:`render_table` and
:func:`render_rows` a table or the rows for any subset of records.

Safety: autoescape is on, and nothing from the registry is ever marked safe as it is.
The filters below build markup only from escaped strings (the standard library's
``html.escape``, quotes included) and their own constant tags, and link only URIs whose
scheme is known to be harmless (percent-encoding what a URI cannot hold), so a
description holding ``<username>`` or ``<script>`` shows as text. The page has no
script and loads nothing from elsewhere.

Speed: the web server renders the whole page on request, so the row macro is one flat
line per record, rich text is turned into markup in Python rather than by recursive
macros, and the link of each person is built once.
"""

from __future__ import annotations

import functools
import re
from html import escape as _escape
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Sequence
from urllib.parse import quote

from markupsafe import Markup

if TYPE_CHECKING:
    import jinja2

from ..model import LineBreak, Paragraph, Record, Reference, Registry, Text
from . import FORMATS

__all__ = [
    "COLUMNS",
    "EXTENSION",
    "MEDIA_TYPE",
    "anchor",
    "environment",
    "format_links",
    "record_cells",
    "record_row",
    "reference_href",
    "render",
    "render_rows",
    "render_table",
    "write",
]

MEDIA_TYPE = FORMATS["html"].media_type
EXTENSION = FORMATS["html"].extension

#: Labels and file extensions of the sibling files the page links to, in IANA's order.
AVAILABLE_FORMATS: tuple[tuple[str, str], ...] = (
    ("CSV", "csv"),
    ("XML", "xml"),
    ("HTML", "html"),
    ("Plain text", "txt"),
)

#: IANA's twelve columns of the records table, in order.
COLUMNS: tuple[str, ...] = (
    "Service Name", "Port Number", "Transport Protocol", "Description", "Assignee", "Contact",
    "Registration Date", "Modification Date", "Reference", "Service Code",
    "Unauthorized Use Reported", "Assignment Notes",
)

#: URI schemes a registry URI may be linked with; any other URI is shown as text only.
SAFE_SCHEMES = ("http://", "https://", "ftp://")

RFC_AND_DRAFT_BASE = "https://www.iana.org/go/"

#: What may stand in a URI as it is (RFC 3986 reserved and unreserved, and escapes);
#: anything else (blanks, ``<``, ``"``, non-ASCII) is percent-encoded in a link.
_URI_CHARACTERS = ":/?#[]@!$&'()*+,;=%~-._"
_BLANK = re.compile(r"\s")

#: A line of ``<expert>`` that starts a transport group (``TCP/UDP:``); others continue one.
_GROUP_LINE = re.compile(r"^[A-Z][A-Za-z /]*:")


def write(registry: Registry, out: BinaryIO) -> None:
    """Write ``registry`` as one UTF-8 HTML5 page."""
    out.write(render(registry).encode("utf-8"))


def render(registry: Registry, *, links: Sequence[tuple[str, str]] | None = None) -> str:
    """The whole page. ``links`` are the Available Formats (label, href); by default the
    sibling files named after the registry id (``service-names-port-numbers.csv`` …)."""
    template = environment().get_template("registry.html")
    return template.render(
        registry=registry,
        people=registry.referenced_people(),
        format_links=format_links(registry) if links is None else links,
    )


def render_table(records: Iterable[Record]) -> str:
    """The records table (head and rows) for any records, as an HTML fragment."""
    return str(_macros().records_table(records))


def render_rows(records: Iterable[Record]) -> str:
    """Only the ``<tr>`` rows for ``records``, to put into a table of one's own."""
    return str(_macros().record_rows(records))


def format_links(registry: Registry) -> list[tuple[str, str]]:
    """The default Available Formats links: files beside this one, named after the id."""
    return [(label, f"{registry.id}.{ext}") for label, ext in AVAILABLE_FORMATS]


@functools.cache
def environment() -> jinja2.Environment:  # jinja2 is imported here, not at start-up
    """The Jinja2 environment of the registry templates, with autoescape and the filters
    ``rich`` (Text), ``people`` (person ids), ``citations`` (references),
    ``record_row`` (a Record), ``anchor`` (a person id) and ``expert_lines``, and the
    global ``columns``."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("portreg.formats", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        rich=rich, people=people, citations=citations, expert_lines=expert_lines, record_row=record_row, anchor=anchor
    )
    env.globals["columns"] = COLUMNS
    return env


@functools.cache
def _macros() -> Any:
    return environment().get_template("registry_macros.html").module


# --------------------------------------------------------------------------- filters


def record_row(record: Record) -> str:
    """One record as a ``<tr>`` of IANA's twelve columns (:data:`COLUMNS`).

    Built in Python as one string rather than cell by cell in the template: each value
    the template escapes becomes an object the garbage collector tracks, and a quarter
    of a million of them held at once made full collections cost more than the page.
    """
    return Markup("<tr><td>" + "</td><td>".join(record_cells(record)) + "</td></tr>")


def record_cells(record: Record) -> list[str]:
    """The twelve cells of ``record`` as escaped HTML fragments, in :data:`COLUMNS` order."""
    return [
        _escape(record.name) if record.name else "",
        "" if record.port is None else str(record.port),
        _escape(record.transport) if record.transport else "",
        _rich_html(record.description),
        "".join(map(_person_link, record.assignees)),
        "".join(map(_person_link, record.contacts)),
        _escape(record.registered) if record.registered else "",
        _escape(record.modified) if record.modified else "",
        "".join(map(_reference_html, record.citations)),
        _escape(record.service_code) if record.service_code else "",
        _rich_html(record.unauthorized),
        _rich_html(record.notes),
    ]


def rich(text: Text | None, trim: bool = False) -> str:
    """Rich text as markup: strings escaped, ``<br>`` for breaks, links for references,
    ``<p>`` for paragraphs. ``trim`` drops blank lines at both ends (pre-formatted notes)."""
    return Markup(_rich_html(text, trim)) if text else _EMPTY


def _rich_html(text: Text | None, trim: bool = False) -> str:
    if not text:
        return ""
    parts = text.parts
    if trim:
        parts = _trimmed(parts)
    elif len(parts) == 1 and isinstance(parts[0], str):
        return _escape(parts[0])
    return "".join(_inline_html(parts))


def people(ids: Iterable[str]) -> str:
    """Person ids as IANA shows them: ``[id]`` each, linked to the contact table."""
    return Markup("".join(map(_person_link, ids))) if ids else _EMPTY


def citations(refs: Iterable[Reference]) -> str:
    """References as ``[label]`` each, linked where they point somewhere."""
    return Markup("".join(map(_reference_html, refs))) if refs else _EMPTY


def expert_lines(expert: str) -> list[str]:
    """The expert text as one line per transport group (wrapped lines joined)."""
    lines: list[str] = []
    for line in expert.splitlines():
        line = line.strip()
        if lines and line and not _GROUP_LINE.match(line):
            lines[-1] = f"{lines[-1]} {line}"
        elif line:
            lines.append(line)
    return lines


def anchor(person_id: str) -> str:
    """The id of a person's row in the contact table: the person id as IANA's page has it
    (``#Jon_Postel``), blanks made ``_`` since an HTML id holds none."""
    return _BLANK.sub("_", person_id) if _BLANK.search(person_id) else person_id


def reference_href(ref: Reference) -> str | None:
    """Where a reference links to, or None: RFCs and drafts through IANA's ``/go/``
    redirector, people and footnotes inside the page, URIs only with a safe scheme."""
    data = ref.data
    if not data:
        return None
    if ref.type in ("rfc", "draft"):
        return RFC_AND_DRAFT_BASE + quote(data, safe="")
    if ref.type == "person":
        return "#" + quote(anchor(data), safe="")
    if ref.type == "note":
        return "#footnote-" + quote(data, safe="")
    if ref.type == "uri" and data.lower().startswith(SAFE_SCHEMES):
        return quote(data, safe=_URI_CHARACTERS)
    return None


_EMPTY = Markup()


@functools.lru_cache(maxsize=16384)
def _person_link(pid: str) -> str:
    return f'[<a href="#{_escape(quote(anchor(pid), safe=""))}">{_escape(pid)}</a>]'


def _reference_html(ref: Reference) -> str:
    if ref.type == "person" and ref.data:
        return _person_link(ref.data)
    href = reference_href(ref)
    label = _escape(ref.text.strip() if ref.text and ref.text.strip() else ref.label)  # as IANA's CSV
    if href is None:
        return f"[{label}]"
    return f'[<a href="{_escape(href)}">{label}</a>]'


def _inline_html(parts: Sequence[object]) -> Iterator[str]:
    for part in parts:
        if isinstance(part, str):
            yield _escape(part)
        elif isinstance(part, LineBreak):
            yield "<br>"
        elif isinstance(part, Reference):
            yield _reference_html(part)
        elif isinstance(part, Paragraph):
            yield "<p>"
            yield from _inline_html(part.content)
            yield "</p>"


def _trimmed(parts: tuple) -> tuple:
    """``parts`` without the line breaks that open and close a pre-formatted note."""
    if parts and isinstance(parts[0], str):
        parts = (parts[0].lstrip("\n"), *parts[1:])
    if parts and isinstance(parts[-1], str):
        parts = (*parts[:-1], parts[-1].rstrip())
    return parts
