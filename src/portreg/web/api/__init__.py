"""The JSON API, ``/api/v1``: the registry for programs, with the same answers as the pages.

Every operation reads one registry snapshot (``app.state.registry_service``, see
:mod:`portreg.web.app`) through the query service, so the API, the pages and the
command line agree. Every body names the version it reflects (``registry``: number
and the registry's own date) and so do headers
(``X-Registry-Version``, ``X-Registry-Updated``); ``?version=N`` reads an older one.

Shapes are the models of :mod:`portreg.web.schemas`; errors are described in
:mod:`portreg.web.errors`. Choices worth knowing:

- ``page_size`` above :data:`MAX_PAGE_SIZE` is a 400, not silently clamped: a client
  that asked for 10,000 rows and got 500 would miss data without noticing.
- Unknown query parameters are a 400 too: a typo such as ``registerd_after`` would
  otherwise return every record and look like an answer.
- Lookups by port (and by name) are the hot path: their bodies are serialized once per (version,
  port, transport), with their headers, and kept on the snapshot (the oldest dropped
  past :data:`ANSWER_CACHE_SIZE`), so a repeated lookup is a dict hit, with no database
  round trip, no Pydantic validation and, without a query string, no parameter parsing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import OrderedDict
from datetime import date
from typing import Annotated, Any, Callable, Iterable, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from starlette.routing import Match

from ... import rules
from ...errors import NotFound
from ...model import TRANSPORTS, Person
from ...services.query import RANGES, Hit, LookupIndex, free_ports, person_json
from ...services.query import Query as QueryService
from ...store import StoredRecord
from .. import schemas
from ..errors import PREFLIGHT_HEADERS, ApiError, ApiRoute

__all__ = ["API_ROOT", "MAX_PAGE_SIZE", "openapi_document", "router"]

#: Where create_app mounts the router; links and the OpenAPI document use it.
API_ROOT = "/api/v1"
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_FREE_COUNT = 1000
#: Record ids and version numbers fit a 32-bit database integer (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
#: Serialized lookups (by port, by name) kept per snapshot, about 1-2 KB each.
ANSWER_CACHE_SIZE = 8192
JSON_MEDIA_TYPE = "application/json"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorResponse, "description": "A bad parameter; the body names it."},
    404: {"model": schemas.ErrorResponse, "description": "No such port, name, record, person or version; the body suggests near names."},
    503: {"model": schemas.ErrorResponse, "description": "The store is empty or cannot be read; the body says how to fill it."},
}

# ---------------------------------------------------------------------------------------
# Parameters, declared once so every operation spells and checks them the same way.

DatePattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
#: The registry page's sortable columns (see :data:`portreg.web.table.SORTS`), reversed with a leading -.
Sort = Literal[
    "name", "-name", "port", "-port", "transport", "-transport", "description", "-description",
    "assignee", "-assignee", "registered", "-registered", "modified", "-modified",
]
MAX_SEARCH = 200

PortParam = Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="A port number, 0-65535.")]
VersionParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Read this registry version instead of the current one (see /versions)."),
]
TransportParam = Annotated[
    Literal["tcp", "udp", "sctp", "dccp"] | None, Query(description="Only records on this transport.")
]
PageParam = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PageSizeParam = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1-{MAX_PAGE_SIZE} (more is a 400).")
]
DateParam = Annotated[str | None, Query(pattern=DatePattern, description="YYYY, YYYY-MM or YYYY-MM-DD.")]

#: What each parameter must be, in words, for the 400 that names it.
PARAMETER_HINTS: dict[str, str] = {
    "port": f"an integer from 0 to {rules.MAX_PORT}",
    "low": f"an integer from 0 to {rules.MAX_PORT}",
    "high": f"an integer from 0 to {rules.MAX_PORT}",
    "version": f"a version number from 1 to {MAX_ID} (see /api/v1/versions)",
    "record_id": f"a record id from 1 to {MAX_ID}",
    "page": "an integer from 1 to 1000000",
    "page_size": f"an integer from 1 to {MAX_PAGE_SIZE}",
    "count": f"an integer from 1 to {MAX_FREE_COUNT}",
    "q": f"text of at most {MAX_SEARCH} characters",
    "year": "a year of four digits",
    "name": "a service name of at most 200 characters",
    "person_id": "a person id of at most 200 characters",
    "assignee": "a person id of at most 200 characters",
    "proto": "a comma-separated list of: " + ", ".join(TRANSPORTS),
    **{f: "a date: YYYY, YYYY-MM or YYYY-MM-DD" for f in ("registered_after", "registered_before", "modified_after", "modified_before")},
}


class _Route(ApiRoute):
    hints = PARAMETER_HINTS


router = APIRouter(route_class=_Route, responses=ERROR_RESPONSES, tags=["registry"])


# ---------------------------------------------------------------------------------------
# Operations


@router.get("/ports/{low}-{high}", response_model=schemas.RangeLookup, summary="Records on a port range")
async def port_range(
    request: Request,
    low: Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="First port of the range.")],
    high: Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="Last port of the range (at least low).")],
    transport: TransportParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = MAX_PAGE_SIZE,
    version: VersionParam = None,
) -> Response:
    """Every record whose port or range overlaps ``low``-``high``, in registry order
    (``6000-6010`` finds x11 on 6000-6063), a page at a time (0-65535 holds them all)."""
    if high < low:
        raise ApiError.invalid("high", f"high must be at least low ({low}), got {high}")
    snap = _snapshot(request, version)
    hits = _index(snap).ports(low, high, transport=transport).hits
    start = (page - 1) * page_size
    return _send(
        snap,
        {
            "low": low,
            "high": high,
            "total": len(hits),
            "page": page,
            "page_size": page_size,
            **_hits_and_people(snap, hits[start : start + page_size]),
            "links": _page_links(request, page, page_size, len(hits)),
        },
    )


@router.get("/ports/{port}", response_model=schemas.PortLookup, summary="Everything about one port")
async def port_lookup(request: Request, port: PortParam, transport: TransportParam = None, version: VersionParam = None) -> Response:
    """The records on this port or on a range that contains it (``6010`` finds ``x11``
    on 6000-6063), the range class, and each transport's state: assigned, reserved,
    or unassigned where no record says otherwise."""
    return _port_response(_snapshot(request, version), port, transport)


def _port_fast_path(request: Request) -> Response | None:
    """``/ports/{port}`` without a query string: the hot path, answered before FastAPI
    parses and validates parameters (most of a lookup's cost). Anything unusual (not a
    plain number, out of range) returns None and goes the documented way."""
    text = request.path_params.get("port", "")
    if not (text.isdigit() and len(text) <= 5 and int(text) <= rules.MAX_PORT):
        return None
    return _port_response(_snapshot(request, None), int(text), None)


port_lookup.fast_path = _port_fast_path  # type: ignore[attr-defined]


def _port_response(snap: Any, port: int, transport: str | None) -> Response:
    def build() -> dict[str, Any]:
        answer = _index(snap).port(port, transport=transport)
        return {"port": port, "range_class": answer.range_class, "states": answer.states, **_hits_and_people(snap, answer.hits)}

    return _cached(snap, ("port", port, transport), build)


def _cached(snap: Any, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> Response:
    """The answer ``build()`` makes, serialized once per version and key, then kept.

    Called only from the event loop (async routes), so the dict needs no lock.
    """
    cache = snap.derived("api:answers", lambda s: OrderedDict())
    ready = cache.get(key)
    if ready is None:
        ready = cache[key] = _prepare(snap, _encode(snap, build()))
        if len(cache) > ANSWER_CACHE_SIZE:
            cache.popitem(last=False)  # the oldest: a scan of every port must not grow memory
    return _Prepared(*ready)


@router.get("/services/{name}", response_model=schemas.ServiceLookup, summary="A service name and its records")
async def service_lookup(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=200, description="A service name, any case (www, HTTP, sql*net).")],
    transport: TransportParam = None,
    version: VersionParam = None,
) -> Response:
    """Case-insensitive. ``aliases`` are the other names on the same port and transport;
    ``preferred`` the name to use instead of a legacy alias (``www`` → ``http``);
    ``legacy`` the legacy names that point here."""
    snap = _snapshot(request, version)
    index = _index(snap)
    answer = index.name(name, transport=transport)
    if answer.found:
        return _cached(snap, ("name", answer.name, transport), lambda: _name_body(snap, answer))
    raise ApiError(
        404,
        "not_found",
        f"no service named {name!r}" + (f" on {transport}" if transport else ""),
        parameter="name",
        suggestions=_near(name, index.names()),
        registry=_registry_ref(snap),
    )


def _name_body(snap: Any, answer: Any) -> dict[str, Any]:
    return {
        "name": answer.name,
        "aliases": list(answer.aliases),
        "preferred": answer.preferred,
        "legacy": list(answer.legacy),
        **_hits_and_people(snap, answer.hits),
    }


RangeClassParam = Annotated[
    Literal["system", "user", "dynamic"] | None, Query(alias="range", description="Only ports of this range class.")
]
StateParam = Annotated[
    Literal["assigned", "reserved", "unassigned"] | None, Query(description="Only records in this state.")
]
DateFilters = tuple[str | None, str | None, str | None, str | None]


@router.get("/records", response_model=schemas.RecordPage, summary="The registry's records: search, filter, sort")
def records(
    request: Request,
    q: Annotated[
        str | None,
        Query(max_length=MAX_SEARCH, description="Text a record's port or range, name or description holds; a port also finds the ranges containing it."),
    ] = None,
    transport: TransportParam = None,
    range_class: RangeClassParam = None,
    state: StateParam = None,
    assignee: Annotated[str | None, Query(max_length=200, description="A person id (any case), or text of ids and names: records naming them.")] = None,
    year: Annotated[str | None, Query(pattern=r"^[0-9]{4}$", description="Year of registration.")] = None,
    registered_after: DateParam = None,
    registered_before: DateParam = None,
    modified_after: DateParam = None,
    modified_before: DateParam = None,
    sort: Annotated[Sort | None, Query(description="Column to sort by; a leading - reverses. Default: the registry's order.")] = None,
    page: PageParam = 1,
    page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
    version: VersionParam = None,
) -> Response:
    """What the registry page shows for the same parameters (its ``search`` is ``q``
    here, its ``person`` is ``assignee``): IANA's search (``162`` finds snmptrap 162,
    health-trap 1162 and the range 31621-31684; ``6010`` finds x11 6000-6063), the same
    filters, sorting and pages. Dates compare as the registry writes them (a record
    registered ``2005-08`` is on or after ``2005``, not after ``2005-08-15``); bounds are
    inclusive."""
    dates = _dates(registered_after, registered_before, modified_after, modified_before)
    snap = _snapshot(request, version)
    from ..table import TableData, TableQuery, select

    data = snap.derived("pages:table", lambda s: TableData(s.hits, s.index, s.people))
    view = TableQuery(
        search=(q or "").strip(),
        transport=transport,
        range_class=range_class,
        state=state,
        person=(assignee or "").strip(),
        year=year or "",
        sort=sort.lstrip("-") if sort else None,
        descending=bool(sort and sort.startswith("-")),
        page=1,
        page_size=None,
    )
    hits = [data.hits[i] for i in select(data, view).rows]
    if any(dates):
        hits = [h for h in hits if _dated(h.record, dates)]
    start = (page - 1) * page_size
    return _send_page(request, snap, hits[start : start + page_size], len(hits), page, page_size)


@router.get("/search", response_model=schemas.RecordPage, summary="Ranked full-text search")
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_SEARCH, description="Words to find in names, descriptions, notes and people.")],
    transport: TransportParam = None,
    range_class: RangeClassParam = None,
    state: StateParam = None,
    assignee: Annotated[str | None, Query(max_length=200, description="Only records naming this person id.")] = None,
    registered_after: DateParam = None,
    registered_before: DateParam = None,
    modified_after: DateParam = None,
    modified_before: DateParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
    version: VersionParam = None,
) -> Response:
    """``portreg search``: words, ranked by relevance (SQLite FTS5 or PostgreSQL full
    text), over names, descriptions, notes and the people named. Any text is taken as
    words: quotes, ``*``, ``OR``, ``NEAR(`` are not operators."""
    after, before, mod_after, mod_before = _dates(registered_after, registered_before, modified_after, modified_before)
    snap = _snapshot(request, version)
    result = _query(request).search(
        q,
        transport=transport,
        range_class=range_class,
        state=state,
        person=assignee,
        registered_after=after,
        registered_before=before,
        modified_after=mod_after,
        modified_before=mod_before,
        limit=page_size,
        offset=(page - 1) * page_size,
        version=snap.version.number,
    )
    return _send_page(request, snap, result.hits, result.total, page, page_size)


def _send_page(request: Request, snap: Any, hits: Iterable[Hit], total: int, page: int, page_size: int) -> Response:
    body = _hits_and_people(snap, hits)
    return _send(
        snap,
        {
            "total": total,
            "page": page,
            "page_size": page_size,
            "items": body["records"],
            "people": body["people"],
            "links": _page_links(request, page, page_size, total),
        },
    )


@router.get("/records/{record_id}", response_model=schemas.RecordResponse, summary="One record by its id")
def record_by_id(
    request: Request,
    record_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The record's stable id (the id field of any record).")],
    version: VersionParam = None,
) -> Response:
    """A record's id stays the same across versions while the record lives."""
    snap = _snapshot(request, version)
    try:
        hit = _query(request).record(record_id, version=snap.version.number)
    except NotFound:
        raise ApiError(
            404,
            "not_found",
            f"no record {record_id} in version {snap.version.number}",
            parameter="record_id",
            registry=_registry_ref(snap),
        ) from None
    body = _hits_and_people(snap, [hit])
    return _send(snap, {"record": body["records"][0], "people": body["people"]})


@router.get("/records/{record_id}/history", response_model=schemas.RecordHistory, summary="Every state a record had")
def record_history(
    request: Request,
    record_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The record's stable id.")],
) -> Response:
    """Oldest first: each distinct content of the record, with the versions that held it
    (``last`` null: still current). A rename on the same port, transport and assignee
    is a change of one record, not a new one."""
    snap = _snapshot(request, None)
    try:
        history = request.app.state.registry_service.store.record_history(record_id)
    except NotFound:
        raise ApiError(404, "not_found", f"the store has no record {record_id}", parameter="record_id", registry=_registry_ref(snap)) from None
    states = [
        {"first": span.first, "last": span.last, "record": _hit_json(Hit.of(StoredRecord(record_id, record)))}
        for span, record in history
    ]
    return _send(snap, {"id": record_id, "history": states})


@router.get("/people", response_model=schemas.PeoplePage, summary="Find people")
def people(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="An id, or words of a name, an organization or an address.")],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"At most this many, 1-{MAX_PAGE_SIZE}.")] = 20,
    version: VersionParam = None,
) -> Response:
    """People, organizations and roles matching ``q`` (an exact id first), each with the
    ids of the records that name them."""
    snap = _snapshot(request, version)
    found = _query(request).people(q, limit=limit, version=snap.version.number)
    items = [{**_person_json(a.person), "records": [h.id for h in a.hits]} for a in found]
    return _send(snap, {"total": len(items), "items": items})


