"""Questions people ask of the registry, answered the same way for the CLI and the web.

A :class:`Query` wraps a :class:`portreg.store.Store` and answers by port, by port
range, by service name, by full text, by person; it suggests free ports and counts
things. Two paths give identical answers:

* the store's indexed SQL reads (``records_at_port``, ``records_named``): what a
  one-shot process such as ``portreg lookup 5432`` uses, because loading the whole
  registry would cost more than the question;
* a :class:`LookupIndex` built once per store version (a bisect over port-range
  boundaries and a dict of names): what a long-lived process such as the web server
  uses for hundreds of thousands of lookups a second.

Answers are immutable values carrying the store's record ids (so a page can link to a
record) and what the rules say of each record: its state and range class. Each has an
``as_json()`` giving the stable JSON shape the CLI's ``--json`` and the web API print.
They are named tuples rather than frozen dataclasses for the sake of ``portreg lookup``:
a frozen dataclass compiles five methods when its module is imported, about 0.8 ms each
class, and a one-shot lookup has 80 ms in all.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import chain
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

from .. import rules
from ..errors import EmptyStore
from ..model import SYSTEM, TRANSPORTS, USER, Person, PortRange, Record, Reference
from ..rules import (
    ASSIGNED,
    MAX_PORT,
    RESERVED,
    UNASSIGNED,
    name_key,
    range_class,
    record_state,
    replacement_name,
)
from .search import SearchResult

if TYPE_CHECKING:  # only for annotations: whoever opens a store imports it, the web and CLI alike
    from ..store import Store, StoredRecord, Version
    from .filters import RecordFilter
    from .search import SearchIndex, SearchIndexes

__all__ = [
    "ASSIGNED",
    "EMPTY_STORE",
    "RANGES",
    "RESERVED",
    "STATES",
    "UNASSIGNED",
    "Hit",
    "LookupIndex",
    "NameAnswer",
    "PersonAnswer",
    "PortAnswer",
    "Query",
    "RangeAnswer",
    "SearchResult",
    "Stats",
    "free_ports",
    "parse_lookup",
    "person_json",
    "unauthorized_ports",
    "version_json",
]

#: The states of a port on one transport (RFC 6335 §6), strongest first.
STATES: tuple[str, ...] = (ASSIGNED, RESERVED, UNASSIGNED)
_STRENGTH = {UNASSIGNED: 0, RESERVED: 1, ASSIGNED: 2}

#: Range class -> its ports (RFC 6335 §6).
RANGES: dict[str, PortRange] = rules.RANGE_CLASSES

#: What an empty store says (the message of :class:`~portreg.errors.EmptyStore`).
EMPTY_STORE = str(EmptyStore())

# Legacy names point at the name to use in their notes ("This entry is an alias to
# "sql-net"", "This is a duplicate of the "http" service"); replacements name what
# they replace in their description ("... as a replacement for "sql*net"").
_POINTS_TO = re.compile(r'(?:alias to|duplicate of the)\s+"([^"]+)"', re.IGNORECASE)
_REPLACES = re.compile(r'replacement for\s+"([^"]+)"', re.IGNORECASE)
# Port numbers and ranges named in free text ("ports 2194-2196", "Ports 4490 and 4491").
_PORTS_IN_TEXT = re.compile(r"(?<![\w.])([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?(?![\w.])")


# --------------------------------------------------------------------------- answers


class Hit(NamedTuple):
    """A record as a query returns it: the store's id, the record, and its rule facts.

    ``source`` names the registry the record belongs to (``iana``, ``acme``) when the
    store holds more than one; None when it holds only the upstream, so that a store
    without local registries answers exactly as before they existed.
    """

    id: int
    record: Record
    state: str
    range_class: str | None
    source: str | None = None

    @classmethod
    def of(cls, stored: StoredRecord, *, sourced: bool = False) -> Hit:
        """The hit of a stored record; ``sourced`` keeps the registry it comes from."""
        return cls.make(stored.id, stored.record, stored.source if sourced else None)

    @classmethod
    def make(cls, record_id: int, record: Record, source: str | None = None) -> Hit:
        """The hit of ``record`` under the store id ``record_id``, with its state and range class."""
        return cls(
            record_id,
            record,
            record_state(record),
            None if record.port is None else range_class(record.port.low),
            source,
        )

    def sourced(self, source: str) -> Hit:
        """The same hit, naming the registry it comes from."""
        return self if self.source == source else self._replace(source=source)

    def as_json(self) -> dict[str, Any]:
        """The record's stable JSON shape (see ``portreg lookup --help``)."""
        r = self.record
        port = r.port
        body: dict[str, Any] = {"id": self.id} if self.source is None else {"id": self.id, "source": self.source}
        body.update({
            "name": r.name,
            "port": None if port is None else str(port),
            "port_low": None if port is None else port.low,
            "port_high": None if port is None else port.high,
            "transport": r.transport,
            "state": self.state,
            "range_class": self.range_class,
            "description": _plain(r.description),
            "assignee": list(r.assignees),
            "contact": list(r.contacts),
            "references": [_reference_json(ref) for ref in r.citations],
            "registered": r.registered,
            "modified": r.modified,
            "notes": _plain(r.notes),
            "unauthorized": _plain(r.unauthorized),
            "service_code": r.service_code,
        })
        return body


