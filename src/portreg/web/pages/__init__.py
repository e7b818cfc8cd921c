"""The registry's HTML pages: the registry itself, a service, a port, a person, the map.

Server-rendered with Jinja2 (templates beside this module, plus the HTML format's macros
and filters from :mod:`portreg.formats.html`), styled by one static CSS file, and made
to work without JavaScript: filters are a GET form, sorting and pages are links, the map
is SVG of links. Every page reads one :class:`~portreg.web.app.Snapshot` and says which
version it shows.

Answers come from the query layer (:mod:`portreg.query`: the snapshot's
:class:`~portreg.query.LookupIndex` for ports and names, :class:`~portreg.query.Hit`
for states and range classes), so a page says what ``portreg lookup`` and the API say.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from ... import rules
from ...errors import NotFound, RegistryError, StoreError
from ...model import DYNAMIC, SYSTEM, TRANSPORTS, USER, PortRange, Record
from ...services.query import RANGES, STATES
from .. import markup, svg
from ..downloads import DOWNLOADS, LABELS, download_path
from ..table import PAGE_SIZES, SORTS, TableData, TableQuery, select

if TYPE_CHECKING:
    import jinja2

    from ...services.query import Hit
    from ..app import Snapshot

__all__ = ["error_page", "install", "parse_version", "router"]

HERE = Path(__file__).parent.parent  # portreg/web
STATIC = HERE / "static"
STYLESHEET = "portreg.css"

RANGE_LABELS = {
    SYSTEM: "System Ports (0–1023)",
    USER: "User Ports (1024–49151)",
    DYNAMIC: "Dynamic and/or Private Ports (49152–65535)",
}
BLOCK = 256  # ports per cell of the overview map

router = APIRouter(include_in_schema=False)


# --------------------------------------------------------------------------- set-up


def install(app: FastAPI) -> None:
    """Add the pages, the static files and the HTML error pages to ``app``."""
    app.state.page_env = _environment()
    app.state.registry_service.warmers.append(warm)
    app.mount("/static", _Static(directory=STATIC), name="static")
    app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RegistryError, _registry_error)


def _environment() -> jinja2.Environment:
    import jinja2

    from ...formats import html as html_format

    iana = html_format.environment()
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("portreg.web", "templates"), iana.loader]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(iana.filters)
    env.filters.update(
        service_url=markup.service_url,
        port_url=markup.port_url,
        person_url=markup.person_url,
        people_refs=lambda ids: Markup(markup.people_refs(ids)),
        thousands=lambda n: f"{n:,}",
    )
    digest = hashlib.blake2b((STATIC / STYLESHEET).read_bytes(), digest_size=6).hexdigest()
    env.globals.update(
        stylesheet=f"/static/{STYLESHEET}?v={digest}",
        columns=markup.COLUMNS,
        transports=TRANSPORTS,
        range_labels=RANGE_LABELS,
        states=STATES,
    )
    return env


class _Static(StaticFiles):
    """Static files, cached by browsers for a day (the page links them with a content hash)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def _render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.page_env
    html = env.get_template(template).render(request_path=request.url.path, notice=request.app.state.notice, **context)
    return HTMLResponse(html, status_code=status)


def _snapshot(request: Request) -> Snapshot:
    return request.app.state.registry_service.current()


def formats_of(snapshot: Snapshot | None = None) -> list[tuple[str, str]]:
    """The Available Formats: (label, path) for each download, IANA's four first."""
    return [(LABELS[ext], download_path(ext)) for ext in LABELS if ext in DOWNLOADS]


# --------------------------------------------------------------------------- per-version data


def _table(snapshot: Snapshot) -> TableData:
    return snapshot.derived("pages:table", lambda s: TableData(s.hits, s.index, s.people))


def _rows(snapshot: Snapshot) -> markup.RowCache:
    return snapshot.derived("pages:rows", lambda s: markup.RowCache(s.hits, s.people))


def _people_order(snapshot: Snapshot) -> dict[str, int]:
    return snapshot.derived("pages:people-order", lambda s: {p.id: i for i, p in enumerate(s.registry.people)})


def _contact_ids(snapshot: Snapshot, positions: Sequence[int]) -> list[str]:
    """The people the rows at ``positions`` name, in the registry's order of people (as IANA lists them)."""
    data = _table(snapshot)
    if len(positions) == len(data.hits):
        return snapshot.derived("pages:all-contacts", lambda s: _sorted_people(s, range(len(data.hits))))
    return _sorted_people(snapshot, positions)


def _sorted_people(snapshot: Snapshot, positions: Iterable[int]) -> list[str]:
    order = _people_order(snapshot)
    ids = _table(snapshot).person_ids
    wanted = {pid for i in positions for pid in ids[i] if pid in order}
    return sorted(wanted, key=order.__getitem__)