@router.get("/people/{person_id}", response_model=schemas.PersonRecords, summary="A person and their records")
def person(
    request: Request,
    person_id: Annotated[str, Path(min_length=1, max_length=200, description="The person's id, as records cite it (Jon_Postel).")],
    version: VersionParam = None,
) -> Response:
    snap = _snapshot(request, version)
    people_by_id = _people(snap)
    found = people_by_id.get(person_id)
    if found is None:
        raise ApiError(
            404,
            "not_found",
            f"no person {person_id!r}",
            parameter="person_id",
            suggestions=_near(person_id, people_by_id),
            registry=_registry_ref(snap),
        )
    hits = _query(request).people(person_id, limit=1, version=snap.version.number)
    records = hits[0].hits if hits else ()
    return _send(snap, {"person": _person_json(found), "records": [_hit_json(h) for h in records]})


@router.get("/stats", response_model=schemas.Stats, summary="Counts over the registry")
def stats(request: Request, version: VersionParam = None) -> Response:
    """Records by state, transport, range class and year of registration."""
    snap = _snapshot(request, version)
    query = _query(request)

    def count(s: Any) -> bytes:
        counted = query.stats(version=s.version.number).as_json()
        counted.pop("version", None)
        return _encode(s, counted)

    return _raw(snap, snap.derived("api:stats", count))


