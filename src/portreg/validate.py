"""Check a whole registry against RFC 6335 and against itself: the work of ``portreg check``.

:func:`check` returns findings, never raises for what it finds. Each finding has a
severity:

- ``error``: the registry breaks a rule in a way IANA's published registry does not
  (a port outside 0-65535, a person nobody defines, two rows claiming the same name on
  the same transport and port). A registry with errors should not be published.
- ``legacy``: the registry departs from RFC 6335, but IANA's published registry does
  so too and must keep doing so: §10 keeps the names and rows registered before the
  rules (``sql*net``, names on several ports, name-only rows without a transport from
  the registries merged in §10.1). Nobody can mend them in the registry file; a *new*
  request must still follow the rules, which the workflow enforces with
  :mod:`portreg.rules`.
- ``warning``: allowed, but worth a look.

The line that separates error from legacy is drawn on the registry of 2024-03-18: it has
no error and no warning, only legacy findings (see ``tests/test_validate.py`` for the
counts), and every synthetic breakage in the tests is an error.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

from . import rules
from .errors import RuleViolation
from .model import TRANSPORTS, PortRange, Record, Registry

__all__ = ["ERROR", "LEGACY", "SEVERITIES", "WARNING", "Finding", "check", "describe_record"]

ERROR = "error"
LEGACY = "legacy"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING, LEGACY)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing :func:`check` found.

    ``record`` is the index of the record in ``registry.records`` (0-based), ``subject``
    what the finding is about (a service name, a person id, a service code), ``section``
    the RFC section that makes the rule.
    """

    severity: str
    code: str
    message: str
    record: int | None = None
    subject: str | None = None
    section: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check(registry: Registry) -> list[Finding]:
    """Every finding about ``registry``, in record order (findings about no record last)."""
    findings = [finding for rule in _CHECKS for finding in rule(registry)]
    return sorted(findings, key=lambda f: (f.record is None, f.record or 0))


def describe_record(record: Record) -> str:
    """A short human name for a record: ``http 80/tcp``, ``Reserved 0/udp``, ``ssh (name only)/tcp``."""
    who = record.name or (str(record.description).strip() if record.description else "") or "(no name)"
    where = str(record.port) if record.port is not None else "(name only)"
    return f"{who} {where}/{record.transport or '-'}"


# --------------------------------------------------------------------------------------
# Service names


def _named(registry: Registry) -> Iterator[tuple[int, Record, str]]:
    """(index, record, name) for every record that carries a non-blank name."""
    for index, record in enumerate(registry.records):
        if record.name and record.name.strip():
            yield index, record, record.name


def _check_names(registry: Registry) -> Iterator[Finding]:
    """Names that break §5.1: legacy when of the kind §10 kept, errors otherwise."""
    registered = {rules.name_key(name) for _, _, name in _named(registry)}
    for index, _record, name in _named(registry):
        problems = rules.service_name_problems(name)
        if not problems:
            continue
        if not rules.is_legacy_name(name):
            yield Finding(ERROR, "invalid-name", f"service name {name!r}: {'; '.join(problems)}", index, name, "5.1")
            continue
        replacement = rules.replacement_name(name)
        if replacement is None:
            fate = "§10.1 gives it no replacement"
        elif rules.name_key(replacement) in registered:
            fate = f"its replacement {replacement!r} is registered"
        else:
            fate = f"its §10.1 replacement {replacement!r} is not registered"
        yield Finding(
            LEGACY,
            "legacy-name",
            f"legacy service name {name!r} ({problems[0]}); kept under §10, {fate}",
            index,
            name,
            "10.1",
        )


