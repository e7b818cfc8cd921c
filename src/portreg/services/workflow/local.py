"""Requests to a local registry: RFC 6335's process with the registry's own rules.

A local registry (``portreg registry create acme --owns 20000-20999``) assigns through
the same process as the upstream one: the same template, states, holds, audit trail
and publication. What differs is written in its rules (``registry_rules``,
``registry_exceptions``), read under the workflow's write lock:

- **its ranges replace the range policy**: a port outside the ranges the registry
  allocates from is refused; inside them, no range class is refused (a registry that
  owns 50000-50999 assigns there) and nothing goes to the IESG;
- **never a port the upstream assigns or reserves** on that transport, unless the
  registry records an *exception* for it (with the reason, shown with the request);
  nor a port an open upstream request holds;
- **one namespace of names**: a new local name may not be an upstream name, ignoring
  case, nor held by an open upstream request (RFC 6335 §5.1);
- **relaxed checks**: the registry may turn some checks' errors into warnings
  (:data:`RELAXABLE`), never the ones above;
- **its review group**: every request goes to one group, by default the group named
  after the registry (``acme``), instead of the transports' groups.

The upstream's requests never see any of this: their checks read only the upstream's
rows and holds, exactly as without local registries.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ... import rules
from ...errors import InvalidQuery, PermissionDenied
from ...store import LocalRules, PortException, Store, StoredRecord
from ...store._registries import UPSTREAM
from ...store._workflow import WorkflowTransaction
from . import checks, holds
from ._accounts import Account
from .checks import ERROR, WARNING, Finding, held_elsewhere, occupants
from .states import ASSIGNMENT, REUSE, TRANSFER

#: The checks a local registry may relax: their errors become warnings there.
RELAXABLE: dict[str, str] = {
    "name-syntax": "names IANA refuses on syntax (§5.1: 1-15 letters, digits and hyphens; legacy forms); "
    "a name is still at most 63 characters without spaces",
    "justification": "no justification of why a dynamic port will not do (§8.1.2)",
    "reference": "no reference, or no statement of unicast, multicast, broadcast or anycast use (§8.1.1)",
    "description": "no description (§8.1.1)",
}
#: The section a finding of the local rules names (it rests on the registry's rules, not the RFC).
SECTION = "local"
_MAX_NAME = 63
_BAD_NAME = re.compile(r"[\s\x00-\x1f\x7f#]")


def review_group(rules: LocalRules) -> str:
    """The review group of a local registry's requests: its own, or the one named after it
    (a group name has at most 16 characters: a longer registry's rules must name one)."""
    if rules.review_group:
        return rules.review_group
    return rules.registry if len(rules.registry) <= 16 else "tcp-udp"


def check_relaxed(names: Sequence[str]) -> frozenset[str]:
    """``names`` if each is a check a local registry may relax; InvalidQuery otherwise."""
    for name in names:
        if name not in RELAXABLE:
            raise InvalidQuery(
                f"{name!r} is not a check a local registry may relax; those are {', '.join(RELAXABLE)}",
                parameter="relax",
            )
    return frozenset(names)


class LocalView:
    """The workflow transaction seen as a local registry: its records, people, holds.

    Holds of a local registry are keys of their own (``acme:port`` ``20100/tcp``), so
    that a local request never blocks an upstream one; :func:`run` adds the checks
    that look across to the upstream.
    """

    def __init__(self, tx: WorkflowTransaction, rules: LocalRules) -> None:
        self.tx = tx
        self.local = rules
        self.registry = rules.registry

    def records_at(self, port: int, transport: str | None = None) -> list[StoredRecord]:
        return self.tx.records_at(port, transport, self.registry)

    def records_named(self, name: str) -> list[StoredRecord]:
        return self.tx.records_named(name, self.registry)

    def service_code_records(self, code: str) -> int:
        """DCCP service codes are one namespace with the upstream's, as names are."""
        return self.tx.service_code_records(code, self.registry) + self.tx.service_code_records(code)

    def holders(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        found = self.tx.holders(holds.scoped(keys, self.registry))
        return {(kind, key.partition(":")[2]): rid for (kind, key), rid in found.items()}

    def request(self, request_id: int) -> dict[str, Any] | None:
        return self.tx.request(request_id)

    def person(self, person_id: str) -> tuple[str | None, tuple[str, ...]] | None:
        return self.tx.person(person_id, self.registry)


def view_of(tx: WorkflowTransaction, registry: str) -> WorkflowTransaction | LocalView:
    """What a request to ``registry`` is checked and published against."""
    if registry == UPSTREAM:
        return tx
    if tx.registry_kind(registry) is None:
        raise InvalidQuery(
            f"the store holds no registry {registry!r}: ask {UPSTREAM} or one of its local registries",
            parameter="registry",
        )
    return LocalView(tx, tx.local_rules(registry))


def run(
    data: dict[str, Any],
    view: LocalView,
    *,
    own: int | None = None,
    staff: bool = False,
    requester: str | None = None,
) -> list[Finding]:
    """Every finding on a request to a local registry: RFC 6335's checks on its own rows
    (ports judged by :func:`check_port`), the checks across to the upstream, then the
    registry's relaxations."""
    found = checks.run(data, view, own=own, staff=staff, requester=requester)
    name = data.get("service_name")
    if name and data["kind"] in (ASSIGNMENT, TRANSFER, REUSE):
        _name(name, view, own, found)
    return _relax(found, view.local)


def _name(name: str, view: LocalView, own: int | None, found: list[Finding]) -> None:
    if len(name) > _MAX_NAME or _BAD_NAME.search(name):
        found.append(
            Finding("service_name", SECTION, f"a name has at most {_MAX_NAME} characters, without spaces or '#'")
        )
    if not rules.is_valid_service_name(name) and "name-syntax" in view.local.relaxed:
        # The RFC's checks stop at a malformed name; a relaxed registry still keeps names unique.
        if view.records_named(name):
            found.append(Finding("service_name", "8.1.1", f"{name!r} is already assigned in {view.registry}"))
        holder = view.holders([holds.name_hold(name)])
        if holder and next(iter(holder.values())) != own:
            found.append(Finding("service_name", "8.1.1", f"an open request holds the name {name!r}"))
    upstream = view.tx.records_named(name)
    if upstream:
        ports = ", ".join(sorted({_where(s) for s in upstream}))
        found.append(
            Finding(
                "service_name",
                "5.1",
                f"{UPSTREAM} assigns the name {name!r} ({ports}): local and upstream names are one namespace, "
                "ignoring case",
            )
        )
    if view.tx.holders([holds.name_hold(name)]):
        found.append(Finding("service_name", "8.1.1", f"an open request to {UPSTREAM} holds the name {name!r}"))


def _where(stored: StoredRecord) -> str:
    record = stored.record
    return f"{record.port or 'no port'}/{record.transport}" if record.transport else str(record.port or "no port")


def check_port(
    data: dict[str, Any],
    view: LocalView,
    own: int | None,
    found: list[Finding],
    port: int | str | None,
    *,
    reserved_ok: tuple[str, ...] = (),
    assigned_ok: str | None = None,
) -> None:
    """A local port: in the registry's ranges, free in the registry, and not the upstream's
    on any transport asked for (unless recorded as an exception)."""
    local = view.local
    if port is None:
        return
    ranges = ", ".join(str(r) for r in local.ranges) or "none yet"
    if isinstance(port, str):
        if port != "user":
            found.append(
                Finding(
                    "port",
                    SECTION,
                    f"{view.registry} assigns from its own ranges ({ranges}): name the port, or ask for "
                    '"user" (any port of its ranges)',
                )
            )
            return
        free = first_free(view, data.get("transports") or (), own=own)
        if free is None:
            found.append(Finding("port", SECTION, f"{view.registry} has no free port left in its ranges ({ranges})"))
        else:
            found.append(
                Finding(
                    "port",
                    SECTION,
                    f"staff choose a port of {view.registry}'s ranges at assignment (the first free one now: {free})",
                    WARNING,
                )
            )
        return
    if not data.get("justification"):
        found.append(
            Finding("justification", "8.1.2", "a port needs a justification of why a dynamic port will not do")
        )
    try:
        rules.range_class(port)
    except Exception as exc:  # a port beyond 65535: the range module says why
        found.append(Finding("port", "6", str(exc)))
        return
    transports = data.get("transports") or ()
    held = view.holders([holds.port_key(port, t) for t in transports])
    upstream_held = view.tx.holders([holds.port_key(port, t) for t in transports])
    for t in transports:
        if not local.owns(port, t):
            found.append(
                Finding(
                    "port",
                    SECTION,
                    f"port {port}/{t} is outside the ranges {view.registry} allocates from ({ranges})",
                )
            )
        upstream = [
            s.record
            for s in view.tx.records_at(port, t)
            if rules.record_state(s.record) in (rules.ASSIGNED, rules.RESERVED)
        ]
        if upstream:
            what = f"assigns {port}/{t} to {upstream[0].name!r}" if upstream[0].name else f"keeps {port}/{t} reserved"
            exception = local.exception(port, t)
            if exception is None:
                found.append(
                    Finding(
                        "port",
                        SECTION,
                        f"{UPSTREAM} {what}: {view.registry} never assigns it without a recorded exception",
                    )
                )
            else:
                found.append(
                    Finding(
                        "port",
                        SECTION,
                        f"{UPSTREAM} {what}; {view.registry} records an exception: {exception.reason}",
                        WARNING,
                    )
                )
        if holds.port_key(port, t) in upstream_held:
            found.append(
                Finding("port", "8.1.1", f"an open request to {UPSTREAM} holds port {port}/{t}; choose another port")
            )
        named, reserved = occupants(view, port, t, assigned_ok)
        if named:
            found.append(Finding("port", "8.1.1", f"port {port}/{t} is assigned to {named[0].name!r}"))
        elif reserved and t not in reserved_ok:
            found.append(Finding("port", "8.1", f"port {port}/{t} is Reserved in {view.registry}"))
        found.extend(held_elsewhere(held, port, t, own))


def first_free(view: LocalView, transports: Sequence[str], *, own: int | None = None) -> int | None:
    """The lowest port of the registry's ranges free on every one of ``transports``: owned on
    each, without a record of the registry or an assignment or reservation of the upstream
    (unless excepted), and unheld. Reads port by port, lowest first: a registry's ranges
    fill from the bottom, so the first free port is seldom far."""
    transports = list(transports) or ["tcp"]
    for port_range in view.local.ranges:
        for port in range(port_range.low, port_range.high + 1):
            if not all(view.local.owns(port, t) for t in transports):
                continue
            found: list[Finding] = []
            check_port({"transports": transports, "justification": "-"}, view, own, found, port)
            if not checks.has_errors(found):
                return port
    return None


def _relaxable(finding: Finding) -> str | None:
    if finding.field == "service_name" and finding.section == "5.1" and not finding.message.startswith(UPSTREAM):
        return "name-syntax"
    if finding.field in ("justification", "reference", "description"):
        return finding.field
    return None


def _relax(found: list[Finding], local: LocalRules) -> list[Finding]:
    relaxed = []
    for f in found:
        check = _relaxable(f)
        if f.level == ERROR and check is not None and check in local.relaxed:
            f = f._replace(level=WARNING, message=f"{f.message} ({local.registry} relaxes {check})")
        relaxed.append(f)
    return relaxed


# --------------------------------------------------------------------------- the rules themselves


def _local(store: Store, registry: str) -> None:
    info = store.registries.get(registry)
    if not info.local:
        raise InvalidQuery(
            f"{registry} is the upstream registry: its process is RFC 6335's, without local rules",
            parameter="registry",
        )


def rules_of(store: Store, registry: str) -> LocalRules:
    """The rules local registry ``registry`` assigns by (NotFound when the store has no such registry)."""
    _local(store, registry)
    return store.registry_rules.get(registry)


#: Who may change a local registry's rules over the web: its operators.
MANAGERS = frozenset({"staff", "admin"})


def _manager(account: Account | None, actor: str | None) -> str | None:
    """The actor recorded: the account's address when one acts (it must be staff or an
    admin), else ``actor`` (the command line, run by the store's operator)."""
    if account is None:
        return actor
    if not account.active:
        raise PermissionDenied("this account is disabled")
    if not MANAGERS & set(account.roles):
        raise PermissionDenied("a local registry's rules are changed by staff or an admin")
    return account.email


def set_rules(
    store: Store,
    registry: str,
    *,
    review_group: str | None = None,
    relax: Sequence[str] = (),
    enforce: Sequence[str] = (),
    actor: str | None = None,
    account: Account | None = None,
) -> LocalRules:
    """Change who reviews a local registry's requests and which checks it relaxes.

    ``review_group``: one of the upstream's groups or a name of up to 16 letters,
    digits and hyphens (the default is the registry's own name); ``relax`` and
    ``enforce`` add checks to and remove them from the relaxed ones (:data:`RELAXABLE`).
    ``account``: who acts over the web (PermissionDenied unless staff or an admin).
    """
    actor = _manager(account, actor)
    current = rules_of(store, registry)
    group = current.review_group if review_group is None else check_group(review_group)
    relaxed = (current.relaxed | check_relaxed(relax)) - check_relaxed(enforce)
    return store.registry_rules.set(registry, review_group=group, relaxed=relaxed, actor=actor)


def check_group(group: str) -> str:
    """``group`` if it can name a review group (a column of 16 characters)."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", group or ""):
        raise InvalidQuery(
            f"{group!r} cannot name a review group: 2 to 16 lower-case letters, digits and hyphens",
            parameter="group",
        )
    return group


def add_exception(
    store: Store,
    registry: str,
    port: int,
    transport: str,
    reason: str,
    *,
    actor: str | None = None,
    account: Account | None = None,
) -> PortException:
    """Record that local registry ``registry`` may assign ``port``/``transport`` although the
    upstream assigns or reserves it (its requests then carry a warning, not an error)."""
    actor = _manager(account, actor)
    _local(store, registry)
    _port_and_transport(port, transport)
    added = store.registry_rules.add_exception(registry, port, transport, reason, actor=actor)
    from ..conflicts import refresh

    refresh(store, registry)  # its open conflicts on that port are settled by the exception
    return added


def remove_exception(
    store: Store, registry: str, port: int, transport: str, *, account: Account | None = None
) -> PortException:
    """Withdraw an exception; what was assigned under it stays, new requests are refused
    again, and the conflicts it settled are open again."""
    _manager(account, None)
    _local(store, registry)
    _port_and_transport(port, transport)
    removed = store.registry_rules.remove_exception(registry, port, transport)
    from ..conflicts import refresh

    refresh(store, registry)
    return removed


def _port_and_transport(port: int, transport: str) -> None:
    from ...model import TRANSPORTS

    if not 0 <= port <= rules.MAX_PORT:
        raise InvalidQuery(f"port {port} is not a port 0-{rules.MAX_PORT}", parameter="port")
    if transport not in TRANSPORTS:
        raise InvalidQuery(f"transport is one of {', '.join(TRANSPORTS)}", parameter="transport")


def rules_json(found: LocalRules) -> dict[str, Any]:
    """The rules as the API and ``--json`` write them."""
    return {
        "registry": found.registry,
        "ranges": [str(r) for r in found.ranges],
        "review_group": review_group(found),
        "relaxed": sorted(found.relaxed),
        "relaxable": RELAXABLE,
        "exceptions": [exception_json(e) for e in found.exceptions],
        "updated_at": found.updated_at,
        "updated_by": found.updated_by,
    }


def registry_choices(store: Store) -> list[dict[str, Any]]:
    """The registries a request may ask, in stack order (the one this instance operates
    first), each with its title and ranges; empty when the store holds only the upstream,
    so that a form asks nothing then."""
    if not store.registries.has_local():
        return []
    return [
        {"name": info.name, "title": info.title, "local": info.local, "ranges": [str(r) for r in info.ranges]}
        for info in store.registries.all()
    ]


def review_groups(store: Store) -> list[str]:
    """Every review group: the upstream's, then each local registry's (its rules' or its own name)."""
    from .requests import GROUPS

    found = list(GROUPS)
    for info in store.registries.all():
        if info.local:
            group = review_group(store.registry_rules.get(info.name))
            if group not in found:
                found.append(group)
    return found


def exception_json(found: PortException) -> dict[str, Any]:
    """An exception as the API and ``--json`` write it."""
    return {
        "port": found.port,
        "transport": found.transport,
        "reason": found.reason,
        "created_at": found.created_at,
        "created_by": found.created_by,
    }