class PortAnswer(NamedTuple):
    """One port: its range class, its state on each transport, the records that hold it.

    ``states`` maps every transport to assigned / reserved / unassigned; a transport no
    record mentions is unassigned. Records without a transport (Reserved and
    Unassigned rows) speak for every transport.
    """

    port: int
    range_class: str
    states: dict[str, str]
    hits: tuple[Hit, ...]

    @property
    def found(self) -> bool:
        return bool(self.hits)

    def only(self, transport: str | None) -> PortAnswer:
        """The same answer narrowed to one transport (no-op for None)."""
        if transport is None:
            return self
        hits = _on(self.hits, transport)
        return PortAnswer(self.port, self.range_class, {transport: self.states[transport]}, hits)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "port",
            "port": self.port,
            "range_class": self.range_class,
            "states": dict(self.states),
            "records": [h.as_json() for h in self.hits],
        }


class RangeAnswer(NamedTuple):
    """Every record that overlaps the ports ``low``..``high``."""

    low: int
    high: int
    hits: tuple[Hit, ...]

    @property
    def found(self) -> bool:
        return bool(self.hits)

    def only(self, transport: str | None) -> RangeAnswer:
        if transport is None:
            return self
        return RangeAnswer(self.low, self.high, _on(self.hits, transport))

    def as_json(self) -> dict[str, Any]:
        return {"kind": "range", "low": self.low, "high": self.high, "records": [h.as_json() for h in self.hits]}


class NameAnswer(NamedTuple):
    """The records of one service name (found ignoring case), and the names linked to it.

    ``aliases``: other names on the same port and transport (``www``, ``www-http`` for
    ``http``). ``preferred``: the name to use instead, when this one is a legacy alias
    (``www`` → ``http``, ``sql*net`` → ``sql-net``). ``legacy``: the names that point
    here (``sql-net`` ← ``sql*net``).
    """

    name: str
    hits: tuple[Hit, ...]
    aliases: tuple[str, ...] = ()
    preferred: str | None = None
    legacy: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.hits)

    def only(self, transport: str | None) -> NameAnswer:
        if transport is None:
            return self
        hits = _on(self.hits, transport)
        return NameAnswer(self.name, hits, self.aliases, self.preferred, self.legacy)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "name",
            "name": self.name,
            "aliases": list(self.aliases),
            "preferred": self.preferred,
            "legacy": list(self.legacy),
            "records": [h.as_json() for h in self.hits],
        }


class PersonAnswer(NamedTuple):
    """A person (or organization, or role) and every record that names them."""

    person: Person
    hits: tuple[Hit, ...]

    def as_json(self) -> dict[str, Any]:
        return {"person": person_json(self.person), "records": [h.as_json() for h in self.hits]}