def _check_name_identity(registry: Registry) -> Iterator[Finding]:
    """Case variants, duplicates, and names on several ports (§5, §5.1, §8.1.1).

    A name is the registry's key, compared without case, and a service has one row per
    transport. So two rows are a *duplicate* when they have the same name, the same
    transport, and the same port or overlapping ports (or are both name-only). The same
    name on different ports is how the registry recorded some services before RFC 6335
    (``http-alt`` on 591, 8008 and 8080): legacy. A name with a port and a name-only
    row of the same name (``ssh``, ``https``) is the §10.1 merge of the SRV registry,
    and fine. Duplicates without a transport (``rdp``: the Reliable Data Protocol and
    Windows Remote Desktop) come from the registries §10.1 merged: legacy.
    """
    spelling: dict[str, str] = {}
    groups: dict[tuple[str, str | None], list[tuple[int, Record]]] = defaultdict(list)
    ports: dict[str, dict[PortRange, int]] = defaultdict(dict)
    for index, record, name in _named(registry):
        key = rules.name_key(name)
        first = spelling.setdefault(key, name)
        if first != name:
            yield Finding(
                ERROR,
                "case-variant-name",
                f"service name {name!r} differs from {first!r} only in case",
                index,
                name,
                "5.1",
            )
        groups[(key, record.transport)].append((index, record))
        if record.port is not None:
            ports[key].setdefault(PortRange(record.port.low, record.port.high), index)
    for (_key, transport), members in groups.items():
        for later, (index, record) in enumerate(members):
            clash = next((i for i, other in members[:later] if _same_place(record, other)), None)
            if clash is None:
                continue
            severity = ERROR if transport else LEGACY
            yield Finding(
                severity,
                "duplicate-name",
                f"{describe_record(record)} repeats the name, transport and port of record {clash}",
                index,
                record.name,
                "5",
            )
    for where in ports.values():
        if len(where) > 1:
            first_index = next(iter(where.values()))
            spelled = registry.records[first_index].name
            yield Finding(
                LEGACY,
                "name-on-several-ports",
                f"service name {spelled!r} is on ports {', '.join(map(str, where))}; kept under §10",
                list(where.values())[1],
                spelled,
                "5",
            )


def _same_place(a: Record, b: Record) -> bool:
    if a.port is None or b.port is None:
        return a.port is None and b.port is None
    return a.port.low <= b.port.high and b.port.low <= a.port.high


# --------------------------------------------------------------------------------------
# Transports, ports and the state of ports


def _check_transports(registry: Registry) -> Iterator[Finding]:
    """A transport must be one of tcp, udp, sctp, dccp; a named row must have one (§8.1.1).

    Nameless rows without a transport are Unassigned or Reserved ranges for every
    transport. Named rows without one (name-only rows of the registries §10.1 merged,
    and a few old ranges such as ``boe-cms`` 6400) are legacy.
    """
    for index, record in enumerate(registry.records):
        if record.transport is not None and record.transport not in TRANSPORTS:
            yield Finding(
                ERROR,
                "unknown-transport",
                f"{describe_record(record)}: transport {record.transport!r} is not one of {', '.join(TRANSPORTS)}",
                index,
                record.transport,
                "6",
            )
        elif record.transport is None and rules.record_state(record) == rules.ASSIGNED:
            yield Finding(
                LEGACY, "no-transport", f"{describe_record(record)} names no transport", index, record.name, "8.1.1"
            )


def _check_ports(registry: Registry) -> Iterator[Finding]:
    """Ports lie in 0-65535, ranges run upwards, nothing is assigned in 49152-65535 (§6)."""
    for index, record in enumerate(registry.records):
        port = record.port
        if port is None:
            continue
        outside = [p for p in (port.low, port.high) if not 0 <= p <= rules.MAX_PORT]
        if outside:
            yield Finding(
                ERROR,
                "port-out-of-range",
                f"{describe_record(record)}: port {outside[0]} is outside 0-65535",
                index,
                str(port),
                "6",
            )
        elif port.low > port.high:
            yield Finding(
                ERROR,
                "reversed-range",
                f"{describe_record(record)}: range {port} runs downwards",
                index,
                str(port),
                "6",
            )
        elif port.high in rules.DYNAMIC_PORTS and rules.record_state(record) == rules.ASSIGNED:
            yield Finding(
                ERROR,
                "dynamic-port",
                f"{describe_record(record)}: ports 49152-65535 are never assigned",
                index,
                str(port),
                "6",
            )


