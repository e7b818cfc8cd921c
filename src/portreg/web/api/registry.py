"""The registry's operations: ports, services, records, search, people, stats, free ports, versions.

Every operation reads one registry snapshot (see :mod:`.bodies`) through the service
layer, so the API, the pages and the command line agree; ``?version=N`` reads an older
one. Choices worth knowing:

- ``page_size`` above :data:`~.params.MAX_PAGE_SIZE` is a 400, not silently clamped: a
  client that asked for 10,000 rows and got 500 would miss data without noticing.
- Unknown query parameters are a 400 too: a typo such as ``registerd_after`` would
  otherwise return every record and look like an answer.
- Lookups by port (and by name) are the hot path: their bodies are serialized once per
  (version, port, transport) and kept on the snapshot; ``/ports/{port}`` without a query
  string is answered before FastAPI parses parameters at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from ... import rules
from ...errors import InvalidQuery, NotFound
from ...model import TRANSPORTS
from ...services.filters import RecordFilter
from ...services.params import parse_port
from ...services.query import RANGES, Hit, free_ports
from ...services.suggest import suggest
from .. import schemas, urls
from ..errors import ApiError
from .bodies import (
    cached,
    encode,
    hit_json,
    hits_and_people,
    page_links,
    person_json,
    raw,
    registry_ref,
    send,
    send_page,
    service,
    snapshot,
)
from .params import (
    DEFAULT_PAGE_SIZE,
    FILTER_NAMES,
    MAX_FREE_COUNT,
    MAX_ID,
    MAX_PAGE_SIZE,
    MAX_SEARCH,
    PARAMETER_HINTS,
    AssigneeParam,
    DateParam,
    PageParam,
    PageSizeParam,
    PortParam,
    RangeClassParam,
    RegistryParam,
    Sort,
    StateParam,
    TransportParam,
    VersionParam,
    YearParam,
    api_router,
    shown,
)

if TYPE_CHECKING:
    from ...services.registry import Snapshot

__all__ = ["router"]

router = api_router("registry")


@router.get("/ports/{low}-{high}", response_model=schemas.RangeLookup, summary="Records on a port range")
async def port_range(
    request: Request,
    low: Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="First port of the range.")],
    high: Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="Last port of the range (at least low).")],
    transport: TransportParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = MAX_PAGE_SIZE,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """Every record whose port or range overlaps ``low``-``high``, in registry order
    (``6000-6010`` finds x11 on 6000-6063), a page at a time (0-65535 holds them all)."""
    if high < low:
        raise ApiError.invalid("high", f"high must be at least low ({low}), got {high}")
    snap = snapshot(request, version, registry)
    hits = snap.index.ports(low, high, transport=transport).hits
    start = (page - 1) * page_size
    return send(
        snap,
        {
            "low": low,
            "high": high,
            "total": len(hits),
            "page": page,
            "page_size": page_size,
            **hits_and_people(snap, hits[start : start + page_size]),
            "links": page_links(request, page, page_size, len(hits)),
        },
    )


@router.get("/ports/{port}", response_model=schemas.PortLookup, summary="Everything about one port")
async def port_lookup(
    request: Request, port: PortParam, transport: TransportParam = None, version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """The records on this port or on a range that contains it (``6010`` finds ``x11``
    on 6000-6063), the range class, and each transport's state: assigned, reserved,
    or unassigned where no record says otherwise."""
    return _port_response(snapshot(request, version, registry), port, transport)


def _port_fast_path(request: Request) -> Response | None:
    """``/ports/{port}`` without a query string: the hot path, answered before FastAPI
    parses and validates parameters (most of a lookup's cost). Anything unusual (not a
    plain number, out of range) returns None and goes the documented way."""
    try:
        port = parse_port(request.path_params.get("port", ""))
    except InvalidQuery:
        return None
    return _port_response(snapshot(request, None), port, None)


port_lookup.fast_path = _port_fast_path  # type: ignore[attr-defined]


def _port_response(snap: Snapshot, port: int, transport: str | None) -> Response:
    def build() -> dict[str, Any]:
        answer = snap.index.port(port, transport=transport)
        return {
            "port": port,
            "range_class": answer.range_class,
            "states": answer.states,
            **hits_and_people(snap, answer.hits),
        }

    return cached(snap, ("port", port, transport), build)


@router.get("/services/{name}", response_model=schemas.ServiceLookup, summary="A service name and its records")
async def service_lookup(
    request: Request,
    name: Annotated[
        str, Path(min_length=1, max_length=200, description="A service name, any case (www, HTTP, sql*net).")
    ],
    transport: TransportParam = None,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """Case-insensitive. ``aliases`` are the other names on the same port and transport;
    ``preferred`` the name to use instead of a legacy alias (``www`` → ``http``);
    ``legacy`` the legacy names that point here."""
    snap = snapshot(request, version, registry)
    index = snap.index
    answer = index.name(name, transport=transport)
    if answer.found:
        return cached(snap, ("name", answer.name, transport), lambda: _name_body(snap, answer))
    raise ApiError(
        404,
        "not_found",
        f"no service named {name!r}" + (f" on {transport}" if transport else ""),
        parameter="name",
        suggestions=suggest(name, index.names()),
        registry=registry_ref(snap),
    )


def _name_body(snap: Snapshot, answer: Any) -> dict[str, Any]:
    return {
        "name": answer.name,
        "aliases": list(answer.aliases),
        "preferred": answer.preferred,
        "legacy": list(answer.legacy),
        **hits_and_people(snap, answer.hits),
    }


@router.get("/records", response_model=schemas.RecordPage, summary="The registry's records: search, filter, sort")
def records(
    request: Request,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH,
            description=(
                "Text a record's port or range, name or description "
                "holds; a port also finds the ranges containing it."
            ),
        ),
    ] = None,
    transport: TransportParam = None,
    range_class: RangeClassParam = None,
    state: StateParam = None,
    assignee: AssigneeParam = None,
    year: YearParam = None,
    registered_after: DateParam = None,
    registered_before: DateParam = None,
    modified_after: DateParam = None,
    modified_before: DateParam = None,
    sort: Annotated[
        Sort | None, Query(description="Column to sort by; a leading - reverses. Default: the registry's order.")
    ] = None,
    page: PageParam = 1,
    page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """What the registry page shows for the same parameters (its ``search`` is ``q``
    here, its ``person`` is ``assignee``): IANA's search (``162`` finds snmptrap 162,
    health-trap 1162 and the range 31621-31684; ``6010`` finds x11 6000-6063), the same
    filters, sorting and pages. The filters are the same as ``/search``'s: date bounds are
    inclusive at the precision given (``registered_after=2005&registered_before=2005`` is
    "registered in 2005"), ``assignee`` is a person id in any case or words of names."""
    where = RecordFilter.parse(
        transport=transport,
        range_class=range_class,
        state=state,
        person=assignee,
        year=year,
        registered_after=registered_after,
        registered_before=registered_before,
        modified_after=modified_after,
        modified_before=modified_before,
        names=FILTER_NAMES,
    )
    snap = snapshot(request, version, registry)
    from ...services.table import TableData, TableQuery, select

    data = snap.derived("pages:table", lambda s: TableData(s.hits, s.index, s.people))
    view = TableQuery(
        search=(q or "").strip(),
        sort=sort.lstrip("-") if sort else None,
        descending=bool(sort and sort.startswith("-")),
        page=1,
        page_size=None,
    )
    hits = [data.hits[i] for i in select(data, view, where).rows]
    start = (page - 1) * page_size
    return send_page(request, snap, hits[start : start + page_size], len(hits), page, page_size)


@router.get(
    "/search", response_model=schemas.RecordPage, summary="Ranked search: names, ports, people, words, typos forgiven"
)
def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1, max_length=MAX_SEARCH, description="Words to find in names, descriptions, notes and people."
        ),
    ],
    transport: TransportParam = None,
    range_class: RangeClassParam = None,
    state: StateParam = None,
    assignee: AssigneeParam = None,
    year: YearParam = None,
    registered_after: DateParam = None,
    registered_before: DateParam = None,
    modified_after: DateParam = None,
    modified_before: DateParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """``portreg search``, the same on SQLite and PostgreSQL: a port or range as a port
    lookup, then the exact name (any case), the names it replaces or that replace it,
    names starting with the text, names holding its words, then words of descriptions,
    people and notes; a word matching nothing is corrected to the registry's nearest.
    Any text is taken as words: quotes, ``*``, ``OR``, ``NEAR(`` are not operators."""
    where = RecordFilter.parse(
        transport=transport,
        range_class=range_class,
        state=state,
        person=assignee,
        year=year,
        registered_after=registered_after,
        registered_before=registered_before,
        modified_after=modified_after,
        modified_before=modified_before,
        names=FILTER_NAMES,
    )
    snap = snapshot(request, version, registry)
    result = service(request).query_for(snap).search(
        q,
        where=where,
        limit=page_size,
        offset=(page - 1) * page_size,
        version=snap.version.number,
    )
    return send_page(request, snap, result.hits, result.total, page, page_size)


@router.get("/records/{record_id}", response_model=schemas.RecordResponse, summary="One record by its id")
def record_by_id(
    request: Request,
    record_id: Annotated[
        int, Path(ge=1, le=MAX_ID, description="The record's stable id (the id field of any record).")
    ],
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """A record's id stays the same across versions while the record lives."""
    snap = snapshot(request, version, registry)
    try:
        hit = service(request).query_for(snap).record(record_id, version=snap.version.number)
    except NotFound:
        raise ApiError(
            404,
            "not_found",
            f"no record {record_id} in version {snap.version.number}",
            parameter="record_id",
            registry=registry_ref(snap),
        ) from None
    body = hits_and_people(snap, [hit])
    return send(snap, {"record": body["records"][0], "people": body["people"]})


@router.get("/records/{record_id}/history", response_model=schemas.RecordHistory, summary="Every state a record had")
def record_history(
    request: Request,
    record_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The record's stable id.")],
    registry: RegistryParam = None,
) -> Response:
    """Oldest first: each distinct content of the record, with the versions that held it
    (``last`` null: still current). A rename on the same port, transport and assignee
    is a change of one record, not a new one."""
    snap = snapshot(request, None, registry)
    try:
        source, history = service(request).record_history_in(snap, record_id)
    except NotFound:
        raise ApiError(
            404, "not_found", f"the store has no record {record_id}", parameter="record_id", registry=registry_ref(snap)
        ) from None
    named = source if snap.sourced else None
    states = [
        {"first": span.first, "last": span.last, "record": hit_json(Hit.make(record_id, record, named))}
        for span, record in history
    ]
    return send(snap, {"id": record_id, "history": states})


@router.get("/people", response_model=schemas.PeoplePage, summary="Find people")
def people(
    request: Request,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="An id, or words of a name, an organization or an address."),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"At most this many, 1-{MAX_PAGE_SIZE}.")] = 20,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """People, organizations and roles matching ``q`` (an exact id first), each with the
    ids of the records that name them."""
    snap = snapshot(request, version, registry)
    found = service(request).query_for(snap).people(q, limit=limit, version=snap.version.number)
    items = [{**person_json(a.person), "records": [h.id for h in a.hits]} for a in found]
    return send(snap, {"total": len(items), "items": items})


