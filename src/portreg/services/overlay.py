"""A local registry checked against the upstream one: the rules every overlay step needs.

An organization's own port list lives on top of IANA's registry. Before it can be
stacked on it (see ``docs/overlays.md``), the two must agree, and keep agreeing after
every ``portreg sync``: :func:`collisions` compares a local registry with an upstream
version by the rules of RFC 6335, and :func:`check` does so against the current
version in a store. The findings, by ``kind``:

- ``port``: a local record on a port (or part of a range) and transport that upstream
  has assigned to another service;
- ``reserved``: the same on a port upstream keeps reserved;
- ``name``: a local name that is, ignoring case (§5.1), an upstream name assigned on
  other ports or transports (service names are one namespace, §5.1);
- ``outside``: a local record outside every range the local registry allocates from;
- ``owned``: upstream assignments inside a range the local registry allocates from;
- ``same``: a note, not a collision: the local record repeats an upstream assignment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import InvalidQuery
from ..model import TRANSPORTS, PortRange, Record, Registry
from ..rules import ASSIGNED, RESERVED, name_key, record_state

if TYPE_CHECKING:
    from ..store import Version
    from .query import Hit
    from .registry import RegistryService

__all__ = ["KINDS", "CheckResult", "Finding", "OwnedRange", "check", "collisions", "parse_owned"]

#: Every kind of finding, in the order they are listed; ``same`` is a note.
KINDS = ("port", "reserved", "name", "outside", "owned", "same")
NOTES = frozenset({"same"})
#: Upstream records a message names before it says "and N more".
_SHOWN = 5
#: Ports per block of the upstream ranges' index.
_BLOCK = 256


class OwnedRange(NamedTuple):
    """A range a local registry allocates from, on one transport or (None) on all."""

    ports: PortRange
    transport: str | None = None

    def __str__(self) -> str:
        return f"{self.ports}/{self.transport}" if self.transport else str(self.ports)

    def holds(self, record: Record) -> bool:
        port = record.port
        return (
            port is not None
            and self.ports.low <= port.low
            and port.high <= self.ports.high
            and (self.transport is None or record.transport == self.transport)
        )


class Finding(NamedTuple):
    """One disagreement (or note): the local record, the upstream records it meets, why."""

    kind: str
    local: Record | None  # None for ``owned``, which is about a range
    upstream: tuple[Hit, ...]
    message: str
    owned: OwnedRange | None = None

    @property
    def collides(self) -> bool:
        return self.kind not in NOTES

    def each(self) -> tuple[Finding, ...]:
        """One finding per upstream record met (this one when it meets at most one).

        A stored conflict is between two records, so that it can be resolved when
        either of them changes; its message names only the upstream record it is about.
        """
        if len(self.upstream) <= 1 or self.local is None:
            return (self,)
        return tuple(
            self._replace(upstream=(hit,), message=_message(self.kind, self.local, (hit,))) for hit in self.upstream
        )

    def as_json(self) -> dict[str, Any]:
        from .query import Hit

        local = None
        if self.local is not None:
            local = Hit.make(0, self.local).as_json()
            local["id"] = None  # a local record has no id in the store
        return {
            "kind": self.kind,
            "local": local,
            "owned": None if self.owned is None else str(self.owned),
            "upstream": [hit.as_json() for hit in self.upstream],
            "message": self.message,
        }


class CheckResult(NamedTuple):
    """The findings of a local registry against the upstream ``version``.

    ``since``, when given, is the older version the check was narrowed to: only what
    upstream assigned or changed after it.
    """

    version: Version
    owns: tuple[OwnedRange, ...]
    findings: list[Finding]
    since: Version | None = None

    @property
    def collides(self) -> bool:
        return any(f.collides for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for finding in self.findings:
            counts[finding.kind] += 1
        return {kind: counts[kind] for kind in KINDS if counts[kind]}


def parse_owned(text: str) -> OwnedRange:
    """``20000-20999`` or ``20000-20999/tcp``: a range a local registry allocates from."""
    from .params import parse_range

    ports, _, transport = text.partition("/")
    try:
        span = parse_range(ports, "owns")
    except InvalidQuery:
        raise InvalidQuery(
            f"expected a port range such as 20000-20999 or 20000-20999/tcp, got {text[:40]!r}", parameter="owns"
        ) from None
    if transport and transport not in TRANSPORTS:
        raise InvalidQuery(
            f"unknown transport {transport[:20]!r}; expected one of {', '.join(TRANSPORTS)}", parameter="owns"
        )
    return OwnedRange(span, transport or None)


def check(
    service: RegistryService, local: Registry, *, owns: Iterable[OwnedRange] = (), since: str | None = None
) -> CheckResult:
    """``local`` against the current version in the store (an EmptyStore error when there is none).

    ``since`` (a version: number, date or ``latest``, as :func:`.history.resolve` reads
    it) keeps only the collisions with upstream records added, renamed, moved or changed
    after that version: what a sync has just brought, such as a port the organization
    uses that IANA has now assigned to someone else.
    """
    snapshot = service.current()
    owned = tuple(owns)
    findings = collisions(snapshot.hits, local, owns=owned)
    if since is None:
        return CheckResult(snapshot.version, owned, findings)
    from .history import diff

    changes = diff(service.store, since, snapshot.version.number)
    fresh = {change.id for change in changes.records if change.new is not None}
    narrowed = []
    for finding in findings:
        upstream = tuple(hit for hit in finding.upstream if hit.id in fresh)
        if upstream and finding.collides:
            narrowed.append(finding._replace(upstream=upstream))
    return CheckResult(snapshot.version, owned, narrowed, changes.old)


def collisions(upstream: Sequence[Hit], local: Registry, *, owns: Sequence[OwnedRange] = ()) -> list[Finding]:
    """Every finding of ``local`` against the ``upstream`` records, local records in order.

    A local record is a use of its port unless it says it is not: a row without a name
    but with a description (``Reserved``, ``Unassigned``) is a marker and is skipped; a
    bare port without a name (``is 5432/tcp free?``) is checked.
    """
    index = _Upstream(upstream)
    findings: list[Finding] = []
    for record in local.records:
        if record_state(record) == ASSIGNED or record.description is None:
            findings.extend(_of(record, index, owns))  # a local Reserved or Unassigned row uses nothing
    for owned in owns:
        inside = index.on(owned.ports, owned.transport, states=(ASSIGNED,))
        if inside:
            findings.append(Finding("owned", None, inside, f"upstream assigns {_list(inside)}", owned))
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(findings, key=lambda f: order[f.kind])


def _of(record: Record, index: _Upstream, owns: Sequence[OwnedRange]) -> Iterable[Finding]:
    key = name_key(record.name) if record.name else None
    if record.port is not None:
        met = index.on(record.port, record.transport, states=(ASSIGNED, RESERVED))
        same = [hit for hit in met if key and hit.record.name and name_key(hit.record.name) == key]
        if same and all(hit.record.port == record.port and hit.record.transport == record.transport for hit in same):
            # upstream's own assignment, recorded locally: its aliases on the port are no collision
            yield _finding("same", record, tuple(same))
            return
        others = [hit for hit in met if hit.state == ASSIGNED and hit not in same]
        if others:
            yield _finding("port", record, tuple(others))
        reserved = [hit for hit in met if hit.state == RESERVED]
        if reserved:
            yield _finding("reserved", record, tuple(reserved))
        if owns and not any(owned.holds(record) for owned in owns):
            yield _finding("outside", record, (), owns)
        if same:
            return
    if key is not None:
        named = index.names.get(key, ())
        if named:
            yield _finding("name", record, named)


def _finding(kind: str, record: Record, upstream: tuple[Hit, ...], owns: Sequence[OwnedRange] = ()) -> Finding:
    return Finding(kind, record, upstream, _message(kind, record, upstream, owns))


def _message(kind: str, record: Record, upstream: Sequence[Hit], owns: Sequence[OwnedRange] = ()) -> str:
    """What a finding of ``kind`` about local ``record`` says, one line."""
    where = _where(record)
    if kind == "same":
        return f"{where} is upstream's own assignment"
    if kind == "port":
        return f"{where}: upstream assigns {_list(upstream)}"
    if kind == "reserved":
        return f"{where}: upstream keeps {_list(upstream)} reserved"
    if kind == "outside":
        return f"{where} is outside the ranges it allocates from, {_ranges(owns)}"
    return f"{where}: upstream assigns the name {upstream[0].record.name} on {_slots(upstream)}"


class _Upstream:
    """The upstream records by port and by name, for many questions about few ports."""

    def __init__(self, hits: Sequence[Hit]) -> None:
        self.singles: dict[int, list[Hit]] = defaultdict(list)
        #: Upstream ranges by block of _BLOCK ports they overlap, so that a question about
        #: one port looks at the few ranges near it, not at every range.
        self.ranges: dict[int, list[Hit]] = defaultdict(list)
        names: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            port = hit.record.port
            if port is not None:
                if port.is_range:
                    for block in range(port.low // _BLOCK, port.high // _BLOCK + 1):
                        self.ranges[block].append(hit)
                else:
                    self.singles[port.low].append(hit)
            if hit.record.name and hit.state == ASSIGNED:
                names[name_key(hit.record.name)].append(hit)
        self.names = {key: tuple(found) for key, found in names.items()}

    def on(self, ports: PortRange, transport: str | None, *, states: tuple[str, ...]) -> tuple[Hit, ...]:
        """Upstream records in ``states`` overlapping ``ports`` on ``transport`` (None: any).

        An upstream row without a transport covers every transport.
        """
        found: list[Hit] = []
        if ports.high - ports.low < len(self.singles):
            candidates: Iterable[Hit] = (
                hit for port in range(ports.low, ports.high + 1) for hit in self.singles.get(port, ())
            )
        else:
            candidates = (
                hit for port in sorted(self.singles) if ports.low <= port <= ports.high for hit in self.singles[port]
            )
        for hit in candidates:
            if hit.state in states and _same_transport(hit.record.transport, transport):
                found.append(hit)
        seen: set[int] = set()
        for block in range(ports.low // _BLOCK, ports.high // _BLOCK + 1):
            for hit in self.ranges.get(block, ()):
                if id(hit) in seen:
                    continue
                seen.add(id(hit))
                span = hit.record.port
                assert span is not None
                overlaps = span.low <= ports.high and ports.low <= span.high
                if overlaps and hit.state in states and _same_transport(hit.record.transport, transport):
                    found.append(hit)
        return tuple(found)


def _same_transport(upstream: str | None, local: str | None) -> bool:
    return upstream is None or local is None or upstream == local


def _where(record: Record) -> str:
    slot = _slot(record)
    return f"{record.name} {slot}" if record.name else slot


def _slot(record: Record) -> str:
    if record.port is None:
        return f"no port/{record.transport}" if record.transport else "no port"
    return f"{record.port}/{record.transport}" if record.transport else str(record.port)


def _list(hits: Sequence[Hit]) -> str:
    shown = [
        f"{_slot(hit.record)} to {hit.record.name}" if hit.record.name else _slot(hit.record) for hit in hits[:_SHOWN]
    ]
    more = f" and {len(hits) - _SHOWN} more" if len(hits) > _SHOWN else ""
    return ", ".join(shown) + more


def _slots(hits: Sequence[Hit]) -> str:
    slots = [_slot(hit.record) for hit in hits[:_SHOWN]]
    more = f" and {len(hits) - _SHOWN} more" if len(hits) > _SHOWN else ""
    return ", ".join(slots) + more


def _ranges(owns: Sequence[OwnedRange]) -> str:
    return ", ".join(str(owned) for owned in owns)
