"""Registry values as HTML fragments for the site: table rows and contact rows.

Rich text and references are rendered by the HTML format's filters
(:mod:`portreg.formats.html`: ``rich``, ``citations``), the same code that writes the
published HTML page, so escaping and linking have one place to be right in (a
description may hold ``<username>`` or, in a hostile store, ``<script>``). What the
site adds is links: a service name to its page, a port to its page, a person id to the
person's page. Every other registry string here goes through :func:`html.escape`
(quotes included).

Rows are plain string building rather than a template: the full registry page has
14,444 of them, each is rendered once per version and kept (:class:`RowCache`).
"""

from __future__ import annotations

import functools
from html import escape
from typing import TYPE_CHECKING, Iterable

from markupsafe import Markup

from ..formats.csv import HEADER
from ..formats.html import citations, rich
from ..model import Person, Record
from .urls import person_url, port_url, service_url

if TYPE_CHECKING:
    from ..services.query import Hit

__all__ = ["COLUMNS", "RowCache", "contact_row", "people_refs", "person_url", "port_url", "service_url", "table_row"]

#: IANA's twelve columns, in IANA's order (the same as its CSV export's header).
COLUMNS: tuple[str, ...] = HEADER


def _link(href: str, label: str) -> str:
    return f'<a href="{escape(href)}">{escape(label)}</a>'


@functools.lru_cache(maxsize=16384)
def _person_ref(person_id: str) -> str:
    # A long id (Internet_Systems_Consortium_Inc) may wrap after its underscores, not mid-word.
    label = escape(person_id).replace("_", "_<wbr>")
    return f'[<a href="{escape(person_url(person_id))}">{label}</a>]'



def people_refs(ids: Iterable[str]) -> str:
    """Person ids as IANA shows them, ``[id]`` each, linked to the person's page."""
    return "".join(map(_person_ref, ids))


def name_cell(record: Record) -> str:
    return _link(service_url(record.name), record.name) if record.name else ""


def port_cell(record: Record) -> str:
    return _link(port_url(record.port), str(record.port)) if record.port is not None else ""


def table_row(hit: Hit) -> str:
    """One ``<tr>`` of the records table, IANA's twelve cells."""
    r = hit.record
    cells = (
        name_cell(r),
        port_cell(r),
        escape(r.transport or ""),
        rich(r.description),
        people_refs(r.assignees),
        people_refs(r.contacts),
        escape(r.registered or ""),
        escape(r.modified or ""),
        citations(r.citations),
        escape(r.service_code or ""),
        rich(r.unauthorized),
        rich(r.notes),
    )
    if hit.source is not None and hit.source != "iana":
        # Rows of a local registry carry its name; the upstream's, the many, carry none.
        cells = (f'<span class="source-badge" title="registry {hit.source}">{escape(hit.source)}</span> {cells[0]}',
                 *cells[1:])
    return f'<tr class="{hit.state}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>\n"


def contact_row(person: Person) -> str:
    """One ``<tr>`` of Contact Information: ID, Name, Organization, Contact URI, Last Updated."""
    uris = "<br>".join(str(escape(u)) for u in person.uris)
    cells = (
        f"[{_link(person_url(person.id), person.id)}]",
        escape(person.name or ""),
        escape(person.org or ""),
        uris,
        escape(person.updated or ""),
    )
    return f'<tr id="{escape(person.id)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>\n"


class RowCache:
    """Rendered rows of one version, by position (records) or id (people), made on first use.

    A version never changes, so a row rendered once is right for as long as the version
    is served; the full registry page then costs a join of cached strings.
    """

    def __init__(self, hits: list[Hit] | tuple[Hit, ...], people: dict[str, Person]) -> None:
        self._hits = hits
        self._people = people
        self._rows: list[str | None] = [None] * len(hits)
        self._contacts: dict[str, str] = {}

    def rows(self, positions: Iterable[int]) -> Markup:
        out = []
        rows, hits = self._rows, self._hits
        for i in positions:
            row = rows[i]
            if row is None:
                row = rows[i] = table_row(hits[i])
            out.append(row)
        return Markup("".join(out))

    def contacts(self, person_ids: Iterable[str]) -> Markup:
        out = []
        for pid in person_ids:
            row = self._contacts.get(pid)
            if row is None:
                person = self._people.get(pid)
                if person is None:
                    continue
                row = self._contacts[pid] = contact_row(person)
            out.append(row)
        return Markup("".join(out))