class Stats(NamedTuple):
    """Counts of one version's records: by state, transport, range class, registration year."""

    version: int
    records: int
    people: int | None
    by_state: dict[str, int]
    by_transport: dict[str, int]
    by_range_class: dict[str, int]
    by_year: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "records": self.records,
            "people": self.people,
            "by_state": dict(self.by_state),
            "by_transport": dict(self.by_transport),
            "by_range_class": dict(self.by_range_class),
            "by_year": dict(self.by_year),
        }


def _on(hits: tuple[Hit, ...], transport: str) -> tuple[Hit, ...]:
    """The hits that speak for ``transport``: its own records and those without a transport."""
    return tuple(h for h in hits if h.record.transport in (None, transport))


def person_json(person: Person) -> dict[str, Any]:
    """A person's stable JSON shape."""
    return {
        "id": person.id,
        "name": person.name,
        "org": person.org,
        "uris": list(person.uris),
        "updated": person.updated,
    }


def version_json(version: Version) -> dict[str, Any]:
    """A store version's stable JSON shape."""
    return {
        "number": version.number,
        "published": version.published,
        "created_at": version.created_at.isoformat(),
        "source": version.source,
        "actor": version.actor,
        "record_count": version.record_count,
    }


def _reference_json(ref: Reference) -> dict[str, Any]:
    return {"type": ref.type, "data": ref.data, "text": ref.text, "label": ref.label}


def _plain(text: object) -> str | None:
    return None if text is None else str(text).strip()


# --------------------------------------------------------------------------- parsing


def parse_lookup(text: str) -> int | PortRange | str:
    """What ``portreg lookup TEXT`` asks for: a port, a port range, or a service name.

    Raises ValueError (a usage error) for a port or range outside 0-65535 or a range
    that runs backwards.
    """
    text = text.strip()
    if not text:
        raise ValueError("give a port, a port range (6000-6063) or a service name")
    try:
        ports = PortRange.parse(text)
    except ValueError:
        return text  # a service name: names always hold a letter (RFC 6335 §5.1)
    if ports.high > MAX_PORT:
        raise ValueError(f"{text}: ports run from 0 to {MAX_PORT}")
    if ports.low > ports.high:
        raise ValueError(f"{text}: the range runs backwards")
    return ports if ports.is_range else ports.low


# --------------------------------------------------------------------------- shared reasoning


def _port_answer(port: int, hits: Iterable[Hit]) -> PortAnswer:
    hits = tuple(hits)
    return PortAnswer(port, range_class(port), _states(hits), hits)


def _states(hits: Iterable[Hit]) -> dict[str, str]:
    states = dict.fromkeys(TRANSPORTS, UNASSIGNED)
    for hit in hits:
        transport = hit.record.transport
        for t in (transport,) if transport else TRANSPORTS:
            if t in states and _STRENGTH[hit.state] > _STRENGTH[states[t]]:
                states[t] = hit.state
    return states


def _slot(record: Record) -> tuple[PortRange, str | None] | None:
    """Where aliases meet: the same port (or range) and transport. None for name-only rows."""
    return None if record.port is None else (record.port, record.transport)


def _name_answer(
    asked: str,
    hits: Sequence[Hit],
    neighbours: Iterable[Hit],
    exists: Callable[[str], bool],
) -> NameAnswer:
    """Link a name to its aliases and legacy names, from its records and their neighbours.

    ``neighbours`` are records that may share a port and transport with ``hits``;
    ``exists`` says whether a name is registered (for legacy names without a note).
    """
    if not hits:
        return NameAnswer(asked, ())
    key = name_key(asked)
    slots = {s for s in map(_slot, (h.record for h in hits)) if s is not None}
    aliases: dict[str, None] = {}
    legacy: dict[str, None] = {}
    for hit in neighbours:
        other = hit.record.name
        if other is None or name_key(other) == key or _slot(hit.record) not in slots:
            continue
        aliases[other] = None
        target = _points_to(hit.record)
        if target is not None and name_key(target) == key:
            legacy[other] = None
    for hit in hits:
        for match in _REPLACES.finditer(str(hit.record.description or "")):
            legacy[match.group(1)] = None
    preferred = next(filter(None, (_points_to(h.record) for h in hits)), None)
    if preferred is None:
        replacement = replacement_name(hits[0].record.name or asked)
        if replacement and name_key(replacement) != key and exists(replacement):
            preferred = replacement
    return NameAnswer(hits[0].record.name or asked, tuple(hits), tuple(aliases), preferred, tuple(legacy))