def warm(snapshot: Snapshot) -> None:
    """Build what the pages of a new version need before it is served.

    The full registry page then costs a join of ready rows (well under a second)
    instead of rendering 14,444 rows and 5,554 contacts on someone's request.
    """
    rows = _rows(snapshot)
    everything = range(len(_table(snapshot).hits))
    rows.rows(everything)
    rows.contacts(_contact_ids(snapshot, everything))
    snapshot.derived("pages:blocks", _blocks)


# --------------------------------------------------------------------------- the registry


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/", response_class=HTMLResponse)
def registry_page(request: Request) -> Response:
    """The registry as IANA presents it, with search, filters, sorting and pages."""
    params = request.query_params
    query, problems = TableQuery.from_params(params)
    if not problems and any(value == "" for value in params.values()):
        # The filter form sends every field; a link worth sharing names only those set.
        return RedirectResponse(query.url(), status_code=303)
    snapshot = _snapshot(request)
    data = _table(snapshot)
    page = select(data, query)
    return _render(
        request,
        "registry.html",
        snapshot=snapshot,
        registry=snapshot.registry,
        query=page.query,
        page=page,
        problems=problems,
        rows=_rows(snapshot).rows(page.rows),
        contacts=_rows(snapshot).contacts(_contact_ids(snapshot, page.rows)),
        formats=formats_of(snapshot),
        sort_keys={label: key for key, label in SORTS.items()},
        page_sizes=PAGE_SIZES,
        range_choices=tuple(RANGES),
    )


# --------------------------------------------------------------------------- one service, port, person


@router.get("/service/{name:path}", response_class=HTMLResponse)
def service_page(request: Request, name: str) -> Response:
    """Every record of one service name, its aliases and legacy names, its people and history."""
    snapshot = _snapshot(request)
    answer = snapshot.index.name(name)
    if not answer.found:
        return _not_found_name(request, snapshot, name)
    return _render(
        request,
        "service.html",
        snapshot=snapshot,
        answer=answer,
        ports=list(dict.fromkeys(h.record.port for h in answer.hits if h.record.port is not None)),
        **_cards(request, snapshot, answer.hits),
    )


@router.get("/port/{spec}", response_class=HTMLResponse)
def port_page(request: Request, spec: str) -> Response:
    """One port (its range class, each transport's state, its records) or a range of ports."""
    snapshot = _snapshot(request)
    try:
        ports = PortRange.parse(spec)
    except ValueError:
        return _not_found_port_spec(request, snapshot, spec)
    if ports.high > rules.MAX_PORT or ports.low > ports.high:
        return error_page(
            request,
            404,
            f"No port {spec}",
            f"Ports run from 0 to {rules.MAX_PORT}" + (", and a range runs upwards." if ports.low > ports.high else "."),
            snapshot=snapshot,
        )
    if ports.is_range:
        answer = snapshot.index.ports(ports.low, ports.high)
        return _render(
            request,
            "range.html",
            snapshot=snapshot,
            low=ports.low,
            high=ports.high,
            classes=rules.range_classes(ports),
            rows=_rows(snapshot).rows(_table(snapshot).position(h) for h in answer.hits),
            count=len(answer.hits),
            footnotes=_footnotes_of(snapshot, answer.hits),
        )
    port = ports.low
    answer = snapshot.index.port(port)
    return _render(
        request,
        "port.html",
        snapshot=snapshot,
        port=port,
        answer=answer,
        block=port // BLOCK,
        procedures=rules.assignment_procedures(answer.range_class),
        **_cards(request, snapshot, answer.hits),
    )