@router.get("/free", response_model=schemas.FreePorts, summary="Suggest free ports")
def free(
    request: Request,
    proto: Annotated[str, Query(max_length=100, description="Transports that must all be free, comma-separated.")] = "tcp,udp",
    range_class: Annotated[Literal["system", "user"], Query(alias="range", description="Range class to pick from (dynamic ports are never assigned).")] = "user",
    count: Annotated[int, Query(ge=1, le=MAX_FREE_COUNT, description=f"How many ports, 1-{MAX_FREE_COUNT}.")] = 10,
    version: VersionParam = None,
) -> Response:
    """Unassigned ports that no record reserves on any transport and no unauthorized use
    is reported for, lowest first."""
    transports = list(dict.fromkeys(t.strip().lower() for t in proto.split(",") if t.strip()))
    if not transports or any(t not in TRANSPORTS for t in transports):
        raise ApiError.invalid("proto", f"proto must be {PARAMETER_HINTS['proto']}, got {_shown(proto)}")
    snap = _snapshot(request, version)
    # The query layer's rule, over the snapshot's records in memory rather than a
    # database read of the whole range per request.
    ports = free_ports(snap.hits, transports=transports, ports=RANGES[range_class], count=count)
    return _send(snap, {"transports": transports, "range": range_class, "ports": ports})


