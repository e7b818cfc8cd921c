"""Mail on every state change, written to the outbox in the same transaction.

Who hears of a change: the requester, the assignee and the contact named in the
request (one mail), and the registry's side (a second mail): the experts of the groups
the request is routed to while they review it, staff while it waits on staff, the
IESG while it is escalated. The subject carries the request's number. The two sides
never share a mail, so the requester never learns the reviewers' addresses, and a
question asked by an expert reaches the requester as the registry's, unsigned (as
IANA relays them).

Mail goes through :func:`portreg.services.mail.enqueue` inside the caller's store
transaction: a state change and its mail commit together, and the sender delivers
each row once.
"""

from __future__ import annotations

from typing import Any, Mapping

from .. import mail
from ..accounts import list_accounts
from . import states

#: Which side of the registry hears of a request in each state (beyond its own people).
_REVIEWERS = {
    states.EXPERT_REVIEW: "expert",
    states.INTERNAL_REVIEW: "expert",
    states.IESG_ESCALATION: "iesg",
    states.NEW: "staff",
    states.VALIDATING: "staff",
    states.ASSIGNABLE: "staff",
    states.MODIFIABLE: "staff",
}


def requester_side(request: Mapping[str, Any]) -> list[str]:
    """The people named by the request itself: requester, assignee, contact (deduplicated)."""
    data = request["data"]
    found = [request.get("requester_email")]
    for party in ("assignee", "contact"):
        value = data.get(party) or {}
        found.append(value.get("email"))
    return list(dict.fromkeys(e for e in found if e))


def registry_side(tx: Any, request: Mapping[str, Any], state: str) -> list[str]:
    """Who on the registry's side holds the request in ``state``."""
    role = _REVIEWERS.get(state)
    if role is None:
        return []
    if role == "expert":
        groups = [g for g, _ in tx.reviews(request["id"]).items()]
        found = [a.email for g in groups for a in list_accounts(tx.shared, role="expert", group=g) if a.active]
    else:
        found = [a.email for a in list_accounts(tx.shared, role=role) if a.active]
    return list(dict.fromkeys(found))


def subject(request: Mapping[str, Any], what: str) -> str:
    """The mail's subject; a local registry's request names its registry, so that its
    people tell it from an IANA request at a glance."""
    registry = request.get("registry") or "iana"
    which = "portreg" if registry == "iana" else f"portreg {registry}"
    return f"[{which} request #{request['id']}] {request.get('service_name') or request['kind']}: {what}"


def state_changed(
    tx: Any, request: Mapping[str, Any], source: str | None, target: str, reason: str | None, *, question: bool = False
) -> None:
    label = states.LABELS.get(target, target)
    lines = [f"Request #{request['id']} ({request['kind']}) is now {label}."]
    if reason:
        lines.append(("A question from the registry's reviewers:\n" if question else "Reason: ") + reason)
    _send(tx, requester_side(request), subject(request, label), "\n\n".join(lines), request)
    _send(tx, registry_side(tx, request, target), subject(request, label), "\n\n".join(lines), request)


def reminder(tx: Any, request: Mapping[str, Any], days: int) -> None:
    text = f"Request #{request['id']} has waited on {request['turn']} for {days} days."
    to = requester_side(request) if request["turn"] == "requester" else registry_side(tx, request, request["state"])
    _send(tx, to, subject(request, "reminder"), text, request)


def _send(tx: Any, to: list[str], subject_line: str, body: str, request: Mapping[str, Any]) -> None:
    if to:
        mail.enqueue(
            tx.shared, to=to, subject=subject_line, body=body, headers={"X-Portreg-Request": str(request["id"])}
        )
