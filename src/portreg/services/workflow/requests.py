"""The workflow's actions: file, dry-run, read, move, comment, vote, remind.

Every action takes the store and the acting :class:`Account` and runs in one store
transaction under the write lock: the checks it makes, the state it writes, its holds,
its events, its mail and (for an approval) the new registry version commit together.
Who may do what comes from :data:`~.states.TRANSITIONS`; a request the account may not
see is reported as absent (:class:`NotFound`), never as forbidden, so that nobody learns
of another requester's request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from ...errors import (
    Conflict,
    InvalidQuery,
    NotFound,
    PermissionDenied,
    RuleViolation,
    SignInRequired,
    Stale,
)
from ...rules import parse_service_code, range_class
from ...store import Store, Version
from ...store._registries import UPSTREAM
from ...store._workflow import WorkflowTransaction
from . import checks, clock, holds, local, notify, states
from ._accounts import Account
from .checks import Finding
from .publishing import change_for
from .states import (
    ADD_TRANSPORT,
    ASSIGNMENT,
    CLOSED,
    DEASSIGNMENT,
    EXPERT_REVIEW,
    IESG_ESCALATION,
    MODIFIED,
    NEW,
    REUSE,
    REVOCATION,
    TRANSFER,
    TURN,
    Transition,
)
from .templates import normalize, registry_of

#: Which review group looks at each transport (the registry's Expert(s) head).
GROUP_OF = {"tcp": "tcp-udp", "udp": "tcp-udp", "sctp": "sctp", "dccp": "dccp"}
GROUPS = ("tcp-udp", "sctp", "dccp", "service-codes")
#: Roles that see every request.
SEE_ALL = frozenset({"staff", "iesg", "admin"})
SYSTEM = "portreg"


class RequestRejected(RuleViolation):
    """A request the checks refuse: every finding, each naming its field and section."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.level == checks.ERROR]
        self.findings = list(findings)
        first = errors[0] if errors else findings[0]
        super().__init__("; ".join(f"{f.field}: {f.message}" for f in errors), section=first.section)


# --------------------------------------------------------------------------- who is who


def groups_for(data: Mapping[str, Any]) -> list[str]:
    """The review groups a request goes to: one per transport family, plus service codes for dccp."""
    found = [GROUP_OF[t] for t in data.get("transports") or ()]
    if "dccp" in (data.get("transports") or ()):
        found.append("service-codes")
    if not found and data.get("kind") != ASSIGNMENT:
        found.append("tcp-udp")
    return [g for g in GROUPS if g in found]


def review_groups(tx: WorkflowTransaction, request: Mapping[str, Any]) -> list[str]:
    """The groups that review ``request``: a local registry's own group, else :func:`groups_for`."""
    registry = request.get("registry") or UPSTREAM
    if registry == UPSTREAM:
        return groups_for(request["data"])
    return [local.review_group(tx.local_rules(registry))]


def _checks(
    view: WorkflowTransaction | local.LocalView,
    data: dict[str, Any],
    *,
    own: int | None = None,
    staff: bool = False,
    requester: str | None = None,
) -> list[Finding]:
    """The checks of the registry asked: RFC 6335's, or a local registry's rules over them."""
    if isinstance(view, local.LocalView):
        return local.run(data, view, own=own, staff=staff, requester=requester)
    return checks.run(data, view, own=own, staff=staff, requester=requester)


def roles_on(request: Mapping[str, Any], account: Account | None, groups: Sequence[str]) -> frozenset[str]:
    """The roles of the transition table ``account`` holds on ``request``."""
    if account is None or not account.active:
        return frozenset()
    found = set()
    if account.id == request["requester_id"]:
        found.add(states.REQUESTER)
    if "expert" in account.roles and set(account.groups) & set(groups):
        found.add(states.EXPERT)
    if "staff" in account.roles:
        found.add(states.STAFF)
    if "iesg" in account.roles:
        found.add(states.IESG)
    return frozenset(found)


def may_see(request: Mapping[str, Any], account: Account | None, groups: Sequence[str]) -> bool:
    if account is None or not account.active:
        return False
    return bool(SEE_ALL & set(account.roles)) or bool(
        roles_on(request, account, groups) & {states.REQUESTER, states.EXPERT}
    )


