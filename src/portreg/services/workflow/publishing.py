"""What an approved request changes in the registry, as a :class:`~portreg.store.Change`.

The store writes the change as one new version (``store/_publish.py``); this module
decides its content, following RFC 6335:

- a new assignment: one record per requested transport, registered today; the same
  number Reserved for the same assignee on every other transport (§7.2, §8.1);
- another transport: a record on it, replacing the assignee's own reservation;
- a modification: the records of the name with the new description, contact, notes,
  dated today (§8.6), the assignee untouched;
- a de-assignment or revocation: each record of the name keeps its name, without a
  port (a name-only entry), and the port becomes Reserved, with a note saying what it
  was (§8.2, §8.4);
- a reuse: the old name kept as name-only, the port assigned to the new name (§8.3);
- a transfer: the port the old party gave back, assigned to the new party (§8.5).

People named by the request join the registry under ids in IANA's style
(``Jon_Postel``); an id already taken by someone with another address gets a suffix.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Protocol

from ...model import TRANSPORTS, Person, PortRange, Record, Reference, Text
from ...rules import (
    ASSIGNED,
    RESERVED,
    UNASSIGNED,
    name_key,
    parse_service_code,
    record_state,
)
from ...store import Change, StoredRecord
from .states import (
    ADD_TRANSPORT,
    ASSIGNMENT,
    DEASSIGNMENT,
    MODIFICATION,
    REUSE,
    REVOCATION,
    TRANSFER,
)


class Registry(Protocol):
    def records_at(self, port: int, transport: str | None = None) -> list[StoredRecord]: ...
    def records_named(self, name: str) -> list[StoredRecord]: ...
    def person(self, person_id: str) -> tuple[str | None, tuple[str, ...]] | None: ...


_RFC = re.compile(r"\bRFC\s?(\d{1,5})\b", re.IGNORECASE)
_DRAFT = re.compile(r"\b(draft-[a-z0-9-]+[a-z0-9])\b", re.IGNORECASE)
_URI = re.compile(r"\bhttps?://[^\s<>\"\]]+")


def change_for(request: dict[str, Any], registry: Registry, today: str) -> Change:
    """The change that publishing ``request`` (a row of ``requests``) makes, dated ``today``."""
    data, port = request["data"], request["port"]
    change = Change(updated=today)
    people = _People(registry, today, change)
    kind = data["kind"]
    if kind in (ASSIGNMENT, TRANSFER, REUSE):
        if kind == REUSE:
            for stored in registry.records_named(data["target"]):
                if stored.record.port is not None:
                    port = stored.record.port.low
                    note = f"Port {port} reused for {data['service_name']} on {today} (RFC 6335 §8.3)"
                    change.replace.append((stored.id, _name_only(stored.record, note, today)))
        if kind == TRANSFER and port is not None:
            for t in data["transports"]:
                change.remove.extend(s.id for s in registry.records_at(port, t) if _is_reservation(s.record, port))
        _assign(data, port, people, change, today, reserve=kind == ASSIGNMENT and port is not None, registry=registry)
    elif kind == ADD_TRANSPORT:
        existing = [s.record for s in registry.records_named(data.get("target") or data["service_name"])]
        model = existing[0]
        for t in data["transports"]:
            if port is not None:
                change.remove.extend(s.id for s in registry.records_at(port, t) if _is_reservation(s.record, port))
            change.add.append(
                dataclasses.replace(
                    model,
                    transport=t,
                    registered=today,
                    modified=None,
                    service_code=_code(data) if t == "dccp" else None,
                    layout=(),
                    spacing=(),
                )
            )
    elif kind == MODIFICATION:
        changes = data.get("changes") or {}
        contact = people.ref(changes["contact"]) if changes.get("contact") else None
        for stored in registry.records_named(data["target"]):
            record = stored.record
            new = dataclasses.replace(record, modified=today, layout=(), spacing=())
            if "description" in changes:
                new = dataclasses.replace(new, description=Text.of(changes["description"]))
            if "notes" in changes:
                new = dataclasses.replace(new, notes=Text.of(changes["notes"]))
            if "unauthorized_uses" in changes:
                new = dataclasses.replace(new, unauthorized=Text.of(changes["unauthorized_uses"]))
            if contact is not None:
                assignee = record.assignee or tuple(r for r in record.references if r.type == "person")
                new = dataclasses.replace(new, assignee=assignee, references=(contact, *record.citations))
            change.replace.append((stored.id, new))
    elif kind in (DEASSIGNMENT, REVOCATION):
        section = "8.2" if kind == DEASSIGNMENT else "8.4"
        verb = "De-assigned" if kind == DEASSIGNMENT else "Revoked"
        for stored in registry.records_named(data["target"]):
            record = stored.record
            if record.port is None:
                continue
            note = f"{verb} from port {record.port} on {today} (RFC 6335 §{section})"
            change.replace.append((stored.id, _name_only(record, note, today)))
            change.add.append(
                Record(
                    name=None,
                    port=record.port,
                    transport=record.transport,
                    description=Text.of("Reserved"),
                    assignee=record.assignee or tuple(r for r in record.references if r.type == "person"),
                    notes=Text.of(f"Was {record.name}; {verb.lower()} on {today} (RFC 6335 §{section})"),
                    registered=today,
                )
            )
    return change


def _assign(
    data: dict[str, Any],
    port: int | None,
    people: _People,
    change: Change,
    today: str,
    *,
    reserve: bool,
    registry: Registry,
) -> None:
    assignee = people.ref(data["assignee"])
    contact = people.ref(data["contact"])
    citations = _citations(data.get("reference") or "")
    span = PortRange.single(port) if port is not None else None
    if port is not None:
        # A row that says this very port is Unassigned gives way to the assignment.
        for t in TRANSPORTS:
            change.remove.extend(
                s.id
                for s in registry.records_at(port, t)
                if s.record.port == span and record_state(s.record) == UNASSIGNED
            )
    for t in data["transports"]:
        change.add.append(
            Record(
                name=data["service_name"],
                port=span,
                transport=t,
                description=Text.of(data["description"]),
                assignee=(assignee,),
                references=(contact, *citations),
                registered=today,
                notes=Text.of(data.get("notes")),
                unauthorized=Text.of(data.get("unauthorized_uses")),
                service_code=_code(data) if t == "dccp" else None,
            )
        )
    if reserve and port is not None:
        for t in TRANSPORTS:
            if t in data["transports"]:
                continue
            if any(
                record_state(s.record) in (ASSIGNED, RESERVED) and s.record.port == span
                for s in registry.records_at(port, t)
            ):
                continue
            change.add.append(
                Record(
                    name=None,
                    port=span,
                    transport=t,
                    description=Text.of("Reserved"),
                    assignee=(assignee,),
                    notes=Text.of(f"Reserved for {data['service_name']} (RFC 6335 §7.2)"),
                    registered=today,
                )
            )


def _is_reservation(record: Record, port: int) -> bool:
    return record.name is None and record.port == PortRange.single(port) and record_state(record) == RESERVED


def _name_only(record: Record, note: str, today: str) -> Record:
    old = str(record.notes) if record.notes else ""
    return dataclasses.replace(
        record, port=None, notes=Text.of(f"{old}\n{note}" if old else note), modified=today, layout=(), spacing=()
    )


def _code(data: dict[str, Any]) -> str | None:
    text = data.get("service_code")
    return str(parse_service_code(text)) if text else None


def _citations(reference: str) -> tuple[Reference, ...]:
    found: list[Reference] = [Reference("rfc", f"rfc{int(n)}") for n in _RFC.findall(reference)]
    found += [Reference("draft", d.lower()) for d in _DRAFT.findall(reference)]
    found += [Reference("uri", u.rstrip(".,;)")) for u in _URI.findall(reference)]
    return tuple(dict.fromkeys(found)) or (Reference("text", None, reference),)


class _People:
    """People the request names, as registry people: reused when known, added when new."""

    def __init__(self, registry: Registry, today: str, change: Change) -> None:
        self.registry = registry
        self.today = today
        self.change = change
        self.added: dict[str, Person] = {}

    def ref(self, party: dict[str, Any]) -> Reference:
        name, email = party["name"], party["email"]
        uri = "mailto:" + email.replace("@", "&")
        base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "Requester"
        for n in range(1, 100):
            pid = base if n == 1 else f"{base}_{n}"
            if pid in self.added:
                if uri in self.added[pid].uris:
                    return Reference("person", pid)
                continue
            found = self.registry.person(pid)
            if found is None:
                person = Person(pid, name=name, uris=(uri,), updated=self.today)
                self.added[pid] = person
                self.change.people.append(person)
                return Reference("person", pid)
            if uri in found[1] or (name_key(found[0] or "") == name_key(name) and not found[1]):
                return Reference("person", pid)
        raise ValueError(f"no free person id for {name!r}")