@router.get("/versions", response_model=schemas.Versions, summary="Every stored version of the registry")
def versions(request: Request) -> Response:
    """Oldest first; the last is the current one, which the other operations read
    unless they are given ``?version=``."""
    snap = _snapshot(request, None)
    listed = [
        {
            "version": v.number,
            "updated": v.published,
            "stored_at": v.created_at.isoformat(),
            "source": v.source,
            "actor": v.actor,
            "records": v.record_count,
        }
        for v in request.app.state.registry_service.store.versions()
    ]
    return _send(snap, {"versions": listed})


@router.get("/", include_in_schema=False)
async def index(request: Request) -> Response:
    """Where a person typing the API's address lands: what it is and where it is described."""
    snap = _snapshot(request, None)
    operations = {path[len(API_ROOT) :]: item["get"]["summary"] for path, item in openapi_document(request.app)["paths"].items()}
    return _send(snap, {"docs": f"{API_ROOT}/docs", "openapi": f"{API_ROOT}/openapi.json", "operations": operations})


@router.get("/openapi.json", include_in_schema=False)
def openapi_json(request: Request) -> Response:
    return Response(_openapi_bytes(request.app), media_type=JSON_MEDIA_TYPE)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """A self-contained page: no script, nothing loaded from elsewhere."""
    from ..apidocs import render_docs

    state = request.app.state
    page = getattr(state, "api_docs_html", None)
    if page is None:
        # The site's own stylesheet when the pages are mounted (CSP allows our own styles).
        page_env = getattr(state, "page_env", None)
        stylesheet = page_env.globals.get("stylesheet") if page_env is not None else None
        page = render_docs(openapi_document(request.app), openapi_url=f"{API_ROOT}/openapi.json", stylesheet=stylesheet)
        state.api_docs_html = page
    return HTMLResponse(page)