def _check_unassigned_overlaps(registry: Registry) -> Iterator[Finding]:
    """A row inside an Unassigned range that says otherwise for the same transport.

    IANA sometimes assigned a port without splitting the Unassigned range around it
    (``inetfs`` 7775/tcp inside Unassigned 7748-7776). The assignment wins in
    :func:`portreg.rules.port_state`; the row is reported as legacy bookkeeping.
    """
    unassigned: dict[int, list[Record]] = defaultdict(list)
    for record in registry.records:
        if rules.record_state(record) == rules.UNASSIGNED:
            for port in _sane_ports(record):
                unassigned[port].append(record)
    if not unassigned:
        return
    for index, record in enumerate(registry.records):
        if rules.record_state(record) == rules.UNASSIGNED:
            continue
        covering = next(
            (
                u
                for port in _sane_ports(record)
                for u in unassigned.get(port, ())
                if u.transport is None or record.transport is None or u.transport == record.transport
            ),
            None,
        )
        if covering is not None:
            yield Finding(
                LEGACY,
                "overlaps-unassigned",
                f"{describe_record(record)} lies inside the Unassigned row {covering.port}/{covering.transport or '-'}",
                index,
                str(record.port),
                "6",
            )


def _sane_ports(record: Record) -> range:
    """The record's ports, or none when its range is broken (reported by _check_ports)."""
    port = record.port
    if port is None or not 0 <= port.low <= port.high <= rules.MAX_PORT:
        return range(0)
    return range(port.low, port.high + 1)


# --------------------------------------------------------------------------------------
# People, footnotes, dates


def _check_people(registry: Registry) -> Iterator[Finding]:
    """Every person a record names is defined, once."""
    defined: set[str] = set()
    for person in registry.people:
        if person.id in defined:
            yield Finding(ERROR, "duplicate-person", f"person {person.id!r} is defined more than once", None, person.id)
        defined.add(person.id)
    for index, record in enumerate(registry.records):
        for person_id in dict.fromkeys(record.person_ids()):
            if person_id not in defined:
                yield Finding(
                    ERROR,
                    "dangling-person",
                    f"{describe_record(record)} refers to person {person_id!r}, who is not in the people list",
                    index,
                    person_id,
                )


def _check_footnotes(registry: Registry) -> Iterator[Finding]:
    """Every footnote reference (``xref type="note"``) points at a footnote.

    Only when the registry has footnotes at all: IANA's CSV keeps the references
    (``[1]``) but not the footnotes, so a registry read from CSV has none to check.
    """
    anchors = {f.anchor for f in registry.footnotes}
    if not anchors:
        return
    for index, record in enumerate(registry.records):
        inline = (
            ref for text in (record.description, record.notes, record.unauthorized) if text for ref in text.references()
        )
        for ref in (*record.assignee, *record.references, *inline):
            if ref.type == "note" and ref.data not in anchors:
                yield Finding(
                    ERROR,
                    "dangling-footnote",
                    f"{describe_record(record)} refers to footnote {ref.data!r}, which does not exist",
                    index,
                    ref.data,
                )


_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?", re.ASCII)