def _points_to(record: Record) -> str | None:
    match = _POINTS_TO.search(str(record.notes or ""))
    return match.group(1) if match else None


def unauthorized_ports(record: Record) -> tuple[PortRange, ...]:
    """The ports a record's "unauthorized use" text is about.

    Unassigned rows such as ``11624-11719`` carry "Unauthorized Use Known on port
    11711": only that port is in use. Ports named in the text that lie inside the
    record's own range are the answer; when the text names none (``yes``, "nv used it
    without an assignment"), the whole of the record's range is.
    """
    own = record.port
    if own is None or not record.unauthorized:
        return ()
    named = []
    for match in _PORTS_IN_TEXT.finditer(str(record.unauthorized)):
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if own.low <= low <= high <= own.high:
            named.append(PortRange(low, high))
    return tuple(named) or (own,)


def _tells_a_story(record: Record) -> bool:
    return bool(record.notes) or str(record.description or "").strip().casefold() != UNASSIGNED


def free_ports(
    hits: Iterable[Hit],
    *,
    transports: Sequence[str] = ("tcp", "udp"),
    ports: PortRange = RANGES[USER],
    count: int = 10,
) -> list[int]:
    """The first ``count`` ports in ``ports`` that could be asked for on ``transports``.

    A port qualifies when it is unassigned on every transport asked for, no record
    reserves it on any transport (RFC 6335 §7.2: an approved port is reserved on the
    transports not requested, and IANA keeps those back), and no unauthorized use of
    it is reported. Unassigned rows that tell a story are left alone too: a note
    ("Microsoft (unoffically) using 1895", "Removed 2004-2-6") or a description that is
    more than "Unassigned" ("(unassigned) Possibly assigned", "Unassigned [was netstat]").
    """
    wanted = set(transports)
    blocked: list[PortRange] = []
    for hit in hits:
        record = hit.record
        if record.port is None:
            continue
        if (
            hit.state == RESERVED
            or (hit.state == ASSIGNED and (record.transport is None or record.transport in wanted))
            or (hit.state == UNASSIGNED and _tells_a_story(record))
        ):
            blocked.append(record.port)
        blocked.extend(unauthorized_ports(record))
    blocked.sort()
    found: list[int] = []
    port = ports.low
    for span in blocked:
        while port < span.low and port <= ports.high and len(found) < count:
            found.append(port)
            port += 1
        port = max(port, span.high + 1)
        if len(found) >= count or port > ports.high:
            return found
    while port <= ports.high and len(found) < count:
        found.append(port)
        port += 1
    return found


# --------------------------------------------------------------------------- the in-memory index