@router.api_route(
    "/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
def not_an_operation(request: Request, path: str) -> Response:
    """Whatever no operation answers, answered in JSON here rather than by the app's
    HTML error pages: a CORS preflight or a wrong method on a real path, or a 404.
    Declared last, so every operation is tried first."""
    probe = {"type": "http", "path": "/" + path, "method": "GET", "root_path": ""}
    exists = any(
        getattr(route, "endpoint", None) is not not_an_operation and route.matches(probe)[0] is Match.FULL
        for route in router.routes
    )
    if exists and request.method == "OPTIONS":
        return Response(status_code=204, headers=PREFLIGHT_HEADERS)
    if exists:
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed: the API only answers GET, HEAD and OPTIONS",
            headers={"Allow": "GET, HEAD, OPTIONS"},
        )
    raise ApiError(404, "not_found", f"no API operation at {request.url.path}; they are listed at {API_ROOT}/docs")


# ---------------------------------------------------------------------------------------
# Reading one snapshot


def _snapshot(request: Request, version: int | None) -> Any:
    """The registry version a request reads: the current one, or ``version``."""
    service = request.app.state.registry_service
    try:
        return service.at(version)
    except NotFound as exc:
        if version is None:
            raise _empty_store(exc) from None
        raise ApiError(404, "not_found", f"no registry version {version}; see /api/v1/versions", parameter="version") from None


