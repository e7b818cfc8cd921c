"""The automatic checks, run when a request is filed (or dry-run) and again when it is approved.

Each finding names the field at fault and the RFC section it rests on; errors stop a
request, warnings are told to the requester and the reviewers. The checks read the
registry as it stands and the holds of the other open requests through a *view*
(the store's workflow transaction, so that what is checked stays true until commit).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple, Protocol, Sequence

from ... import rules
from ...errors import RuleViolation
from ...model import Record
from ...store import StoredRecord
from . import holds
from .states import (
    ADD_TRANSPORT,
    ASSIGNMENT,
    DEASSIGNMENT,
    MODIFICATION,
    REUSE,
    REVOCATION,
    TRANSFER,
)

ERROR, WARNING = "error", "warning"


class Finding(NamedTuple):
    field: str
    section: str
    message: str
    level: str = ERROR

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "section": self.section, "message": self.message, "level": self.level}

    def __str__(self) -> str:
        return (
            f"{self.level}: {self.field}: {self.message} (RFC 6335 §{self.section})"
            if self.section[0].isdigit()
            else (f"{self.level}: {self.field}: {self.message} ({self.section})")
        )


class View(Protocol):
    def records_at(self, port: int, transport: str | None = None) -> list[StoredRecord]: ...
    def records_named(self, name: str) -> list[StoredRecord]: ...
    def service_code_records(self, code: str) -> int: ...
    def holders(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]: ...
    def request(self, request_id: int) -> dict[str, Any] | None: ...
    def person(self, person_id: str) -> tuple[str | None, tuple[str, ...]] | None: ...


_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_STYLE_WORDS = ("port", "service", "protocol")
_CAST = re.compile(r"\b(unicast|multicast|broadcast|anycast)\b", re.IGNORECASE)
_MIN_CALL_DAYS = 28


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.level == ERROR for f in findings)


def run(
    data: dict[str, Any], view: View, *, own: int | None = None, staff: bool = False, requester: str | None = None
) -> list[Finding]:
    """Every finding on request ``data``; ``own`` is the request's own number (its holds are
    its own); ``requester`` the filer's address, compared with the people on record."""
    found: list[Finding] = []
    kind = data["kind"]
    if requester is not None and kind in (ADD_TRANSPORT, MODIFICATION, DEASSIGNMENT, REUSE):
        _on_record(data, view, requester, found)
    if kind in (ASSIGNMENT, TRANSFER, REUSE):
        _new_name(data, view, own, found)
        _template(data, found)
        _transports(data, found)
        _dccp(data, view, own, found)
    if kind == ASSIGNMENT:
        _port(data, view, own, found, data.get("port"))
    if kind in (ADD_TRANSPORT, MODIFICATION, DEASSIGNMENT, REUSE, REVOCATION):
        _target(data, view, found)
    if kind == ADD_TRANSPORT:
        _add_transport(data, view, own, found)
    if kind == MODIFICATION:
        _modification(data, found)
    if kind == DEASSIGNMENT:
        _owner(data, view, found, "8.2")
    if kind == REUSE:
        _owner(data, view, found, "8.3")
        _reuse(data, view, found)
    if kind == REVOCATION:
        _revocation(data, view, found, staff)
    if kind == TRANSFER:
        _transfer(data, view, own, found)
    return found


# ------------------------------------------------------------------------ the template


def _new_name(data: dict[str, Any], view: View, own: int | None, found: list[Finding]) -> None:
    name = data.get("service_name")
    if not name:
        found.append(Finding("service_name", "8.1.1", "a service name is required"))
        return
    if not rules.is_valid_service_name(name):
        if rules.is_legacy_name(name):
            better = rules.replacement_name(name)
            hint = f"; {better!r} would be well-formed" if better else ""
            found.append(
                Finding(
                    "service_name", "5.1", f"{name!r} is a legacy form (§10), never acceptable for a new request{hint}"
                )
            )
        for problem in rules.service_name_problems(name):
            found.append(Finding("service_name", "5.1", problem))
        return
    words = [w for w in _STYLE_WORDS if w in name.lower()]
    if words:
        found.append(
            Finding(
                "service_name",
                "5",
                f"avoid redundant words such as {', '.join(repr(w) for w in words)} in a name",
                WARNING,
            )
        )
    if view.records_named(name):
        found.append(
            Finding("service_name", "8.1.1", f"{name!r} is already assigned (names compare without regard to case)")
        )
    holder = view.holders([holds.name_hold(name)])
    if holder and next(iter(holder.values())) != own:
        found.append(Finding("service_name", "8.1.1", f"an open request holds the name {name!r}; choose another name"))