class LookupIndex:
    """Every record of one version, arranged for lookups in a few microseconds.

    Ports: the boundaries of every record's range (and of the range classes) split
    0-65535 into segments on which the answer does not change; each segment's answer
    is computed once, and a lookup is one bisect. Names: a dict from the case-folded
    name to its finished answer.
    """

    def __init__(self, version: int, hits: Sequence[Hit]) -> None:
        self.version = version
        self._starts, self._segments = _segments(hits)
        self._names = _names(hits)
        self._order = {hit.id: i for i, hit in enumerate(hits)}

    def port(self, port: int, *, transport: str | None = None) -> PortAnswer:
        """The answer for one port (ranges included: 6010 finds x11 on 6000-6063)."""
        if not 0 <= port <= MAX_PORT:
            raise ValueError(f"ports run from 0 to {MAX_PORT}")
        cls, states, hits = self._segments[bisect_right(self._starts, port) - 1]
        answer = PortAnswer(port, cls, states, hits)
        return answer.only(transport) if transport else answer

    def name(self, name: str, *, transport: str | None = None) -> NameAnswer:
        """The answer for one service name, ignoring case."""
        answer = self._names.get(name_key(name))
        if answer is None:
            return NameAnswer(name, ())
        return answer.only(transport) if transport else answer

    def ports(self, low: int, high: int, *, transport: str | None = None) -> RangeAnswer:
        """Every record overlapping ``low``..``high``, in registry order."""
        first = bisect_right(self._starts, low) - 1
        last = bisect_right(self._starts, high)
        seen: dict[int, Hit] = {}
        for _, _, hits in self._segments[first:last]:
            for hit in hits:
                seen.setdefault(hit.id, hit)
        ordered = tuple(sorted(seen.values(), key=lambda h: self._order[h.id]))
        return RangeAnswer(low, high, ordered).only(transport)

    def names(self) -> Iterator[str]:
        """Every registered name, once each."""
        return (answer.name for answer in self._names.values())


def _segments(hits: Sequence[Hit]) -> tuple[list[int], list[tuple[str, dict[str, str], tuple[Hit, ...]]]]:
    ported = [(h, h.record.port) for h in hits if h.record.port is not None]
    bounds = {0} | {r.low for r in RANGES.values()}
    for _, port in ported:
        bounds.add(port.low)
        if port.high < MAX_PORT:
            bounds.add(port.high + 1)
    starts = sorted(bounds)
    covering: list[list[Hit]] = [[] for _ in starts]
    for hit, port in ported:  # ranges are short and few overlap: filling segments directly is cheap
        first = bisect_right(starts, port.low) - 1
        last = bisect_right(starts, port.high)
        for i in range(first, last):
            covering[i].append(hit)
    segments = []
    for start, cover in zip(starts, covering):
        answer = _port_answer(start, cover)
        segments.append((answer.range_class, answer.states, answer.hits))
    return starts, segments


def _names(hits: Sequence[Hit]) -> dict[str, NameAnswer]:
    by_name: dict[str, list[Hit]] = {}
    by_slot: dict[tuple[PortRange, str | None], list[Hit]] = {}
    for hit in hits:
        if hit.record.name is not None:
            by_name.setdefault(name_key(hit.record.name), []).append(hit)
        slot = _slot(hit.record)
        if slot is not None:
            by_slot.setdefault(slot, []).append(hit)
    answers = {}
    for key, named in by_name.items():
        slots = {s for s in map(_slot, (h.record for h in named)) if s is not None}
        neighbours = chain.from_iterable(by_slot[s] for s in slots)
        answers[key] = _name_answer(named[0].record.name or key, named, neighbours, lambda n: name_key(n) in by_name)
    return answers


# --------------------------------------------------------------------------- the service