def _empty_store(exc: NotFound) -> ApiError:
    """An empty store is the server's state, not the client's mistake: 503, saying how to fill it."""
    return ApiError(503, "store_unavailable", str(exc), headers={"Retry-After": "60"})


def _index(snap: Any) -> LookupIndex:
    """The snapshot's in-memory index: lookups by port and name without the database."""
    return snap.index


def _query(request: Request) -> QueryService:
    """The query service over the app's store, for what the index does not hold
    (full-text search, people, free ports, stats): pass it the snapshot's version."""
    return request.app.state.registry_service.query


def _people(snap: Any) -> dict[str, Person]:
    return snap.people


def _registry_ref(snap: Any) -> dict[str, Any]:
    return snap.derived(
        "api:registry", lambda s: {"version": s.version.number, "updated": s.version.published or s.registry.updated}
    )


# ---------------------------------------------------------------------------------------
# Building bodies: the query service's JSON shapes, plus links


def _hits_and_people(snap: Any, hits: Iterable[Hit]) -> dict[str, Any]:
    """The records, and the people they name (each once, in the order first named)."""
    hits = list(hits)
    people = _people(snap)
    named = dict.fromkeys(pid for h in hits for pid in h.record.person_ids())
    return {
        "records": [_hit_json(h) for h in hits],
        "people": [_person_json(people[pid]) for pid in named if pid in people],
    }


def _hit_json(hit: Hit) -> dict[str, Any]:
    body = hit.as_json()
    r = hit.record
    body["links"] = {
        "self": f"/api/v1/records/{hit.id}",
        "service": f"/api/v1/services/{_quote(r.name)}" if r.name else None,
        "port": f"/api/v1/ports/{r.port.low}-{r.port.high}" if r.port and r.port.is_range else f"/api/v1/ports/{r.port.low}" if r.port else None,
    }
    return body


def _person_json(p: Person) -> dict[str, Any]:
    return {**person_json(p), "links": {"self": f"/api/v1/people/{_quote(p.id)}"}}


def _quote(segment: str) -> str:
    return quote(segment, safe="")


def _near(word: str, candidates: Iterable[str], limit: int = 5) -> list[str]:
    """Names close to ``word`` (a typo, another case, a prefix), for a 404's suggestions."""
    folded = {c.casefold(): c for c in candidates}
    key = word.casefold()
    near = difflib.get_close_matches(key, folded, n=limit, cutoff=0.75)
    # Two letters swapped (htpp for http) is the likeliest typo: same letters first.
    near.sort(key=lambda c: sorted(c) != sorted(key))
    if len(near) < limit:
        near += sorted(c for c in folded if c.startswith(key) and c not in near)[: limit - len(near)]
    return [folded[c] for c in near]