def _require(account: Account | None) -> Account:
    if account is None:
        raise SignInRequired("sign in first: this needs an account")
    if not account.active:
        raise PermissionDenied("this account is disabled")
    return account


def _groups(store: Store, request_id: int) -> list[str]:
    return [r["group"] for r in store.workflow().reviews(request_id)]


def _visible(store: Store, account: Account | None, request_id: int) -> dict[str, Any]:
    request = store.workflow().request(request_id)
    if request is None or not may_see(request, account, _groups(store, request_id)):
        raise NotFound(f"there is no request {request_id}")
    return request


# --------------------------------------------------------------------------- views


def view(
    store: Store | WorkflowTransaction,
    account: Account | None,
    request: dict[str, Any],
    *,
    findings: Sequence[Finding] = (),
) -> dict[str, Any]:
    """A request as its reader may see it, with the moves open to that reader (read in
    the writing transaction when given one: fewer round trips on PostgreSQL)."""
    if isinstance(store, WorkflowTransaction):
        reviews, events = store.review_rows(request["id"]), store.events(request["id"])
    else:
        reviews, events = store.workflow().reviews(request["id"]), store.workflow().events(request["id"])
    groups = [r["group"] for r in reviews]
    mine = roles_on(request, account, groups)
    data = request["data"]
    rejection = next((e["reason"] for e in reversed(events) if e["to_state"] == states.REJECTED), None)
    return {
        "id": request["id"],
        "registry": request.get("registry") or UPSTREAM,
        "kind": request["kind"],
        "state": request["state"],
        "state_label": states.LABELS[request["state"]],
        "open": bool(request["is_open"]),
        "etag": request["etag"],
        "service_name": request["service_name"],
        "port": request["port"] if request["port"] is not None else data.get("port"),
        "transports": data.get("transports") or [],
        "turn": request["turn"],
        "created_at": request["created_at"],
        "state_since": request["state_since"],
        "published_version": request["published_version"],
        "rejection": rejection,
        "reviews": [{k: v for k, v in r.items() if k != "expert_id"} for r in reviews],
        "time": clock.times(request, events),
        "data": data,
        "next": [
            {"action": t.action, "to": t.target if t.target != "*" else request["resume_state"], "note": t.note}
            for t in states.next_actions(request["state"], request["kind"])
            if t.roles & mine and _applicable(t, request)
        ],
        "findings": [f.as_json() for f in findings],
    }


def _applicable(t: Transition, request: Mapping[str, Any]) -> bool:
    """Whether a row applies beyond state and kind (routing depends on what is asked):
    a system or Reserved port goes to the IESG, not to the experts or straight through."""
    if t.action in ("route", "accept") and request["data"].get("iesg"):
        return False
    if t.action == "accept" and request["kind"] == ASSIGNMENT:
        return request["data"].get("port") is None
    return True


def event_view(event: dict[str, Any], reader_roles: frozenset[str], see_all: bool) -> dict[str, Any]:
    """An event as a reader may see it: a requester reads experts' words unsigned."""
    from ...store._codec import loads

    shown = {k: event[k] for k in ("seq", "at", "kind", "from_state", "to_state", "reason", "role")}
    anonymous = event["role"] == states.EXPERT and not see_all and states.EXPERT not in reader_roles
    shown["actor"] = "an expert" if anonymous else event["actor"]
    shown["data"] = loads(event["data"])
    shown["hash"] = event["hash"]
    return shown


# --------------------------------------------------------------------------- reading


def get(store: Store, account: Account | None, request_id: int) -> dict[str, Any]:
    """One request, if ``account`` may see it (else NotFound, whether or not it exists)."""
    _require(account)
    return view(store, account, _visible(store, account, request_id))