@router.get("/people/{person_id}", response_model=schemas.PersonRecords, summary="A person and their records")
def person(
    request: Request,
    person_id: Annotated[
        str, Path(min_length=1, max_length=200, description="The person's id, as records cite it (Jon_Postel).")
    ],
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """A person id in another case (``jon_postel``) redirects to the id as records cite it,
    as the person's page does."""
    snap = snapshot(request, version, registry)
    people_by_id = snap.people
    found = people_by_id.get(person_id)
    if found is None:
        folded = person_id.casefold()
        match = next((pid for pid in people_by_id if pid.casefold() == folded), None)
        if match is not None:
            query = request.url.query
            return RedirectResponse(urls.api_person_url(match) + (f"?{query}" if query else ""), status_code=301)
        raise ApiError(
            404,
            "not_found",
            f"no person {person_id!r}",
            parameter="person_id",
            suggestions=suggest(person_id, people_by_id),
            registry=registry_ref(snap),
        )
    hits = service(request).query_for(snap).people(person_id, limit=1, version=snap.version.number)
    records = hits[0].hits if hits else ()
    return send(snap, {"person": person_json(found), "records": [hit_json(h) for h in records]})


@router.get("/stats", response_model=schemas.Stats, summary="Counts over the registry")
def stats(request: Request, version: VersionParam = None, registry: RegistryParam = None) -> Response:
    """Records by state, transport, range class and year of registration."""
    snap = snapshot(request, version, registry)
    query = service(request).query_for(snap)

    def count(s: Any) -> bytes:
        counted = query.stats(version=s.version.number).as_json()
        counted.pop("version", None)
        return encode(s, counted)

    return raw(snap, snap.derived("api:stats", count))


@router.get("/free", response_model=schemas.FreePorts, summary="Suggest free ports")
def free(
    request: Request,
    proto: Annotated[
        str, Query(max_length=100, description="Transports that must all be free, comma-separated.")
    ] = "tcp,udp",
    range_class: Annotated[
        Literal["system", "user"],
        Query(alias="range", description="Range class to pick from (dynamic ports are never assigned)."),
    ] = "user",
    count: Annotated[int, Query(ge=1, le=MAX_FREE_COUNT, description=f"How many ports, 1-{MAX_FREE_COUNT}.")] = 10,
    version: VersionParam = None,
    registry: RegistryParam = None,
) -> Response:
    """Unassigned ports that no record reserves on any transport and no unauthorized use
    is reported for, lowest first."""
    transports = list(dict.fromkeys(t.strip().lower() for t in proto.split(",") if t.strip()))
    if not transports or any(t not in TRANSPORTS for t in transports):
        raise ApiError.invalid("proto", f"proto must be {PARAMETER_HINTS['proto']}, got {shown(proto)}")
    snap = snapshot(request, version, registry)
    # The query layer's rule, over the snapshot's records in memory rather than a
    # database read of the whole range per request.
    ports = free_ports(snap.hits, transports=transports, ports=RANGES[range_class], count=count)
    return send(snap, {"transports": transports, "range": range_class, "ports": ports})


@router.get("/versions", response_model=schemas.Versions, summary="Every stored version of the registry")
def versions(request: Request, registry: RegistryParam = None) -> Response:
    """Oldest first; the last is the current one, which the other operations read
    unless they are given ``?version=``. With local registries, each names its
    ``registry``: the numbers are one sequence over them all."""
    snap = snapshot(request, None, registry)
    listed = [
        {
            **({"registry": name} if snap.sourced else {}),
            "version": v.number,
            "updated": v.published,
            "stored_at": v.created_at.isoformat(),
            "source": v.source,
            "actor": v.actor,
            "records": v.record_count,
        }
        for name, v in service(request).versions_in(snap)
    ]
    return send(snap, {"versions": listed})


# --------------------------------------------------------------------------- helpers