def _shown(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _dates(*values: str | None) -> DateFilters:
    """The four date filters, each checked against the calendar (None when absent)."""
    fields = ("registered_after", "registered_before", "modified_after", "modified_before")
    return tuple(None if v is None else _check_date(f, v) for f, v in zip(fields, values))  # type: ignore[return-value]


def _dated(record: Any, dates: DateFilters) -> bool:
    """Whether a record's dates fall inside the filters, compared as written (prefixes).

    A record without the date a filter is about does not pass that filter.
    """
    after, before, mod_after, mod_before = dates
    for value, low, high in ((record.registered, after, before), (record.modified, mod_after, mod_before)):
        if low is None and high is None:
            continue
        if not value:
            return False
        if low is not None and value[: len(low)] < low:
            return False
        if high is not None and value[: len(high)] > high:
            return False
    return True


def _check_date(field: str, value: str) -> str:
    """A YYYY, YYYY-MM or YYYY-MM-DD that exists on the calendar, kept as written."""
    year, _, rest = value.partition("-")
    month, _, day = rest.partition("-")
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ApiError.invalid(field, f"{field} must be {PARAMETER_HINTS[field]} on the calendar, got {value!r}") from None
    return value


def _page_links(request: Request, page: int, page_size: int, total: int) -> dict[str, str | None]:
    """Root-relative links that keep every parameter of the request but ``page``."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def link(number: int) -> str:
        return request.url.path + "?" + urlencode(params + [("page", str(number))])

    last = max(1, -(-total // page_size))
    return {
        "self": link(page),
        "next": link(page + 1) if page < last else None,
        "prev": link(min(page - 1, last)) if page > 1 else None,
    }


# ---------------------------------------------------------------------------------------
# Sending


def _encode(snap: Any, body: dict[str, Any]) -> bytes:
    return json.dumps({"registry": _registry_ref(snap), **body}, ensure_ascii=False, separators=(",", ":")).encode()


def _send(snap: Any, body: dict[str, Any]) -> Response:
    return _raw(snap, _encode(snap, body))


def _raw(snap: Any, body: bytes) -> Response:
    return Response(body, media_type=JSON_MEDIA_TYPE, headers=_version_headers(snap))


def _version_headers(snap: Any) -> dict[str, str]:
    def make(s: Any) -> dict[str, str]:
        return {"X-Registry-Version": str(s.version.number), "X-Registry-Updated": str(_registry_ref(s)["updated"] or "")}

    return snap.derived("api:headers", make)


def _prepare(snap: Any, body: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A body with every header it will ever need, ETag and Last-Modified included, so
    that sending it again costs no hashing, no date formatting and no header building."""
    from ..middleware import http_date

    headers = {
        "content-type": JSON_MEDIA_TYPE,
        "content-length": str(len(body)),
        "etag": '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
        "last-modified": snap.derived("api:last-modified", lambda s: http_date(s.version.created_at)),
        **{k.lower(): v for k, v in _version_headers(snap).items()},
    }
    return body, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


class _Prepared(Response):
    """A response whose body and headers were built once and are only sent again."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = list(raw_headers)


# ---------------------------------------------------------------------------------------
# The OpenAPI document


def openapi_document(app: Any) -> dict[str, Any]:
    """The API's OpenAPI document, from its routes, with the error shape it really answers.

    FastAPI documents a 422 with its own validation body on every operation; this API
    answers a 400 with :class:`~portreg.web.schemas.ErrorResponse` instead.
    """
    cached = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title="portreg API",
        version="1",
        description=_API_DESCRIPTION,
        routes=app.routes,
    )
    # The app's pages may be documented too: this document is the API's alone.
    doc["paths"] = {path: item for path, item in doc.get("paths", {}).items() if path.startswith(API_ROOT + "/")}
    for item in doc["paths"].values():
        for op in item.values():
            op.get("responses", {}).pop("422", None)
            if "description" in op:  # docstrings quote code as ``x``; OpenAPI's Markdown as `x`
                op["description"] = op["description"].replace("``", "`")
    schemas_ = doc.get("components", {}).get("schemas", {})
    schemas_.pop("HTTPValidationError", None)
    schemas_.pop("ValidationError", None)
    app.state.api_openapi = doc
    return doc


_API_DESCRIPTION = (
    "IANA's Service Name and Transport Protocol Port Number Registry for programs: the same answers "
    "as the registry's pages and the portreg command line.\n\n"
    "Every response names the registry version it reflects, in its body (registry: version, updated) "
    "and in the X-Registry-Version header; ?version=N reads an older version. Errors are JSON bodies "
    "{error: {code, message, parameter, suggestions}}: 400 for a bad parameter (named), 404 for "
    f"something the registry does not hold (with near names). page_size is at most {MAX_PAGE_SIZE}: "
    "more is a 400, not a silent cut. Unknown query parameters are a 400."
)


def _openapi_bytes(app: Any) -> bytes:
    cached = getattr(app.state, "api_openapi_bytes", None)
    if cached is None:
        cached = json.dumps(openapi_document(app), separators=(",", ":")).encode()
        app.state.api_openapi_bytes = cached
    return cached