def list_requests(
    store: Store,
    account: Account | None,
    *,
    scope: str = "visible",
    state: str | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    registry: str | None = None,
) -> list[dict[str, Any]]:
    """Requests the account may see. ``scope``: ``mine`` (filed by it), ``queue`` (its
    review groups' open requests, or for staff and iesg every request waiting on them),
    ``visible`` (everything it may see); ``registry``: only the requests to that registry."""
    account = _require(account)
    if registry is not None:
        from ...store._registries import check_name

        check_name(registry)
    if state is not None and state not in states.STATES:
        raise InvalidQuery(f"state must be one of {', '.join(states.STATES)}", parameter="state")
    if scope not in ("mine", "queue", "visible"):
        raise InvalidQuery("scope must be mine, queue or visible", parameter="scope")
    wf = store.workflow()
    wanted = [state] if state else None
    if scope == "mine" or (scope == "visible" and not SEE_ALL & set(account.roles) and "expert" not in account.roles):
        rows = wf.requests(
            requester_id=account.id, states=wanted, open_only=open_only, limit=limit, offset=offset, registry=registry
        )
    elif scope == "queue":
        if "staff" in account.roles or "iesg" in account.roles:
            turns = {p for p in ("staff", "iesg") if p in account.roles}
            queue_states = [s for s in states.OPEN if TURN[s] in turns and (state is None or s == state)]
            rows = wf.requests(states=queue_states, open_only=True, limit=limit, offset=offset, registry=registry)
        elif "expert" in account.roles:
            rows = wf.requests(
                groups=sorted(account.groups),
                states=wanted or [EXPERT_REVIEW, states.INTERNAL_REVIEW],
                open_only=True,
                limit=limit,
                offset=offset,
                registry=registry,
            )
        else:
            raise PermissionDenied("only experts, staff and the IESG have a queue")
    elif SEE_ALL & set(account.roles):
        rows = wf.requests(states=wanted, open_only=open_only, limit=limit, offset=offset, registry=registry)
    else:
        own = wf.requests(
            requester_id=account.id, states=wanted, open_only=open_only, limit=limit + offset, registry=registry
        )
        reviewed = wf.requests(
            groups=sorted(account.groups), states=wanted, open_only=open_only, limit=limit + offset, registry=registry
        )
        merged = {r["id"]: r for r in [*own, *reviewed]}
        rows = [merged[k] for k in sorted(merged, reverse=True)][offset : offset + limit]
    return [view(store, account, r) for r in rows]


def events(store: Store, account: Account | None, request_id: int) -> list[dict[str, Any]]:
    """The request's trail, as the account may read it."""
    account = _require(account)
    request = _visible(store, account, request_id)
    mine = roles_on(request, account, _groups(store, request_id))
    see_all = bool(SEE_ALL & set(account.roles))
    return [event_view(e, mine, see_all) for e in store.workflow().events(request_id)]


# --------------------------------------------------------------------------- filing


def dry_run(store: Store, account: Account | None, raw: Mapping[str, Any]) -> list[Finding]:
    """The checks a request would meet, without filing it."""
    account = _require(account)
    data, registry = normalize(raw), registry_of(raw)
    with store.workflow().transaction() as tx:
        return _checks(local.view_of(tx, registry), data, staff="staff" in account.roles, requester=account.email)


def file(store: Store, account: Account | None, raw: Mapping[str, Any]) -> dict[str, Any]:
    """File a request: checked, held, stored as New, with its first events and mail.

    Raises :class:`RequestRejected` (a RuleViolation carrying every finding) when a check
    fails; nothing is written then.
    """
    account = _require(account)
    data, registry = normalize(raw), registry_of(raw)
    with store.workflow().transaction() as tx:
        target = local.view_of(tx, registry)
        findings = _checks(target, data, staff="staff" in account.roles, requester=account.email)
        if checks.has_errors(findings):
            raise RequestRejected(findings)
        if checks.needs_iesg(findings):
            data["iesg"] = True
        now = clock.stamp()
        request_id = tx.next_request_id()
        port = _port_of(data, target)
        code = (
            parse_service_code(data["service_code"])
            if data.get("service_code") and "dccp" in data["transports"]
            else None
        )
        row = {
            "id": request_id,
            "kind": data["kind"],
            "state": NEW,
            "etag": 1,
            "requester_id": account.id,
            "requester_email": account.email,
            "service_name": data.get("service_name") or data.get("target"),
            "name_key": (data.get("service_name") or data.get("target") or "").casefold() or None,
            "port": port,
            "data": data,
            "turn": TURN[NEW],
            "resume_state": None,
            "is_open": 1,
            "created_at": now,
            "state_since": now,
            "registry": registry,
        }
        tx.insert_request(row)
        tx.hold(request_id, holds.scoped(holds.keys_of(data, port, code), registry))
        role = states.STAFF if data["kind"] == REVOCATION else states.REQUESTER
        _event(tx, row, account, "transition", None, NEW, "filed", now=now, role=role)
        _event(
            tx,
            row,
            account,
            "check",
            NEW,
            NEW,
            _summary(findings),
            now=now,
            role=role,
            extra={"findings": [f.as_json() for f in findings]},
        )
        notify.state_changed(tx, row, None, NEW, "filed")
        request = tx.request(request_id)
        assert request is not None
        return view(tx, account, request, findings=findings)