class Query:
    """The registry's questions, answered from a store (see the module docstring).

    One per process is enough; it caches the :class:`LookupIndex` of the current
    version and rebuilds it when a new version is published.

    ``layers`` (top first) asks several registries of one store at once, the stack
    :mod:`portreg.services.stack` composes: every answer holds the rows of each, local
    before upstream, each hit naming its ``source``. A ``version`` number then means
    the stack as it stood at that number of the store's one sequence: each registry at
    its greatest version up to it. Without ``layers`` a query reads ``store`` alone,
    exactly as before stores held several registries.
    """

    def __init__(self, store: Store, *, layers: Sequence[Store] | None = None) -> None:
        self.store = store
        self.layers: tuple[Store, ...] = tuple(layers) if layers is not None else (store,)
        self.sourced = layers is not None
        self._index: LookupIndex | None = None
        self._search_indexes: SearchIndexes | None = None
        self._people: dict[int, dict[str, Person]] = {}

    # -- the layers a read goes through

    def _each(self, version: int | None) -> list[tuple[Store, int | None]]:
        """Each layer with the version it is read at (skipping a registry with no version yet)."""
        if not self.sourced:
            return [(self.store, version)]
        found: list[tuple[Store, int | None]] = []
        for layer in self.layers:
            if version is None:  # one row, not the registry's every version (IANA's history is 342)
                current = layer.current_version()
                if current is not None:
                    found.append((layer, current.number))
                continue
            numbers = [v.number for v in layer.versions() if v.number <= version]
            if numbers:
                found.append((layer, numbers[-1]))
        if version is not None and not found:
            from ..errors import NotFound

            raise NotFound(f"the stack has no version {version}")
        return found

    def _hits(self, stored: Iterable[StoredRecord]) -> Iterator[Hit]:
        sourced = self.sourced
        return (Hit.of(s, sourced=sourced) for s in stored)

    # -- lookups through indexed SQL: cheap to start, what one-shot commands use

    def current_version(self) -> Version:
        """The version queries see; NotFound (saying how to fill it) on an empty store.

        Over a stack: the newest of the registries' current versions, whose number
        stands for the whole stack (see the class docstring)."""
        if self.sourced:
            current = [v for v in (layer.current_version() for layer in self.layers) if v is not None]
            if current:
                return max(current, key=lambda v: v.number)
            raise EmptyStore()
        version = self.store.current_version()
        if version is None:
            raise EmptyStore()
        return version

    def _version(self, number: int | None) -> Version:
        if number is None:
            return self.current_version()
        if self.sourced:
            for layer in self.layers:
                for v in layer.versions():
                    if v.number == number:
                        return v
            from ..errors import NotFound

            raise NotFound(f"the store has no version {number}")
        return self.store.version(number)

    def port(self, port: int, *, transport: str | None = None, version: int | None = None) -> PortAnswer:
        """Port ``port`` on every transport (or one): range class, states, records."""
        if not 0 <= port <= MAX_PORT:
            raise ValueError(f"ports run from 0 to {MAX_PORT}")
        found = [s for layer, v in self._each(version) for s in layer.records_at_port(port, version=v)]
        return _port_answer(port, self._hits(found)).only(transport)

    def ports(self, low: int, high: int, *, transport: str | None = None, version: int | None = None) -> RangeAnswer:
        """Every record overlapping ports ``low``..``high``."""
        found = [s for layer, v in self._each(version) for s in layer.records_in_range(low, high, version=v)]
        return RangeAnswer(low, high, tuple(self._hits(found))).only(transport)

    def name(self, name: str, *, transport: str | None = None, version: int | None = None) -> NameAnswer:
        """The records of service name ``name`` (any case), with its aliases and legacy names."""
        each = self._each(version)
        hits = list(self._hits(s for layer, v in each for s in layer.records_named(name, version=v)))
        neighbours: list[Hit] = []
        for port in {h.record.port for h in hits if h.record.port is not None}:
            neighbours.extend(self._hits(s for layer, v in each for s in layer.records_at_port(port.low, version=v)))

        def exists(other: str) -> bool:
            return any(layer.records_named(other, version=v) for layer, v in each)

        return _name_answer(name, hits, neighbours, exists).only(transport)

    def lookup(
        self, text: str, *, transport: str | None = None, version: int | None = None
    ) -> PortAnswer | RangeAnswer | NameAnswer:
        """Answer ``portreg lookup TEXT``: a port, a range ``6000-6010``, or a name."""
        what = parse_lookup(text)
        answer: PortAnswer | RangeAnswer | NameAnswer
        if isinstance(what, int):
            answer = self.port(what, transport=transport, version=version)
        elif isinstance(what, PortRange):
            answer = self.ports(what.low, what.high, transport=transport, version=version)
        else:
            answer = self.name(what, transport=transport, version=version)
        if not answer.found:
            self._version(version)  # nothing found in an empty store: say how to fill it
        return answer

    def record(self, record_id: int, *, version: int | None = None) -> Hit:
        """The record of that id, in whichever layer holds it; NotFound when none does."""
        from ..errors import NotFound

        missing: NotFound | None = None
        for layer, v in self._each(version):
            try:
                return Hit.of(layer.record(record_id, version=v), sourced=self.sourced)
            except NotFound as exc:
                missing = missing or exc
        raise missing or NotFound(f"no record {record_id}")

    def people_of(self, hits: Iterable[Hit], *, version: int | None = None) -> list[Person]:
        """The people ``hits`` name, each once, in the order they are first named."""
        each = self._each(version)
        people = []
        for person_id in dict.fromkeys(pid for h in hits for pid in h.record.person_ids()):
            person = next(filter(None, (layer.person(person_id, version=v) for layer, v in each)), None)
            if person is not None:
                people.append(person)
        return people

    # -- everything else

    def search(
        self,
        text: str | None,
        *,
        transport: str | None = None,
        range_class: str | None = None,
        state: str | None = None,
        person: str | None = None,
        year: str | None = None,
        registered_after: str | None = None,
        registered_before: str | None = None,
        modified_after: str | None = None,
        modified_before: str | None = None,
        where: RecordFilter | None = None,
        limit: int = 50,
        offset: int = 0,
        version: int | None = None,
    ) -> SearchResult:
        """Ranked search (:mod:`portreg.services.search`): names, ports, people, words of
        descriptions and notes, typos forgiven, the same on every database; narrowed by filters.

        ``text`` None searches by the filters alone, in registry order. The filters are a
        :class:`~portreg.services.filters.RecordFilter` (``where``), or its fields one by
        one (checked: InvalidQuery names a bad one); they mean what the page's and
        ``/api/v1/records``'s filters mean.
        """
        from .filters import RecordFilter

        if where is None:
            where = RecordFilter.parse(
                transport=transport,
                range_class=range_class,
                state=state,
                person=person,
                year=year,
                registered_after=registered_after,
                registered_before=registered_before,
                modified_after=modified_after,
                modified_before=modified_before,
            )
        if text is not None and not text.strip():
            text = None
        if text is not None:
            index = self.search_index(version)
            keep = where.matcher(self.people_by_id(index.version)) if not where.empty else None
            return index.search(text, keep=keep, limit=limit, offset=offset)
        number = self._version(version).number
        people = self.people_by_id(number)
        total = 0
        items: list[Hit] = []
        for layer, v in self._each(version):
            # Registry order, layer after layer: each layer gives what the page still lacks.
            skip = max(0, offset - total)
            page = layer.search(
                None,
                **where.sql(people),  # type: ignore[arg-type]
                limit=max(1, limit - len(items)),
                offset=skip,
                version=v,
            )
            if len(items) < limit:
                items.extend(self._hits(page.items[: limit - len(items)]))
            total += page.total
        if not total:
            self._version(version)  # nothing found in an empty store: say how to fill it
        return SearchResult(total, offset, tuple(items))

    def people_by_id(self, version: int) -> dict[str, Person]:
        """Every person of ``version`` by id, kept for the last two versions asked.

        Over a stack, a person of a lower layer is kept where an upper one names the
        same id: the upstream's people are the ones its records cite."""
        found = self._people.get(version)
        if found is None and not self.sourced:
            found = {p.id: p for p in self.store.people(version=version)}
            self._people = {**dict(list(self._people.items())[-1:]), version: found}
        elif found is None:
            found = {}
            for layer, v in reversed(self._each(version)):
                for p in layer.people(version=v):
                    found.setdefault(p.id, p)
            self._people = {**dict(list(self._people.items())[-1:]), version: found}
        return found

    def stack_hits(self, version: int | None = None) -> list[Hit]:
        """Every record of every layer at ``version``, top layer first, each in registry order."""
        return [h for layer, v in self._each(version) for h in self._hits(layer.records(version=v))]

    def search_index(self, version: int | None = None) -> SearchIndex:
        """The ranked-search index of a version (the current one for None), built once and kept."""
        number = self._version(version).number
        if self._search_indexes is None:
            from .search import SearchIndex, SearchIndexes

            def build(n: int) -> SearchIndex:
                if self.sourced:
                    return SearchIndex(n, self.stack_hits(n), self.people_by_id(n))
                hits = [Hit.of(s) for s in self.store.records(version=n)]
                return SearchIndex(n, hits, self.store.registry(n).people_by_id())

            self._search_indexes = SearchIndexes(build)
        return self._search_indexes.get(number)

    def people(self, text: str, *, limit: int = 20, version: int | None = None) -> list[PersonAnswer]:
        """The people matching ``text`` (an exact id first), each with every record naming them."""
        each = self._each(version)
        exact = next(filter(None, (layer.person(text, version=v) for layer, v in each)), None)
        if exact is not None:
            people = [exact]
        else:
            found: dict[str, Person] = {}
            for layer, v in each:
                for p in layer.search_people(text, limit=limit, version=v):
                    found.setdefault(p.id, p)
            people = list(found.values())[:limit]
        if not people:
            self._version(version)
        return [
            PersonAnswer(p, tuple(self._hits(s for layer, v in each for s in layer.records_of_person(p.id, version=v))))
            for p in people
        ]

    def free(
        self,
        *,
        transports: Sequence[str] = ("tcp", "udp"),
        range_class: str = USER,
        count: int = 10,
        version: int | None = None,
    ) -> list[int]:
        """Suggest ``count`` ports of ``range_class`` free on ``transports`` (see :func:`free_ports`).

        Over a stack a port must be free in every layer: a port a local registry
        assigns is not free for the organization, though IANA has not assigned it."""
        for t in transports:
            _check_choice("transport", t, TRANSPORTS)
        if range_class not in (SYSTEM, USER):
            raise ValueError("free ports come from the system or user range: dynamic ports are never assigned")
        if count < 1:
            raise ValueError("count must be at least 1")
        ports = RANGES[range_class]
        self._version(version)  # an empty store says how to fill it rather than suggest every port
        found = [
            s for layer, v in self._each(version) for s in layer.records_in_range(ports.low, ports.high, version=v)
        ]
        return free_ports(self._hits(found), transports=transports, ports=ports, count=count)

    def stats(self, *, version: int | None = None) -> Stats:
        """Counts of the current (or given) version; over a stack, the sums of its layers."""
        number = self._version(version).number
        if not self.sourced:
            counts = self.store.stats(version=number)
        else:
            counts = _sum_counts([layer.stats(version=v) for layer, v in self._each(version)])
        return Stats(
            version=number,
            records=counts["records"],
            people=counts.get("people"),
            by_state=counts["by_state"],
            by_transport=counts["by_transport"],
            by_range_class=counts["by_range_class"],
            by_year=counts["by_year"],
        )

    # -- the in-memory index, for long-lived processes

    def index(self) -> LookupIndex:
        """The :class:`LookupIndex` of the current version, built on first use and on each new version."""
        number = self.current_version().number
        if self._index is None or self._index.version != number:
            self._index = LookupIndex(number, self.stack_hits(number))
        return self._index


def _sum_counts(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The store's counts of several registries, added up (keys in the first one's order)."""
    total: dict[str, Any] = {"records": 0, "people": 0}
    for key in ("by_state", "by_transport", "by_range_class", "by_year"):
        merged: dict[str, int] = {}
        for part in parts:
            for k, n in part[key].items():
                merged[k] = merged.get(k, 0) + n
        total[key] = merged
    for part in parts:
        total["records"] += part["records"]
        total["people"] += part.get("people") or 0
    return total


def _check_choice(label: str, value: str | None, choices: Sequence[str]) -> None:
    if value is not None and value not in choices:
        raise ValueError(f"unknown {label} {value!r}; choose one of: {', '.join(choices)}")