def _template(data: dict[str, Any], found: list[Finding]) -> None:
    for party in ("assignee", "contact"):
        value = data.get(party)
        if not value or not value.get("name"):
            found.append(Finding(f"{party}.name", "8.1.1", f"the {party}'s name is required"))
        if not value or not value.get("email"):
            found.append(Finding(f"{party}.email", "8.1.1", f"the {party}'s email address is required"))
        elif not _EMAIL.fullmatch(value["email"]):
            found.append(Finding(f"{party}.email", "8.1.1", f"{value['email']!r} is not an email address"))
    description = data.get("description")
    if not description:
        found.append(Finding("description", "8.1.1", "a description is required"))
    else:
        if len(description) > 200:
            found.append(Finding("description", "8.1.1", "keep the description short (under 200 characters)", WARNING))
        words = [w for w in ("service", "protocol") if re.search(rf"\b{w}\b", description, re.IGNORECASE)]
        if words:
            found.append(Finding("description", "5", f"avoid the words {', '.join(repr(w) for w in words)}", WARNING))
    reference = data.get("reference")
    if not reference:
        found.append(
            Finding(
                "reference", "8.1.1", "a reference is required: the specification, or a description of the protocol"
            )
        )
    elif not _CAST.search(reference):
        found.append(
            Finding(
                "reference",
                "8.1.1",
                "the reference must state whether the protocol uses unicast, multicast, broadcast or anycast",
            )
        )


def _transports(data: dict[str, Any], found: list[Finding]) -> None:
    if not data.get("transports"):
        found.append(Finding("transports", "8.1.1", "at least one transport is required (also for a name only)"))


def _dccp(data: dict[str, Any], view: View, own: int | None, found: list[Finding]) -> None:
    text = data.get("service_code")
    if "dccp" not in (data.get("transports") or ()):
        if text:
            found.append(Finding("service_code", "8.1.1", "a service code is given only with the dccp transport"))
        return
    if not text:
        found.append(Finding("service_code", "8.1.1", "dccp needs a DCCP service code (RFC 5595)"))
        return
    try:
        code = rules.parse_service_code(text)
    except RuleViolation as exc:
        found.append(Finding("service_code", "RFC 5595 §2.2", exc.message))
        return
    if rules.is_reserved_service_code(code):
        found.append(Finding("service_code", "RFC 5595 §2.4", f"service code {code} is reserved and never assigned"))
    elif rules.is_private_service_code(code):
        found.append(
            Finding(
                "service_code", "RFC 5595 §2.3", f"service code {code} is in the private-use range and never assigned"
            )
        )
    elif rules.service_code_ascii(code) is None:
        found.append(
            Finding(
                "service_code", "RFC 5595 §2.2", f"service code {code} has no ASCII form; assigned codes must have one"
            )
        )
    if view.service_code_records(str(code)):
        found.append(Finding("service_code", "8.1.1", f"service code {code} is already assigned"))
    holder = view.holders([holds.code_key(code)])
    if holder and next(iter(holder.values())) != own:
        found.append(Finding("service_code", "8.1.1", f"an open request holds service code {code}"))
    if rules.service_code_needs_specification(code):
        found.append(
            Finding(
                "service_code",
                "RFC 5595 §5",
                "codes of only capitals, digits, space and -./ need a specification",
                WARNING,
            )
        )