def _port_of(data: Mapping[str, Any], tx: WorkflowTransaction | local.LocalView) -> int | None:
    """The port a request is about, when it is one number already."""
    if isinstance(data.get("port"), int):
        return int(data["port"])
    if data["kind"] in (ADD_TRANSPORT, DEASSIGNMENT, REUSE, REVOCATION):
        target = data.get("target") or data.get("service_name")
        ports = [s.record.port.low for s in tx.records_named(target or "") if s.record.port is not None]
        return min(ports) if ports else None
    if data["kind"] == TRANSFER and data.get("transfer_from"):
        old = tx.request(int(data["transfer_from"]))
        return old["port"] if old else None
    return None


def _summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "every check passed"
    return f"{sum(f.level == checks.WARNING for f in findings)} warning(s): " + "; ".join(
        f"{f.field}: {f.message}" for f in findings
    )


def _event(
    tx: WorkflowTransaction,
    request: Mapping[str, Any],
    account: Account | None,
    kind: str,
    source: str | None,
    target: str | None,
    reason: str | None,
    *,
    now: str,
    role: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    snapshot = {"state": target, "port": request["port"], "request": request["data"], **(extra or {})}
    return tx.append_event(
        {
            "request_id": request["id"],
            "at": now,
            "actor_id": account.id if account else None,
            "actor": account.email if account else SYSTEM,
            "role": role or "system",
            "kind": kind,
            "from_state": source,
            "to_state": target,
            "reason": reason,
            "data": snapshot,
        }
    )


# --------------------------------------------------------------------------- moving


def act(
    store: Store,
    account: Account | None,
    request_id: int,
    action: str,
    *,
    reason: str | None = None,
    etag: int | None = None,
    port: int | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """Take ``action`` (a row of the transition table) on a request.

    ``etag``: the version of the request the caller saw; Stale when it changed since.
    ``reason``: why (required to ask, answer and reject; shown with the request).
    ``port``: staff choosing the number of an "any user/system port" request at assign.
    ``group``: the review group an expert approves for (default: all of theirs pending).
    Approving for the last group moves the request on; assigning or applying publishes.
    Raises Conflict when the request's checks fail at approval (then it is back in
    Expert Review with a note saying why, committed), PermissionDenied when the account
    may not take this action, NotFound when it may not see the request.
    """
    account = _require(account)
    if action not in states.ACTIONS:
        raise InvalidQuery(f"action must be one of {', '.join(states.ACTIONS)}", parameter="action")
    conflict: str | None = None
    findings: list[Finding] = []
    with store.workflow().transaction() as tx:
        request = tx.request(request_id)
        groups = list(tx.reviews(request_id)) if request else []
        if request is None or not may_see(request, account, groups):
            raise NotFound(f"there is no request {request_id}")
        transition = states.transition_for(action, request["state"], request["kind"])
        mine = roles_on(request, account, groups)
        allowed = transition.roles & mine if transition is not None else frozenset()
        if transition is not None and not allowed:
            raise PermissionDenied(f"{action} on request {request_id} is for: {', '.join(sorted(transition.roles))}")
        if etag is not None and etag != request["etag"]:
            raise Stale(
                f"request {request_id} changed since version {etag} (it is at version {request['etag']}); read it again"
            )
        if transition is None or not _applicable(transition, request):
            raise Conflict(f"request {request_id} is {states.LABELS[request['state']]}: {action} is not possible now")
        role = _acting_role(allowed)
        if action in ("ask", "answer", "reject") and not reason:
            raise InvalidQuery(f"{action} needs a reason (it is shown to the requester)", parameter="reason")
        now = clock.stamp()
        target = transition.target if transition.target != "*" else (request["resume_state"] or EXPERT_REVIEW)
        if action == "approve" and request["state"] == EXPERT_REVIEW:
            target, findings = _expert_approval(tx, request, account, group, target, now, reason)
        elif action == "approve" and request["state"] == IESG_ESCALATION:
            _iesg_may_approve(tx, request_id)
        if action == "assign" and request["data"].get("port") in ("user", "system"):
            target_port = _chosen_port(request, port, local.view_of(tx, request.get("registry") or UPSTREAM))
            request = {**request, "port": target_port}
        if action in ("assign", "apply") or (action == "approve" and target and target != request["state"]):
            findings = _recheck(tx, request, publishing=action in ("assign", "apply"))
            if checks.has_errors(findings):
                conflict = "; ".join(f"{f.field}: {f.message}" for f in findings if f.level == checks.ERROR)
                _conflict(tx, request, account, role, conflict, findings, now)
                target = ""
            else:
                _event(
                    tx,
                    request,
                    account,
                    "check",
                    request["state"],
                    request["state"],
                    f"at {action}: {_summary(findings)}",
                    now=now,
                    role=role,
                    extra={"findings": [f.as_json() for f in findings]},
                )
        if target:
            _move(tx, request, account, role, transition, target, reason, now, port=port)
        updated = tx.request(request_id)
        assert updated is not None
        shown = view(tx, account, updated, findings=findings)
    if conflict is not None:
        raise Conflict(f"request {request_id} went back to Expert Review: {conflict}")
    return shown


def _acting_role(allowed: frozenset[str]) -> str:
    for role in (states.STAFF, states.IESG, states.EXPERT, states.REQUESTER):
        if role in allowed:
            return role
    return "system"


def _chosen_port(
    request: Mapping[str, Any], port: int | None, view: WorkflowTransaction | local.LocalView | None = None
) -> int:
    wanted = request["data"]["port"]
    if isinstance(view, local.LocalView):
        # Any port of the local registry's ranges: staff's choice (judged by the checks that
        # run again before publishing), else the first free one.
        if port is not None:
            return port
        free = local.first_free(view, request["data"].get("transports") or (), own=request["id"])
        if free is None:
            raise Conflict(f"{view.registry} has no free port left in its ranges")
        return free
    if port is None:
        raise InvalidQuery(f"the request asks for any {wanted} port: choose one to assign", parameter="port")
    try:
        klass = range_class(port)
    except RuleViolation as exc:
        raise InvalidQuery(exc.message, parameter="port") from None
    if klass != wanted:
        raise InvalidQuery(f"port {port} is a {klass} port; the request asks for a {wanted} port", parameter="port")
    return port


def _recheck(tx: WorkflowTransaction, request: Mapping[str, Any], *, publishing: bool) -> list[Finding]:
    data = dict(request["data"])
    if isinstance(request.get("port"), int) and data["kind"] == ASSIGNMENT:
        data["port"] = request["port"]
    kind = data["kind"]
    found = _checks(local.view_of(tx, request.get("registry") or UPSTREAM), data, own=request["id"], staff=True)
    if kind == TRANSFER and data.get("transfer_from") and publishing:
        old = tx.request(int(data["transfer_from"]))
        if old is None or old["state"] != MODIFIED:
            found.append(
                Finding(
                    "transfer_from",
                    "8.5",
                    f"the old party's de-assignment (request {data['transfer_from']}) is not applied yet",
                )
            )
    return found


def _conflict(
    tx: WorkflowTransaction,
    request: Mapping[str, Any],
    account: Account,
    role: str,
    note: str,
    findings: list[Finding],
    now: str,
) -> None:
    """Approval lost a race (or the registry changed under the request): back to review, with a note."""
    source = request["state"]
    tx.update_request(request["id"], state=EXPERT_REVIEW, turn=TURN[EXPERT_REVIEW], state_since=now)
    tx.start_reviews(request["id"], review_groups(tx, request))  # the experts look again
    moved = {**request, "state": EXPERT_REVIEW}
    _event(
        tx,
        moved,
        account,
        "conflict",
        source,
        EXPERT_REVIEW,
        f"the checks failed at approval: {note}",
        now=now,
        role=role,
        extra={"findings": [f.as_json() for f in findings]},
    )
    notify.state_changed(tx, moved, source, EXPERT_REVIEW, f"back to Expert Review: {note}")


def _expert_approval(
    tx: WorkflowTransaction,
    request: Mapping[str, Any],
    account: Account,
    group: str | None,
    target: str,
    now: str,
    reason: str | None,
) -> tuple[str, list[Finding]]:
    """Record the approving expert's groups; move on only when every group has approved."""
    pending = {g for g, d in tx.reviews(request["id"]).items() if d == "pending"}
    mine = pending & set(account.groups)
    if group is not None:
        if group not in mine:
            raise PermissionDenied(f"you do not review request {request['id']} for {group}, or it is decided")
        mine = {group}
    if not mine:
        raise Conflict(f"your groups have already decided on request {request['id']}")
    for g in sorted(mine):
        tx.decide_review(request["id"], g, "approved", account.id, now)
        _event(
            tx,
            request,
            account,
            "review",
            request["state"],
            request["state"],
            reason or f"approved for {g}",
            now=now,
            role=states.EXPERT,
            extra={"group": g},
        )
    if pending - mine:
        return "", []
    return target, []


def _iesg_may_approve(tx: WorkflowTransaction, request_id: int) -> None:
    """The IESG approves with at least one yes and no discuss standing (latest position per member)."""
    positions: dict[Any, str] = {}
    for event in tx.events(request_id):
        if event["kind"] == "vote":
            from ...store._codec import loads

            positions[event["actor_id"]] = loads(event["data"]).get("position")
    if "discuss" in positions.values():
        raise Conflict(f"request {request_id} has a discuss position standing: it must be cleared first")
    if "yes" not in positions.values():
        raise Conflict(f"request {request_id} needs at least one yes ballot before the IESG approves it")


def _move(
    tx: WorkflowTransaction,
    request: Mapping[str, Any],
    account: Account,
    role: str,
    transition: Transition,
    target: str,
    reason: str | None,
    now: str,
    *,
    port: int | None,
) -> None:
    source = request["state"]
    fields: dict[str, Any] = {"state": target, "turn": TURN[target], "state_since": now}
    if transition.action == "ask":
        fields["resume_state"] = source
    if transition.action == "answer":
        fields["resume_state"] = None
    if target == EXPERT_REVIEW and transition.action == "route":
        tx.start_reviews(request["id"], review_groups(tx, request))
    if request.get("port") is not None and request["port"] != tx.request(request["id"])["port"]:  # type: ignore[index]
        fields["port"] = request["port"]
    extra: dict[str, Any] = {}
    if transition.action in ("assign", "apply"):
        version = _publish(tx, request, account, now)
        fields["published_version"] = version.number
        extra["version"] = version.number
    if target in CLOSED:
        fields["is_open"] = 0
        tx.release(request["id"])
    tx.update_request(request["id"], **fields)
    moved = {**request, **fields}
    _event(
        tx, moved, account, "transition", source, target, reason or transition.action, now=now, role=role, extra=extra
    )
    if extra:
        _event(
            tx,
            moved,
            account,
            "publication",
            target,
            target,
            f"published as version {extra['version']}",
            now=now,
            role=role,
            extra=extra,
        )
    notify.state_changed(tx, moved, source, target, reason, question=transition.action == "ask")


def _publish(tx: WorkflowTransaction, request: Mapping[str, Any], account: Account, now: str) -> Version:
    today = now[:10]
    registry = request.get("registry") or UPSTREAM
    change = change_for(dict(request), local.view_of(tx, registry), today)
    reason = f"request {request['id']} ({request['kind']} of {request['service_name']}), approved through the workflow"
    version = tx.publish(
        change, source=f"request {request['id']}", actor=account.email, reason=reason, registry=registry
    )
    # The stack is checked in the publication's transaction, as an import's is.
    from ..conflicts import reconcile

    reconcile(
        tx.shared, version=version.number, found_by="request", registries=None if registry == UPSTREAM else (registry,)
    )
    return version


# --------------------------------------------------------------------------- comments and votes


def comment(
    store: Store, account: Account | None, request_id: int, text: str, *, etag: int | None = None
) -> dict[str, Any]:
    """Add a comment; whoever may see the request may comment on it."""
    account = _require(account)
    if not text or not text.strip():
        raise InvalidQuery("a comment has text", parameter="text")
    with store.workflow().transaction() as tx:
        request = tx.request(request_id)
        groups = list(tx.reviews(request_id)) if request else []
        if request is None or not may_see(request, account, groups):
            raise NotFound(f"there is no request {request_id}")
        if etag is not None and etag != request["etag"]:
            raise Stale(f"request {request_id} changed since version {etag}; read it again")
        role = _acting_role(
            roles_on(request, account, groups) or frozenset({"staff" if "staff" in account.roles else "iesg"})
        )
        _event(
            tx,
            request,
            account,
            "comment",
            request["state"],
            request["state"],
            text.strip(),
            now=clock.stamp(),
            role=role,
        )
        tx.update_request(request_id)
        updated = tx.request(request_id)
        assert updated is not None
        return view(tx, account, updated)


def vote(
    store: Store,
    account: Account | None,
    request_id: int,
    position: str,
    text: str | None = None,
    *,
    etag: int | None = None,
) -> dict[str, Any]:
    """An IESG member's ballot position (yes, no-objection, discuss, abstain, recuse) with its text."""
    account = _require(account)
    if position not in states.POSITIONS:
        raise InvalidQuery(f"position must be one of {', '.join(states.POSITIONS)}", parameter="position")
    with store.workflow().transaction() as tx:
        request = tx.request(request_id)
        groups = list(tx.reviews(request_id)) if request else []
        if request is None or not may_see(request, account, groups):
            raise NotFound(f"there is no request {request_id}")
        if "iesg" not in account.roles:
            raise PermissionDenied("only IESG members vote")
        if etag is not None and etag != request["etag"]:
            raise Stale(f"request {request_id} changed since version {etag}; read it again")
        if request["state"] != IESG_ESCALATION:
            raise Conflict(f"request {request_id} is not before the IESG")
        if position == "discuss" and not text:
            raise InvalidQuery("a discuss position needs its text", parameter="text")
        _event(
            tx,
            request,
            account,
            "vote",
            request["state"],
            request["state"],
            text,
            now=clock.stamp(),
            role=states.IESG,
            extra={"position": position},
        )
        tx.update_request(request_id)
        updated = tx.request(request_id)
        assert updated is not None
        return view(tx, account, updated)


def ballot(store: Store, account: Account | None, request_id: int) -> dict[str, dict[str, Any]]:
    """Each IESG member's latest position on a request."""
    found: dict[str, dict[str, Any]] = {}
    for event in events(store, account, request_id):
        if event["kind"] == "vote":
            found[event["actor"]] = {
                "position": event["data"].get("position"),
                "text": event["reason"],
                "at": event["at"],
            }
    return found


# --------------------------------------------------------------------------- reminders


def remind(store: Store, *, at: datetime | None = None, limits: dict[str, timedelta] | None = None) -> list[int]:
    """Remind whoever holds each request past its queue's limit, once per wait; returns the request numbers."""
    moment = at or clock.now()
    reminded = []
    with store.workflow().transaction() as tx:
        for request in store.workflow().requests(open_only=True, limit=100000):
            if not clock.overdue(request, moment, limits):
                continue
            recent = [
                e
                for e in tx.events(request["id"])
                if e["kind"] == "reminder" and e["at"] >= request["state_since"]
            ]
            if recent:
                continue
            waited = moment - clock.parse(request["state_since"])
            _event(tx, request, None, "reminder", request["state"], request["state"],
                   f"waiting on {request['turn']} for {waited.days} days", now=clock.stamp(moment))
            notify.reminder(tx, request, waited.days)
            reminded.append(request["id"])
    return reminded
