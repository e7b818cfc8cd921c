"""The registry as a table: IANA's substring search, filters, sorting and pages.

The registry page and ``/api/v1/records`` answer with it (the ranked search beside it
is :mod:`.search`). Everything a view of the table can be is in :class:`TableQuery`,
read from and written back to query parameters, so any view can be linked (the page
adds the URLs: ``web/table.py``). :class:`TableData` holds what one registry
version needs to answer such views quickly (lower-cased search text, sort orders), built
once per version; :func:`select` answers one view in a few milliseconds over the whole
registry.

The search is IANA's: a row matches when its port or range, its service name or its
description holds the text (``162`` finds ``snmptrap 162``, ``health-trap 1162`` and the
range ``31621-31684``). And better: a port number also finds the ranges that contain it
(``6010`` finds ``x11 6000-6063``), as a port lookup does.

Filters are a :class:`~portreg.services.filters.RecordFilter`, the one the JSON API and
``portreg search`` run too, so a filter means the same everywhere (a transport filter
keeps rows without a transport, which speak for every transport; a person is an id in
any case or words of names; a year is a registration date in that year).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, Mapping, Self, Sequence

from ..errors import InvalidQuery
from ..model import TRANSPORTS, Person
from ..rules import MAX_PORT
from . import params as strict
from .filters import RecordFilter
from .params import MAX_PAGE
from .query import RANGES, STATES

if TYPE_CHECKING:
    from .query import Hit, LookupIndex

__all__ = ["PAGE_SIZES", "SORTS", "TableData", "TablePage", "TableQuery", "select"]

#: Page sizes offered; ``all`` shows the whole registry on one page, as IANA does.
PAGE_SIZES: tuple[int, ...] = (25, 50, 100, 250, 1000)
DEFAULT_PAGE_SIZE = 100
MAX_SEARCH = 200
#: Sortable columns: URL key -> column label.
SORTS: dict[str, str] = {
    "name": "Service Name",
    "port": "Port Number",
    "transport": "Transport Protocol",
    "description": "Description",
    "assignee": "Assignee",
    "registered": "Registration Date",
    "modified": "Modification Date",
}


@dataclass(frozen=True)
class TableQuery:
    """One view of the table, as the URL's query string says it."""

    search: str = ""
    transport: str | None = None
    range_class: str | None = None
    state: str | None = None
    person: str = ""
    year: str = ""
    sort: str | None = None
    descending: bool = False
    page: int = 1
    page_size: int | None = DEFAULT_PAGE_SIZE  # None: every row on one page
    registry: str | None = None  # ``stack`` or one registry's name; None: the default view

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> tuple[Self, list[str]]:
        """Read a view from query parameters; a bad value is ignored and explained.

        A page must never fail because of one odd parameter in a shared link, so each
        problem becomes a sentence the page shows, and the default is used instead.
        """
        problems: list[str] = []

        def choice(key: str, allowed: Iterable[str]) -> str | None:
            value = (params.get(key) or "").strip().lower()
            if not value:
                return None
            allowed = tuple(allowed)
            if value in allowed:
                return value
            problems.append(
                f"{key}={strict.shown(value)} is not one of {', '.join(allowed)}; showing every {key.replace('_', ' ')}"
            )
            return None

        def number(key: str, default: int, low: int, high: int = MAX_PAGE) -> int:
            value = (params.get(key) or "").strip()
            if not value:
                return default
            try:
                return strict.parse_int(value, parameter=key, low=low, high=high)
            except InvalidQuery:
                shown = strict.shown(value)
                problems.append(f"{key}={shown} is not a whole number from {low} to {high}; using {default}")
                return default

        size_text = (params.get("page_size") or "").strip().lower()
        page_size: int | None = DEFAULT_PAGE_SIZE
        if size_text == "all":
            page_size = None
        elif size_text:
            page_size = min(number("page_size", DEFAULT_PAGE_SIZE, 1), max(PAGE_SIZES))
        sort_text = (params.get("sort") or "").strip().lower()
        descending = sort_text.startswith("-")
        sort = sort_text.lstrip("-") or None
        if sort is not None and sort not in SORTS:
            shown = strict.shown(sort_text)
            problems.append(f"sort={shown} is not a column one can sort by; showing the registry's order")
            sort, descending = None, False
        registry: str | None = None
        if params.get("registry"):
            from .stack import parse_registry

            try:
                registry = parse_registry(params["registry"])
            except InvalidQuery as exc:
                problems.append(f"{exc.message}; showing the default view")
        year = (params.get("year") or "").strip()
        if year and not (len(year) == 4 and year.isascii() and year.isdigit()):
            problems.append(f"year={strict.shown(year)} is not a year; showing every year")
            year = ""
        query = cls(
            search=(params.get("search") or "").strip()[:MAX_SEARCH],
            transport=choice("transport", TRANSPORTS),
            range_class=choice("range", RANGES),
            state=choice("state", STATES),
            person=(params.get("person") or "").strip()[:MAX_SEARCH],
            year=year,
            sort=sort,
            descending=descending,
            page=number("page", 1, 1),
            page_size=page_size,
            registry=registry,
        )
        return query, problems

    def params(self, **changes: object) -> dict[str, str]:
        """The query parameters of this view (with ``changes``), defaults left out."""
        view = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        filters = (
            ("search", view.search),
            ("transport", view.transport),
            ("range", view.range_class),
            ("state", view.state),
            ("person", view.person),
            ("year", view.year),
        )
        out: dict[str, str] = {key: value for key, value in filters if value}
        if view.sort:
            out["sort"] = ("-" if view.descending else "") + view.sort
        if view.page_size != DEFAULT_PAGE_SIZE:
            out["page_size"] = "all" if view.page_size is None else str(view.page_size)
        if view.page != 1:
            out["page"] = str(view.page)
        if view.registry:
            out["registry"] = view.registry
        return out

    @property
    def where(self) -> RecordFilter:
        """The view's filters, as the services run them."""
        return RecordFilter(
            transport=self.transport,
            range_class=self.range_class,
            state=self.state,
            person=" ".join(self.person.split()) or None,
            registered_after=self.year or None,
            registered_before=self.year or None,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.transport or self.range_class or self.state or self.person or self.year)


