"""The registry page, and the pages of one service, one port (or range) and one person.

Answers come from the query layer through the snapshot (its
:class:`~portreg.services.query.LookupIndex` for ports and names,
:class:`~portreg.services.query.Hit` for states and range classes), so a page says what
``portreg lookup`` and the API say.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ... import rules
from ...errors import InvalidQuery, NotFound
from ...model import Record
from ...services import params
from ...services.query import RANGES
from ...services.suggest import suggest
from .. import urls
from ..table import PAGE_SIZES, SORTS, TableQuery, select
from .errors import not_found_name, not_found_port_spec
from .map import BLOCK
from .render import (
    contact_ids,
    current,
    error_page,
    footnotes_of,
    formats_of,
    render,
    rows_of,
    service,
    table_of,
)

if TYPE_CHECKING:
    from ...services.query import Hit
    from ...services.registry import Snapshot

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: What /port/ takes as a number or a range (ASCII digits); anything else is taken for a name.
_NUMERIC = re.compile(r"[0-9]+(?:-[0-9]+)?", re.ASCII)


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse(urls.static_url("favicon.svg"), status_code=301)


#: The views of the registry page that are the same bytes for every visitor of a version
#: and asked for often: the front page, and the whole registry on one page (5.6 MB).
_SHARED_VIEWS = (TableQuery(), TableQuery(page_size=None))


@router.get("/", response_class=HTMLResponse)
async def registry_page(request: Request) -> Response:
    """The registry as IANA presents it, with search, filters, sorting and pages.

    Asynchronous so that a view already rendered for this version is answered on the
    event loop, without a trip through the thread pool; any other view is rendered in
    a worker thread.
    """
    from starlette.concurrency import run_in_threadpool

    params = request.query_params
    query, problems = TableQuery.from_params(params)
    if not problems and any(value == "" for value in params.values()):
        # The filter form sends every field; a link worth sharing names only those set.
        return RedirectResponse(query.url(), status_code=303)
    try:
        snapshot = service(request).view(query.registry)
    except NotFound as exc:
        problems = [*problems, f"{exc.message}; showing the default view"]
        query = replace(query, registry=None)
        snapshot = service(request).view(None)
    if not problems and query in _SHARED_VIEWS:
        key = _shared_key(request, query)
        kept = snapshot.cache.get(key)
        if kept is not None:
            return _shared_response(*kept)
        return await run_in_threadpool(_shared_view, request, snapshot, query)
    return await run_in_threadpool(_render_view, request, snapshot, query, problems)


def _render_view(request: Request, snapshot: Snapshot, query: TableQuery, problems: list[str]) -> HTMLResponse:
    data = table_of(snapshot)
    page = select(data, query)
    return render(
        request,
        "registry.html",
        snapshot=snapshot,
        registry=snapshot.registry,
        query=page.query,
        page=page,
        problems=problems,
        rows=rows_of(snapshot).rows(page.rows),
        contacts=rows_of(snapshot).contacts(contact_ids(snapshot, page.rows)),
        formats=formats_of(snapshot),
        sort_keys={label: key for key, label in SORTS.items()},
        page_sizes=PAGE_SIZES,
        range_choices=tuple(RANGES),
    )


def _shared_view(request: Request, snapshot: Snapshot, query: TableQuery) -> Response:
    """A view rendered once per version (and notice, and log head), then served as bytes.

    Rendering the whole registry takes a second and 5.6 MB; fifty visitors at once used
    to render it fifty times and hold fifty copies, starving lookups. The page is the
    same for everyone (it shows no signed-in state), so it is kept in the snapshot's
    derived cache with a strong ETag, which lets the middleware skip hashing it and
    compress it once (its gzip cache is keyed by that ETag).
    """
    import hashlib

    def make(_: Snapshot) -> tuple[bytes, str]:
        body = bytes(_render_view(request, snapshot, query, []).body)
        tag = hashlib.blake2b(body, digest_size=12).hexdigest()
        return body, f'"v{snapshot.version.number}-page-{tag}"'

    return _shared_response(*snapshot.derived(_shared_key(request, query), make))


def _shared_key(request: Request, query: TableQuery) -> str:
    log = getattr(request.app.state, "translog", None)
    log_head = log.summary() if log is not None else None
    return f"pages:view:{query.url()}:{request.app.state.notice}:{log_head}"


def _shared_response(body: bytes, etag: str) -> Response:
    return Response(body, media_type="text/html; charset=utf-8", headers={"ETag": etag})


# --------------------------------------------------------------------------- one service, port, person


@router.get("/service/{name:path}", response_class=HTMLResponse)
def service_page(request: Request, name: str) -> Response:
    """Every record of one service name, its aliases and legacy names, its people and history."""
    snapshot = current(request)
    if not name.strip():  # unnamed records are not a service called ""
        return error_page(
            request, 404, "No service name given", "Give a service name after /service/, such as /service/http.",
            suggestions=[(urls.registry_url(), "the registry")], snapshot=snapshot,
        )
    answer = snapshot.index.name(name)
    if not answer.found:
        return not_found_name(request, snapshot, name)
    return render(
        request,
        "service.html",
        snapshot=snapshot,
        answer=answer,
        ports=list(dict.fromkeys(h.record.port for h in answer.hits if h.record.port is not None)),
        **_cards(request, snapshot, answer.hits),
        **_changes_of(request, "service", name),
    )


@router.get("/port/{spec}", response_class=HTMLResponse)
def port_page(request: Request, spec: str) -> Response:
    """One port (its range class, each transport's state, its records) or a range of ports."""
    snapshot = current(request)
    if not _NUMERIC.fullmatch(spec):
        return not_found_port_spec(request, snapshot, spec)  # a name (/port/http), or nothing
    try:
        ports = params.parse_range(spec, "port")
    except InvalidQuery as exc:
        message = f"Ports run from 0 to {rules.MAX_PORT}, and a range runs upwards; {exc.message}."
        return error_page(request, 404, f"No port {spec[:40]}", message, snapshot=snapshot)
    if ports.is_range:
        answer = snapshot.index.ports(ports.low, ports.high)
        return render(
            request,
            "range.html",
            snapshot=snapshot,
            low=ports.low,
            high=ports.high,
            classes=rules.range_classes(ports),
            rows=rows_of(snapshot).rows(table_of(snapshot).position(h) for h in answer.hits),
            count=len(answer.hits),
            footnotes=footnotes_of(snapshot, answer.hits),
            **_changes_of(request, "port", f"{ports.low}-{ports.high}"),
        )
    port = ports.low
    one = snapshot.index.port(port)
    return render(
        request,
        "port.html",
        snapshot=snapshot,
        port=port,
        answer=one,
        block=port // BLOCK,
        procedures=rules.assignment_procedures(one.range_class),
        **_cards(request, snapshot, one.hits),
        **_changes_of(request, "port", str(port)),
    )


@router.get("/person/{person_id:path}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str) -> Response:
    """A person (or organization, or role) and every record that names them."""
    snapshot = current(request)
    person = snapshot.people.get(person_id)
    if person is None:
        folded = person_id.casefold()
        match = next((p for p in snapshot.registry.people if p.id.casefold() == folded), None)
        if match is not None:
            return RedirectResponse(urls.person_url(match.id), status_code=301)
        suggestions = suggest(person_id, snapshot.people, limit=8)
        return error_page(
            request,
            404,
            f"No person {person_id}",
            "The registry names no one with this id.",
            suggestions=[(urls.person_url(s), s) for s in suggestions],
            snapshot=snapshot,
        )
    data = table_of(snapshot)
    key = person.id.casefold()
    positions = [i for i, keys in enumerate(data.person_keys) if key in keys]
    hits = [snapshot.hits[i] for i in positions]
    roles: Counter[str] = Counter()
    for hit in hits:
        if person.id in hit.record.assignees:
            roles["assignee"] += 1
        if person.id in hit.record.contacts:
            roles["contact"] += 1
    return render(
        request,
        "person.html",
        snapshot=snapshot,
        person=person,
        rows=rows_of(snapshot).rows(positions),
        count=len(positions),
        roles=roles,
        footnotes=footnotes_of(snapshot, hits),
        **_changes_of(request, "person", person.id),
    )


def _changes_of(request: Request, kind: str, key: str) -> dict[str, Any]:
    """The page's timeline of changes and its feeds (see :mod:`.changes`)."""
    from .changes import timeline

    return timeline(request, kind, key)


def _cards(request: Request, snapshot: Snapshot, hits: Sequence[Hit]) -> dict[str, Any]:
    """What a page of record cards shows: the records, their people, their footnotes."""
    return {
        "records": _record_views(request, snapshot, hits),
        "people": _people_of(snapshot, hits),
        "footnotes": footnotes_of(snapshot, hits),
        "conflicts": _conflicts_of(request, snapshot, hits),
    }


def _conflicts_of(request: Request, snapshot: Snapshot, hits: Sequence[Hit]) -> list[Any]:
    """The open overlay conflicts of these records (none while the store holds IANA's alone)."""
    if not snapshot.sourced or not hits:
        return []
    from ...services.conflicts import open_on

    return open_on(service(request).store, (hit.id for hit in hits))


def _record_views(request: Request, snapshot: Snapshot, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Each record with what its page shows beside the fields: port states and history."""
    views = []
    for hit in hits:
        record = hit.record
        states = snapshot.index.port(record.port.low).states if record.port is not None else {}
        views.append({"hit": hit, "record": record, "states": states, "history": _history(request, snapshot, hit)})
    return views


def _people_of(snapshot: Snapshot, hits: Iterable[Hit]) -> list[Any]:
    positions = [table_of(snapshot).position(hit) for hit in hits]
    return [snapshot.people[pid] for pid in contact_ids(snapshot, positions)]


# --------------------------------------------------------------------------- history


FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Service Name"),
    ("port", "Port Number"),
    ("transport", "Transport Protocol"),
    ("description", "Description"),
    ("assignee", "Assignee"),
    ("references", "References"),
    ("registered", "Registration Date"),
    ("modified", "Modification Date"),
    ("notes", "Assignment Notes"),
    ("unauthorized", "Unauthorized Use Reported"),
    ("service_code", "Service Code"),
)


def _history(request: Request, snapshot: Snapshot, hit: Hit) -> list[dict[str, Any]]:
    """The states the record went through, oldest first, each with the fields that changed."""
    registry = service(request)
    try:
        if snapshot.sourced:
            _, spans = registry.record_history_in(snapshot, hit.id)
        else:
            spans = registry.record_history(hit.id)
    except NotFound:
        return []
    versions = snapshot.derived(
        "pages:versions",
        lambda s: {v.number: v for _, v in registry.versions_in(s)} if s.sourced else {
            v.number: v for v in registry.versions()
        },
    )
    out = []
    previous: Record | None = None
    for span, record in spans:
        changed = [
            (label, _plain(getattr(previous, attr)), _plain(getattr(record, attr)))
            for attr, label in FIELDS
            if previous is not None and getattr(record, attr) != getattr(previous, attr)
        ]
        first = versions.get(span.first)
        last = versions.get(span.last) if span.last is not None else None
        out.append(
            {
                "first": span.first,
                "last": span.last,
                "from": first.published if first else None,
                "to": last.published if last else None,
                "changed": changed,
                "record": record,
                "current": span.last is None,
            }
        )
        previous = record
    return out


def _plain(value: Any) -> str:
    """A field's value as one line of text, for showing what a change did."""
    if value is None or value == ():
        return "—"
    if isinstance(value, tuple):
        return "".join(f"[{ref.label}]" for ref in value)
    return " ".join(str(value).split()) or "—"


