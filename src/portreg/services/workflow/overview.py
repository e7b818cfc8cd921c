"""What the request pages show, each as one call: a request's page, a review group's
queue, the staff dashboard, the IESG's ballots, and the process's statistics.

These read through the same rules as :mod:`.requests` (who may see what) and add only
what a person at a screen needs at once: a request's public part for anyone who has its
number (as IANA's ticket view shows kind, name, transports, state and dates), the queue
oldest-waiting first, the counts of open requests by state and by waiting party, and
how long decisions take, split by whose turn it was.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any, Sequence

from ...errors import InvalidQuery, NotFound, PermissionDenied
from ...store import Store
from . import clock, states
from ._accounts import Account
from .requests import GROUPS, SEE_ALL, _require, ballot, event_view, may_see, roles_on, view

__all__ = ["PUBLIC_FIELDS", "ballots", "dashboard", "page", "queue", "statistics"]

#: What anyone with a request's number may read (no contact data, no discussion).
PUBLIC_FIELDS = (
    "id",
    "kind",
    "state",
    "state_label",
    "open",
    "service_name",
    "port",
    "transports",
    "turn",
    "created_at",
    "state_since",
    "published_version",
)

#: States that are a decision on a request: approved (by experts, the IESG or staff) or refused.
DECIDED = frozenset({states.ASSIGNABLE, states.MODIFIABLE, states.REJECTED})
#: How many open requests the dashboard and the queues read at most.
LIMIT = 10_000


def page(store: Store, account: Account | None, request_id: int) -> dict[str, Any]:
    """A request's page as ``account`` (None: anonymous) may read it.

    ``{"request": public or full view, "private": bool, "events": [...], "ballot": {...}}``;
    ``private`` is whether the reader is the requester, a reviewer or staff (then the
    view carries the template's data, the discussion and the moves open to the reader).
    NotFound only when there is no such request.
    """
    wf = store.workflow()
    request = wf.request(request_id)
    if request is None:
        raise NotFound(f"there is no request {request_id}")
    groups = [r["group"] for r in wf.reviews(request_id)]
    if account is not None and may_see(request, account, groups):
        full = view(store, account, request)
        mine = roles_on(request, account, groups)
        see_all = bool(SEE_ALL & set(account.roles))
        trail = [event_view(e, mine, see_all) for e in wf.events(request_id)]
        return {
            "request": full,
            "private": True,
            "events": trail,
            "ballot": ballot(store, account, request_id),
            "findings": _latest_findings(trail),
        }
    shown = view(store, None, request)
    public = {k: shown[k] for k in PUBLIC_FIELDS}
    public["time"] = shown["time"]
    public["reviews"] = [{"group": r["group"], "decision": r["decision"]} for r in shown["reviews"]]
    trail = [
        {"at": e["at"], "from_state": e["from_state"], "to_state": e["to_state"]}
        for e in wf.events(request_id)
        if e["kind"] == "transition"
    ]
    return {"request": public, "private": False, "events": trail, "ballot": {}, "findings": []}


def _latest_findings(trail: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The findings of the last time the checks ran (at filing, or at an approval)."""
    for event in reversed(trail):
        if event["kind"] in ("check", "conflict") and isinstance(event["data"], dict):
            found = event["data"].get("findings")
            if isinstance(found, list):
                return found
    return []


def queue(store: Store, account: Account | None, group: str) -> list[dict[str, Any]]:
    """The open requests waiting on the experts of ``group``, oldest waiting first.

    For the group's experts, staff and admins; each request carries ``waiting`` (seconds
    in its present state) and whether this group has decided already.
    """
    account = _require(account)
    if group not in GROUPS:
        from .local import review_groups

        known = review_groups(store)
        if group not in known:
            raise InvalidQuery(f"group must be one of {', '.join(known)}", parameter="group")
    if not ({"staff", "admin"} & set(account.roles) or ("expert" in account.roles and group in account.groups)):
        raise PermissionDenied(f"the {group} queue is for its experts and staff")
    rows = store.workflow().requests(
        groups=[group], states=[states.EXPERT_REVIEW, states.INTERNAL_REVIEW], open_only=True, limit=LIMIT
    )
    found = []
    for row in rows:
        shown = view(store, account, row)
        decision = next((r["decision"] for r in shown["reviews"] if r["group"] == group), None)
        found.append({**shown, "group_decision": decision})
    found.sort(key=lambda r: r["state_since"])
    return found


def dashboard(store: Store, account: Account | None, *, at: datetime | None = None) -> dict[str, Any]:
    """Everything open, by state and by waiting party, and the requests past their queue's limit.

    For staff and admins.
    """
    account = _require(account)
    if not {"staff", "admin"} & set(account.roles):
        raise PermissionDenied("the dashboard is for staff")
    moment = at or clock.now()
    rows = store.workflow().requests(open_only=True, limit=LIMIT)
    by_state: dict[str, list[dict[str, Any]]] = {s: [] for s in states.OPEN}
    by_turn: Counter[str] = Counter()
    due = []
    for row in sorted(rows, key=lambda r: r["state_since"]):
        shown = view(store, account, row)
        by_state[row["state"]].append(shown)
        by_turn[row["turn"]] += 1
        if clock.overdue(row, moment):
            due.append(shown)
    return {
        "by_state": by_state,
        "by_turn": {p: by_turn.get(p, 0) for p in states.PARTIES},
        "due": due,
        "limits": {p: int(limit.total_seconds()) for p, limit in clock.LIMITS.items()},
        "total": len(rows),
    }


def ballots(store: Store, account: Account | None) -> list[dict[str, Any]]:
    """The requests before the IESG, each with every member's latest position. For the IESG and staff."""
    account = _require(account)
    if not {"iesg", "staff", "admin"} & set(account.roles):
        raise PermissionDenied("the ballots are for the IESG and staff")
    rows = store.workflow().requests(states=[states.IESG_ESCALATION], open_only=True, limit=LIMIT)
    return [
        {**view(store, account, row), "ballot": ballot(store, account, row["id"])}
        for row in sorted(rows, key=lambda r: r["state_since"])
    ]


# --------------------------------------------------------------------------- statistics


def _percentile(values: Sequence[int], fraction: float) -> int:
    """The nearest-rank percentile (the median at 0.5): a value that occurred, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def _summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    gross = [s["gross"] for s in samples]
    return {
        "count": len(samples),
        "median": _percentile(gross, 0.5),
        "p90": _percentile(gross, 0.9),
        "net": {
            party: {
                "median": _percentile([s["net"][party] for s in samples], 0.5),
                "p90": _percentile([s["net"][party] for s in samples], 0.9),
            }
            for party in states.PARTIES
        },
    }


def statistics(store: Store) -> dict[str, Any]:
    """Requests filed per month; time from filing to a decision (approval or rejection),
    median and 90th percentile, per kind and per review group, in all and per party whose
    turn it was. Public: counts and durations name nobody."""
    wf = store.workflow()
    requests = wf.requests(limit=1_000_000)
    trails: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in wf.events():
        trails[event["request_id"]].append(event)
    per_month: Counter[str] = Counter()
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    decided = 0
    for request in requests:
        per_month[request["created_at"][:7]] += 1
        trail = trails.get(request["id"], [])
        cut = next(
            (i for i, e in enumerate(trail) if e["kind"] == "transition" and e["to_state"] in DECIDED), None
        )
        if cut is None:
            continue
        decided += 1
        moment = clock.parse(trail[cut]["at"])
        sample = clock.times(request, trail[:cut], at=moment)
        sample["gross"] = max(0, int((moment - clock.parse(request["created_at"])).total_seconds()))
        by_kind[request["kind"]].append(sample)
        for review in wf.reviews(request["id"]):
            by_group[review["group"]].append(sample)
    return {
        "filed": len(requests),
        "decided": decided,
        "per_month": dict(sorted(per_month.items())),
        "by_kind": {k: _summary(by_kind[k]) for k in states.KINDS if by_kind.get(k)},
        "by_group": {g: _summary(by_group[g]) for g in GROUPS if by_group.get(g)},
        "parties": list(states.PARTIES),
    }