def _port(
    data: dict[str, Any],
    view: View,
    own: int | None,
    found: list[Finding],
    port: int | str | None,
    *,
    reserved_ok: tuple[str, ...] = (),
    assigned_ok: str | None = None,
) -> None:
    """The range policy (§6, §8.1.2) and that ``port`` is free on every transport asked for;
    a local registry's ranges and rules instead, when ``view`` is a local registry's."""
    if port is None:
        return
    if getattr(view, "local", None) is not None:
        from .local import LocalView, check_port

        assert isinstance(view, LocalView)
        check_port(data, view, own, found, port, reserved_ok=reserved_ok, assigned_ok=assigned_ok)
        return
    justification = data.get("justification")
    if isinstance(port, str):
        klass = port
    else:
        try:
            klass = rules.range_class(port)
        except RuleViolation as exc:
            found.append(Finding("port", "6", exc.message))
            return
    if klass == "dynamic":
        found.append(Finding("port", "6", f"port {port} is a dynamic port (49152-65535): never assigned"))
        return
    if klass == "system":
        found.append(
            Finding(
                "port",
                "8.1.2",
                "system ports are assigned only through IETF Review or IESG Approval: the request goes to the IESG",
                WARNING,
            )
        )
        if not justification:
            found.append(
                Finding(
                    "justification",
                    "8.1.2",
                    "a system port needs a justification of why neither a dynamic nor a user port will do",
                )
            )
    elif not justification:
        found.append(
            Finding("justification", "8.1.2", "a user port needs a justification of why a dynamic port will not do")
        )
    if isinstance(port, str):
        return
    if port in rules.EXPERIMENTAL_PORTS:
        found.append(Finding("port", "6.1", f"port {port} is for RFC 3692-style experiments and is never assigned"))
        return
    transports = data.get("transports") or ()
    held = view.holders([holds.port_key(port, t) for t in transports])
    for t in transports:
        named, reserved = occupants(view, port, t, assigned_ok)
        if named:
            found.append(Finding("port", "8.1.1", f"port {port}/{t} is assigned to {named[0].name!r}"))
        elif reserved and t not in reserved_ok:
            found.append(
                Finding(
                    "port",
                    "8.1",
                    f"port {port}/{t} is Reserved: assigning it needs IESG Approval, so the request goes to the IESG",
                    WARNING,
                )
            )
        found.extend(held_elsewhere(held, port, t, own))


def occupants(view: View, port: int, transport: str, assigned_ok: str | None) -> tuple[list[Record], list[Record]]:
    """The records of ``view`` on ``port``/``transport``: those assigned to a service other
    than ``assigned_ok`` (the one the request is about), and those kept Reserved."""
    records = view.records_at(port, transport)
    named = [
        s.record
        for s in records
        if rules.record_state(s.record) == rules.ASSIGNED
        and (assigned_ok is None or rules.name_key(s.record.name or "") != rules.name_key(assigned_ok))
    ]
    return named, [s.record for s in records if rules.record_state(s.record) == rules.RESERVED]


def held_elsewhere(
    held: dict[tuple[str, str], int], port: int, transport: str, own: int | None
) -> list[Finding]:
    """A finding when another open request than ``own`` holds ``port``/``transport``."""
    holder = held.get(holds.port_key(port, transport))
    if holder is None or holder == own:
        return []
    return [Finding("port", "8.1.1", f"an open request holds port {port}/{transport}; you may choose another port")]


# ------------------------------------------------------------------------ other kinds


def _assigned(view: View, name: str | None) -> list[Record]:
    return [s.record for s in view.records_named(name)] if name else []


def _target(data: dict[str, Any], view: View, found: list[Finding]) -> None:
    target = data.get("target") or (data.get("service_name") if data["kind"] == ADD_TRANSPORT else None)
    if not target:
        found.append(Finding("target", "8", "name the assigned service this request is about"))
    elif not _assigned(view, target):
        found.append(Finding("target", "8", f"{target!r} is not an assigned service name"))


def _registered_port(records: Sequence[Record]) -> int | None:
    ports = {r.port.low for r in records if r.port is not None and not r.port.is_range}
    return min(ports) if ports else None


def _owner(data: dict[str, Any], view: View, found: list[Finding], section: str) -> None:
    records = _assigned(view, data.get("target"))
    if records and _registered_port(records) is None:
        found.append(Finding("target", section, f"{data['target']!r} has no port to give back"))


def _add_transport(data: dict[str, Any], view: View, own: int | None, found: list[Finding]) -> None:
    target = data.get("target") or data.get("service_name")
    records = _assigned(view, target)
    if not records:
        return
    have = {r.transport for r in records}
    wanted = data.get("transports") or []
    if not wanted:
        found.append(Finding("transports", "8.1.1", "name the transports to add"))
    for t in wanted:
        if t in have:
            found.append(Finding("transports", "8.1.1", f"{target!r} already has {t}"))
    port = _registered_port(records)
    if data.get("port") is not None and data["port"] != port:
        found.append(Finding("port", "7.2", f"one port per service: {target!r} has port {port}"))
    if "dccp" in wanted and not data.get("service_code"):
        found.append(Finding("service_code", "8.1.1", "dccp needs a DCCP service code (RFC 5595)"))
    if port is not None:
        new = {
            **data,
            "transports": [t for t in wanted if t not in have],
            "justification": data.get("justification") or "-",
        }
        _port(new, view, own, found, port, reserved_ok=tuple(wanted))