@dataclass(frozen=True)
class TablePage:
    """The rows of one page of a view: positions into :attr:`TableData.hits`."""

    query: TableQuery
    total: int
    rows: list[int]
    pages: int
    people_matched: tuple[Person, ...] = ()

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when none)."""
        if not self.rows:
            return 0
        return 1 if self.query.page_size is None else (self.query.page - 1) * self.query.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def page_links(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: first, last, and a few around the current one (None: a gap)."""
        current, last = self.query.page, self.pages
        wanted = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
        out: list[int | None] = []
        for number in wanted:
            if out and out[-1] is not None and number - out[-1] > 1:
                out.append(None)
            out.append(number)
        return out


@dataclass
class TableData:
    """What one version's table needs, computed once: search text, people, sort orders."""

    hits: Sequence[Hit]
    index: LookupIndex
    people: Mapping[str, Person]
    haystacks: list[str] = field(init=False)
    person_ids: list[tuple[str, ...]] = field(init=False)
    person_keys: list[frozenset[str]] = field(init=False)
    _orders: dict[str, list[int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.haystacks = [_haystack(hit) for hit in self.hits]
        self.person_ids = [tuple(dict.fromkeys(hit.record.person_ids())) for hit in self.hits]
        self.person_keys = [frozenset(pid.casefold() for pid in ids) for ids in self.person_ids]
        self._positions = {hit.id: position for position, hit in enumerate(self.hits)}

    def position(self, hit: Hit) -> int:
        return self._positions[hit.id]

    def order(self, column: str, descending: bool = False) -> list[int]:
        """Positions of every row sorted by ``column``, cached.

        Ties keep the registry's order, and rows without a value come last in either
        direction (a descending sort by date starts with the newest, not with blanks).
        """
        cache_key = ("-" if descending else "") + column
        if cache_key not in self._orders:
            key = _SORT_KEYS[column]
            keys = [key(hit) for hit in self.hits]
            ordered = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
            present = [i for i in ordered if keys[i][0] == 0]
            missing = [i for i in range(len(keys)) if keys[i][0] == 1]
            self._orders[cache_key] = present + missing
        return self._orders[cache_key]

    def people_matching(self, text: str) -> tuple[Person, ...]:
        """The people a person filter names (see :meth:`RecordFilter.people`), in registry order."""
        wanted = RecordFilter(person=" ".join(text.split()) or None).people(self.people) or frozenset()
        return tuple(p for pid, p in self.people.items() if pid in wanted)


def select(data: TableData, query: TableQuery, where: RecordFilter | None = None) -> TablePage:
    """The rows of the view ``query`` asks for; ``where`` replaces its filters (the API has more)."""
    where = query.where if where is None else where
    matched = _matching(data, query.search, where)
    people: tuple[Person, ...] = ()
    if where.person is not None:
        people = data.people_matching(where.person)
    if query.sort:
        if len(matched) == len(data.hits):
            matched = data.order(query.sort, query.descending)
        else:
            keep = set(matched)
            matched = [i for i in data.order(query.sort, query.descending) if i in keep]
    total = len(matched)
    if query.page_size is None:
        return TablePage(query, total, matched, 1, people)
    size = query.page_size
    pages = max(1, -(-total // size))
    page = min(query.page, pages)
    if page != query.page:
        query = replace(query, page=page)
    start = (page - 1) * size
    return TablePage(query, total, matched[start : start + size], pages, people)


def _matching(data: TableData, search: str, where: RecordFilter) -> list[int]:
    """Positions of rows passing the search and the filters, in registry order."""
    hits = data.hits
    candidates: Iterable[int] = range(len(hits))
    if search:
        needle = search.casefold()
        found = {i for i, hay in enumerate(data.haystacks) if needle in hay}
        if needle.isascii() and needle.isdigit() and len(needle) <= 5 and int(needle) <= MAX_PORT:
            found.update(data.position(hit) for hit in data.index.port(int(needle)).hits)
        candidates = sorted(found)
    keep = where.matcher(data.people)
    if keep is None:
        return list(candidates)
    return [i for i in candidates if keep(hits[i])]


def _haystack(hit: Hit) -> str:
    record = hit.record
    port = str(record.port) if record.port is not None else ""
    return "\x00".join((record.name or "", port, str(record.description or ""))).casefold()


def _text_key(value: str | None) -> tuple[int, str]:
    """Sort keys start with 0 for a value, 1 for none (see :meth:`TableData.order`)."""
    return (0, value.casefold()) if value else (1, "")


_SORT_KEYS = {
    "name": lambda hit: _text_key(hit.record.name),
    "port": lambda hit: (0, hit.record.port.low, hit.record.port.high) if hit.record.port else (1, 0, 0),
    "transport": lambda hit: (
        (0, TRANSPORTS.index(hit.record.transport)) if hit.record.transport in TRANSPORTS else (1, 0)
    ),
    "description": lambda hit: _text_key(str(hit.record.description or "").strip()),
    "assignee": lambda hit: _text_key(hit.record.assignees[0] if hit.record.assignees else None),
    "registered": lambda hit: _text_key(hit.record.registered),
    "modified": lambda hit: _text_key(hit.record.modified),
}