def _is_date(text: str) -> bool:
    """``YYYY-MM`` or ``YYYY-MM-DD``, a real calendar month or day (both forms occur)."""
    match = _DATE.fullmatch(text)
    if match is None:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _check_dates(registry: Registry) -> Iterator[Finding]:
    def bad(value: str | None) -> bool:
        return value is not None and not _is_date(value)

    if bad(registry.updated):
        yield Finding(
            ERROR,
            "bad-date",
            f"the registry's updated date {registry.updated!r} is not YYYY-MM-DD",
            None,
            registry.updated,
        )
    for index, record in enumerate(registry.records):
        for label, value in (("registration", record.registered), ("modification", record.modified)):
            if bad(value):
                yield Finding(
                    ERROR,
                    "bad-date",
                    f"{describe_record(record)}: {label} date {value!r} is not YYYY-MM(-DD)",
                    index,
                    value,
                )
    for person in registry.people:
        if bad(person.updated):
            yield Finding(
                ERROR, "bad-date", f"person {person.id!r}: date {person.updated!r} is not YYYY-MM(-DD)", None, person.id
            )


# --------------------------------------------------------------------------------------
# DCCP service codes


def _check_service_codes(registry: Registry) -> Iterator[Finding]:
    """Service codes go with DCCP only, are well-formed, assignable and unique (§8.1.1, §10.3).

    A DCCP port without a code in this registry is legacy: RFC 5595 §2.1 wants every
    registered DCCP port to have one, but §10.3.2 only says the codes SHOULD be listed
    here, and the published registry leaves them out for ``avt-profile-1``/``-2`` and
    ``syslog-tls`` (whose codes RTPA... and SYLG are in IANA's Service Codes registry)
    and for ``aws-wsp``. The experimental ports 1021-1022 need none (§10.2).
    """
    owners: dict[int, tuple[int, Record]] = {}
    for index, record in enumerate(registry.records):
        code_text = (record.service_code or "").strip()
        is_dccp = record.transport == "dccp"
        if code_text and not is_dccp:
            yield Finding(
                ERROR,
                "service-code-without-dccp",
                f"{describe_record(record)} has service code {code_text} but is not DCCP",
                index,
                code_text,
                "8.1.1",
            )
        if not code_text:
            if is_dccp and rules.record_state(record) == rules.ASSIGNED and not _experimental(record):
                yield Finding(
                    LEGACY,
                    "dccp-without-service-code",
                    f"{describe_record(record)} lists no DCCP service code",
                    index,
                    record.name,
                    "10.3.2",
                )
            continue
        try:
            code = rules.parse_service_code(code_text)
        except RuleViolation as exc:
            yield Finding(
                ERROR, "bad-service-code", f"{describe_record(record)}: {exc.message}", index, code_text, "8.1.1"
            )
            continue
        allocation = rules.service_code_allocation(code)
        if allocation in ("reserved", "private use"):
            yield Finding(
                ERROR,
                "bad-service-code",
                f"{describe_record(record)}: service code {code_text} is "
                f"{allocation} and never assigned (RFC 5595 §2.3-2.5)",
                index,
                code_text,
                "10.3",
            )
        elif allocation == "specification required" and not record.citations:
            yield Finding(
                WARNING,
                "service-code-without-specification",
                f"{describe_record(record)}: service code {code_text} needs "
                "a specification (RFC 5595 §5), but the record cites none",
                index,
                code_text,
                "10.3",
            )
        previous = owners.setdefault(code, (index, record))
        if previous[0] != index and not _same_service(previous[1], record):
            yield Finding(
                ERROR,
                "duplicate-service-code",
                f"{describe_record(record)}: service code {code_text} is already used by record {previous[0]}",
                index,
                code_text,
                "8.1.1",
            )


def _experimental(record: Record) -> bool:
    return (
        record.port is not None
        and record.port.low in rules.EXPERIMENTAL_PORTS
        and record.port.high in rules.EXPERIMENTAL_PORTS
    )


def _same_service(a: Record, b: Record) -> bool:
    return bool(a.name and b.name) and rules.name_key(a.name or "") == rules.name_key(b.name or "") and a.port == b.port


_CHECKS: tuple[Callable[[Registry], Iterable[Finding]], ...] = (
    _check_names,
    _check_name_identity,
    _check_transports,
    _check_ports,
    _check_unassigned_overlaps,
    _check_people,
    _check_footnotes,
    _check_dates,
    _check_service_codes,
)