@router.get("/person/{person_id:path}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str) -> Response:
    """A person (or organization, or role) and every record that names them."""
    snapshot = _snapshot(request)
    person = snapshot.people.get(person_id)
    if person is None:
        folded = person_id.casefold()
        match = next((p for p in snapshot.registry.people if p.id.casefold() == folded), None)
        if match is not None:
            return RedirectResponse(markup.person_url(match.id), status_code=301)
        suggestions = difflib.get_close_matches(person_id, list(snapshot.people), n=8, cutoff=0.6)
        return error_page(
            request,
            404,
            f"No person {person_id}",
            "The registry names no one with this id.",
            suggestions=[(markup.person_url(s), s) for s in suggestions],
            snapshot=snapshot,
        )
    data = _table(snapshot)
    key = person.id.casefold()
    positions = [i for i, keys in enumerate(data.person_keys) if key in keys]
    hits = [snapshot.hits[i] for i in positions]
    roles = Counter()
    for hit in hits:
        if person.id in hit.record.assignees:
            roles["assignee"] += 1
        if person.id in hit.record.contacts:
            roles["contact"] += 1
    return _render(
        request,
        "person.html",
        snapshot=snapshot,
        person=person,
        rows=_rows(snapshot).rows(positions),
        count=len(positions),
        roles=roles,
        footnotes=_footnotes_of(snapshot, hits),
    )


def _cards(request: Request, snapshot: Snapshot, hits: Sequence[Hit]) -> dict[str, Any]:
    """What a page of record cards shows: the records, their people, their footnotes."""
    return {
        "records": _record_views(request, snapshot, hits),
        "people": _people_of(snapshot, hits),
        "footnotes": _footnotes_of(snapshot, hits),
    }


def _record_views(request: Request, snapshot: Snapshot, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Each record with what its page shows beside the fields: port states and history."""
    views = []
    for hit in hits:
        record = hit.record
        states = snapshot.index.port(record.port.low).states if record.port is not None else {}
        views.append({"hit": hit, "record": record, "states": states, "history": _history(request, snapshot, hit)})
    return views


def _people_of(snapshot: Snapshot, hits: Iterable[Hit]) -> list[Any]:
    positions = [_table(snapshot).position(hit) for hit in hits]
    return [snapshot.people[pid] for pid in _contact_ids(snapshot, positions)]


def _footnotes_of(snapshot: Snapshot, hits: Iterable[Hit]) -> list[Any]:
    anchors = {
        ref.data
        for hit in hits
        for text in (hit.record.references, *(t.references() for t in (hit.record.description, hit.record.notes) if t))
        for ref in text
        if ref.type == "note"
    }
    return [note for note in snapshot.registry.footnotes if note.anchor in anchors]


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
    service = request.app.state.registry_service
    try:
        spans = service.store.record_history(hit.id)
    except NotFound:
        return []
    versions = snapshot.derived("pages:versions", lambda s: {v.number: v for v in service.store.versions()})
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


# --------------------------------------------------------------------------- the map


def port_states(snapshot: Snapshot) -> bytes:
    """Each port's strongest state on any transport (:mod:`.svg` codes), 65,536 bytes."""
    strength = {rules.UNASSIGNED: svg.UNASSIGNED, rules.RESERVED: svg.RESERVED, rules.ASSIGNED: svg.ASSIGNED}
    states = bytearray(rules.MAX_PORT + 1)
    for wanted in (svg.RESERVED, svg.ASSIGNED):  # weaker first, so the stronger claim wins
        for hit in snapshot.hits:
            port = hit.record.port
            if port is not None and strength[hit.state] == wanted:
                states[port.low : port.high + 1] = bytes([wanted]) * (port.high - port.low + 1)
    return bytes(states)


def _blocks(snapshot: Snapshot) -> list[svg.BlockSummary]:
    states = snapshot.derived("pages:port-states", port_states)
    blocks = []
    for low in range(0, rules.MAX_PORT + 1, BLOCK):
        chunk = states[low : low + BLOCK]
        assigned, reserved = chunk.count(svg.ASSIGNED), chunk.count(svg.RESERVED)
        blocks.append(
            svg.BlockSummary(low, low + BLOCK - 1, rules.range_class(low), assigned, reserved, BLOCK - assigned - reserved)
        )
    return blocks


def _years(snapshot: Snapshot) -> list[tuple[int, int]]:
    counts = Counter(
        int(hit.record.registered[:4])
        for hit in snapshot.hits
        if hit.record.registered and hit.record.registered[:4].isdigit()
    )
    if not counts:
        return []
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> Response:
    """The port space: 256 blocks of 256 ports, or one block port by port; registrations per year."""
    snapshot = _snapshot(request)
    block_text = request.query_params.get("block")
    if block_text is not None:
        if not block_text.isdigit() or int(block_text) * BLOCK > rules.MAX_PORT:
            return error_page(
                request, 404, "No such block", f"Blocks run from 0 to {rules.MAX_PORT // BLOCK}.", snapshot=snapshot
            )
        return _block_page(request, snapshot, int(block_text))
    blocks = snapshot.derived("pages:blocks", _blocks)
    totals = {cls: Counter() for cls in RANGES}
    for block in blocks:
        totals[block.range_class].update(assigned=block.assigned, reserved=block.reserved, unassigned=block.unassigned)
    years = snapshot.derived("pages:years", _years)
    undated = sum(1 for hit in snapshot.hits if not hit.record.registered)
    return _render(
        request,
        "map.html",
        snapshot=snapshot,
        picture=svg.block_grid(
            blocks, lambda b: f"/map?block={b.low // BLOCK}", title="The port space, 256 ports per cell"
        ),
        totals=totals,
        chart=svg.year_chart(years, lambda y: f"/?year={y}", title="Records by year of registration"),
        dated=sum(count for _, count in years),
        undated=undated,
    )


def _block_page(request: Request, snapshot: Snapshot, block: int) -> Response:
    states = snapshot.derived("pages:port-states", port_states)
    low = block * BLOCK
    high = low + BLOCK - 1
    index = snapshot.index

    def names(port: int) -> str:
        found = dict.fromkeys(h.record.name for h in index.port(port).hits if h.record.name)
        return ", ".join(found)

    answer = index.ports(low, high)
    data = _table(snapshot)
    return _render(
        request,
        "block.html",
        snapshot=snapshot,
        block=block,
        low=low,
        high=high,
        last_block=rules.MAX_PORT // BLOCK,
        range_class=rules.range_class(low),
        picture=svg.port_grid(
            low,
            states[low : high + 1],
            names,
            markup.port_url,
            rules.range_class,
            title=f"Ports {low}–{high}",
        ),
        rows=_rows(snapshot).rows(data.position(h) for h in answer.hits),
        count=len(answer.hits),
        footnotes=_footnotes_of(snapshot, answer.hits),
    )


# --------------------------------------------------------------------------- errors


def parse_version(text: str | None) -> int | None:
    """A ``?version=`` value as a number, or None when absent or not a positive number."""
    if text is None or not text.isdigit() or len(text) > 9:
        return None
    number = int(text)
    return number if number > 0 else None


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    suggestions: Sequence[tuple[str, str]] = (),
    snapshot: Snapshot | None = None,
) -> HTMLResponse:
    """An HTML error page that says what went wrong and where to go instead."""
    return _render(
        request,
        "error.html",
        status=status,
        status_code=status,
        snapshot=snapshot,
        title=title,
        message=message,
        suggestions=suggestions,
    )


def _port_suggestions(snapshot: Snapshot, text: str) -> list[tuple[str, str]]:
    """For text that is a port number: the port's page and every range that contains it."""
    if not text.isdigit() or int(text) > rules.MAX_PORT:
        return []
    port = int(text)
    out = [(markup.port_url(port), f"port {port}")]
    ranges: dict[str, list[str]] = {}
    for hit in snapshot.index.port(port).hits:
        if hit.record.port is not None and hit.record.port.is_range:
            label = ranges.setdefault(markup.port_url(hit.record.port), [str(hit.record.port)])
            label.append(hit.record.name or str(hit.record.description or "").strip())
    for href, (span, *names) in ranges.items():
        out.append((href, f"ports {span}, which contain {port}: " + ", ".join(dict.fromkeys(names))))
    return out


def _not_found_name(request: Request, snapshot: Snapshot, name: str) -> Response:
    names = snapshot.derived("pages:names", lambda s: {n.casefold(): n for n in s.index.names()})
    close = difflib.get_close_matches(name.casefold(), list(names), n=8, cutoff=0.7)
    suggestions = _port_suggestions(snapshot, name)
    suggestions += [(markup.service_url(names[c]), names[c]) for c in close]
    suggestions.append(("/?" + urlencode({"search": name}), f"search the registry for “{name}”"))
    return error_page(
        request,
        404,
        f"No service named {name}",
        "The registry holds no service name like this one (names are compared without regard to case).",
        suggestions=suggestions,
        snapshot=snapshot,
    )


def _not_found_port_spec(request: Request, snapshot: Snapshot, spec: str) -> Response:
    """``/port/http``: not a port; point at the service of that name, or near names."""
    if snapshot.index.name(spec).found:
        return RedirectResponse(markup.service_url(spec), status_code=307)
    return _not_found_name(request, snapshot, spec)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code != 404:
        return error_page(request, exc.status_code, "Request not allowed", str(exc.detail))
    return _path_not_found(request)


def _path_not_found(request: Request) -> Response:
    """An unknown path: guess what was meant from its last segment."""
    segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    suggestions: list[tuple[str, str]] = []
    try:
        snapshot = _snapshot(request)
    except RegistryError:
        snapshot = None
    if segment.isdigit() and snapshot is not None:
        suggestions += _port_suggestions(snapshot, segment)
    elif segment and snapshot is not None:
        if snapshot.index.name(segment).found:
            suggestions.append((markup.service_url(segment), f"the service {segment}"))
        elif segment in snapshot.people:
            suggestions.append((markup.person_url(segment), f"the person {segment}"))
    suggestions += [("/", "the registry"), ("/map", "the port map")]
    return error_page(
        request, 404, "Page not found", f"There is no page at {request.url.path}.", suggestions=suggestions, snapshot=snapshot
    )


async def _registry_error(request: Request, exc: RegistryError) -> Response:
    if isinstance(exc, NotFound):
        return error_page(request, 503, "The registry is empty", str(exc))
    status = 503 if isinstance(exc, StoreError) else 400
    return error_page(request, status, "The registry cannot answer this", str(exc))