def needs_iesg(findings: Sequence[Finding]) -> bool:
    """A system port (§8.1.2) or a Reserved one (§8.1) is the IESG's to approve, not the experts'."""
    return any(f.field == "port" and f.level == WARNING and f.section in ("8.1", "8.1.2") for f in findings)


def _on_record(data: dict[str, Any], view: View, requester: str, found: list[Finding]) -> None:
    """Changes to an assignment come from its assignee or contact (§8.1.1, §8.6); anyone else's
    are flagged for staff to confirm with the assignee."""
    target = data.get("target") or data.get("service_name")
    ids = {pid for r in _assigned(view, target) for pid in (*r.assignees, *r.contacts)}
    uris = {u.casefold() for pid in ids for u in (view.person(pid) or (None, ()))[1]}
    if f"mailto:{requester.replace('@', '&')}".casefold() not in uris and f"mailto:{requester}".casefold() not in uris:
        section = "8.6" if data["kind"] == MODIFICATION else "8.1.1"
        found.append(
            Finding(
                "assignee",
                section,
                "the requester is not the assignee or contact on record: staff confirm with the assignee",
                WARNING,
            )
        )


def _modification(data: dict[str, Any], found: list[Finding]) -> None:
    changes = data.get("changes") or {}
    if "assignee" in changes:
        found.append(
            Finding(
                "changes.assignee",
                "8.6",
                "the assignee can never be changed; a new party applies and the old one de-assigns (§8.5)",
            )
        )
    if not {k: v for k, v in changes.items() if k != "assignee"}:
        found.append(
            Finding(
                "changes", "8.6", "a modification names what changes: description, contact, notes or unauthorized_uses"
            )
        )


def _reuse(data: dict[str, Any], view: View, found: list[Finding]) -> None:
    found.append(
        Finding(
            "target", "8.3", "the experts must decide quickly whether the port has users beyond the assignee", WARNING
        )
    )


def _revocation(data: dict[str, Any], view: View, found: list[Finding], staff: bool) -> None:
    if not staff:
        found.append(Finding("kind", "8.4", "only the registry's staff start a revocation"))
    records = _assigned(view, data.get("target"))
    if records and _registered_port(records) is None:
        found.append(
            Finding("target", "8.4", f"{data['target']!r} has no port to revoke; revoking names is not recommended")
        )
    if data.get("clearly_unused"):
        return
    call = data.get("community_call")
    if not call or not call.get("started") or not call.get("ended"):
        found.append(
            Finding(
                "community_call",
                "8.4",
                "unless the port is clearly unused, record the four-week community call (started, ended, summary)",
            )
        )
        return
    try:
        days = (date.fromisoformat(call["ended"]) - date.fromisoformat(call["started"])).days
    except ValueError:
        found.append(Finding("community_call", "8.4", "the call's dates are YYYY-MM-DD"))
        return
    if days < _MIN_CALL_DAYS:
        found.append(Finding("community_call", "8.4", f"the community call lasted {days} days; it lasts four weeks"))


def _transfer(data: dict[str, Any], view: View, own: int | None, found: list[Finding]) -> None:
    number = data.get("transfer_from")
    if number is None:
        found.append(Finding("transfer_from", "8.5", "a transfer names the old party's de-assignment request"))
        return
    old = view.request(number)
    if old is None or old["kind"] != DEASSIGNMENT or old["state"] in ("rejected", "withdrawn"):
        found.append(Finding("transfer_from", "8.5", f"request {number} is not a live de-assignment"))
        return
    records = _assigned(view, old["data"].get("target"))
    port = old["port"] if old["port"] is not None else _registered_port(records)
    if port is None:
        found.append(Finding("transfer_from", "8.5", f"request {number} gives back no port"))
        return
    if data.get("port") not in (None, port):
        found.append(Finding("port", "8.5", f"a transfer takes the port the old party gives back, {port}"))
    _port(
        {**data, "justification": data.get("justification") or "-"}, view, own, found, port,
        reserved_ok=tuple(data.get("transports") or ()), assigned_ok=old["data"].get("target"),
    )
