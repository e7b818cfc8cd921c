"""The request's states and the transitions between them, as data.

States are the ones IANA shows a requester on its public ticket view. Each state says
whose turn it is; each transition says from which state, to which, who may take it,
and for which kinds of request. Handlers never branch on states themselves: they look
the action up here (:func:`transition_for`), and the authorization tests are generated
from the same table.
"""

from __future__ import annotations

from typing import NamedTuple

NEW = "new"
VALIDATING = "validating"
EXPERT_REVIEW = "expert-review"
INTERNAL_REVIEW = "internal-expert-review"
WITH_REQUESTER = "with-requester"
IESG_ESCALATION = "iesg-escalation"
ASSIGNABLE = "assignable"
ASSIGNED = "assigned"
MODIFIABLE = "modifiable"
MODIFIED = "modified"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

#: Every state, with IANA's public label, in the order a request meets them.
LABELS: dict[str, str] = {
    NEW: "New",
    VALIDATING: "Validating Request",
    EXPERT_REVIEW: "Expert Review",
    INTERNAL_REVIEW: "Internal Expert Review",
    WITH_REQUESTER: "With Requester",
    IESG_ESCALATION: "IESG Escalation",
    ASSIGNABLE: "Assignable",
    ASSIGNED: "Assigned",
    MODIFIABLE: "Modifiable",
    MODIFIED: "Modified",
    REJECTED: "Rejected",
    WITHDRAWN: "Withdrawn",
}
STATES = tuple(LABELS)
CLOSED = frozenset({ASSIGNED, MODIFIED, REJECTED, WITHDRAWN})
OPEN = tuple(s for s in STATES if s not in CLOSED)

#: Whose turn it is in each state: the party the request waits on.
TURN: dict[str, str] = {
    NEW: "staff",
    VALIDATING: "staff",
    EXPERT_REVIEW: "expert",
    INTERNAL_REVIEW: "expert",
    WITH_REQUESTER: "requester",
    IESG_ESCALATION: "iesg",
    ASSIGNABLE: "staff",
    MODIFIABLE: "staff",
    ASSIGNED: "none",
    MODIFIED: "none",
    REJECTED: "none",
    WITHDRAWN: "none",
}
PARTIES = ("requester", "staff", "expert", "iesg")

# Kinds of request (RFC 6335 §8).
ASSIGNMENT = "assignment"  # §8.1: a name with a port (a number, any user port, any system port), or a name only
ADD_TRANSPORT = "add-transport"  # §8.1.1: another transport for an assigned name
MODIFICATION = "modification"  # §8.6: description, contact, notes; never the assignee
DEASSIGNMENT = "de-assignment"  # §8.2: the assignee gives the port back
REUSE = "reuse"  # §8.3: the same assignee, the port for a new application
REVOCATION = "revocation"  # §8.4: staff take an unused port back
TRANSFER = "transfer"  # §8.5: a new party's request, linked to the old party's de-assignment
KINDS = (ASSIGNMENT, ADD_TRANSPORT, MODIFICATION, DEASSIGNMENT, REUSE, REVOCATION, TRANSFER)
#: Kinds that add an assignment (they end Assigned); the others change one (they end Modified).
ASSIGNING = frozenset({ASSIGNMENT, ADD_TRANSPORT, REUSE, TRANSFER})
CHANGING = frozenset({MODIFICATION, DEASSIGNMENT, REVOCATION})
ALL = frozenset(KINDS)

#: Roles in the table: ``requester`` is the request's own requester (not any account with
#: that role); ``expert`` an expert of a review group the request is routed to.
REQUESTER, EXPERT, STAFF, IESG = "requester", "expert", "staff", "iesg"


class Transition(NamedTuple):
    action: str
    source: str
    target: str
    roles: frozenset[str]
    kinds: frozenset[str] = ALL
    #: What it means, for the docs and the API's list of next steps.
    note: str = ""


def _t(action: str, source: str, target: str, roles: str, kinds: frozenset[str] = ALL, note: str = "") -> Transition:
    return Transition(action, source, target, frozenset(roles.split()), kinds, note)


#: Every allowed move. ``answer`` returns to the state the question was asked in
#: (``*`` target); ``approve`` by one expert group moves on only when every group routed
#: to has approved (until then the request stays in Expert Review).
TRANSITIONS: tuple[Transition, ...] = (
    _t("validate", NEW, VALIDATING, "staff", note="staff start validating the request"),
    _t(
        "route", VALIDATING, EXPERT_REVIEW, "staff", ASSIGNING | {DEASSIGNMENT}, "to the review group of each transport"
    ),
    _t("escalate", VALIDATING, IESG_ESCALATION, "staff", note="system ports, revocations, Reserved to Assigned"),
    _t("escalate", EXPERT_REVIEW, IESG_ESCALATION, "expert staff"),
    _t(
        "accept", VALIDATING, ASSIGNABLE, "staff", frozenset({ASSIGNMENT}), "name only: first come, first served (§7.2)"
    ),
    _t("accept", VALIDATING, MODIFIABLE, "staff", frozenset({MODIFICATION, DEASSIGNMENT})),
    _t("ask", VALIDATING, WITH_REQUESTER, "staff"),
    _t(
        "ask",
        EXPERT_REVIEW,
        WITH_REQUESTER,
        "expert staff",
        note="the expert's question reaches the requester unsigned",
    ),
    _t("ask", INTERNAL_REVIEW, WITH_REQUESTER, "expert staff"),
    _t("ask", IESG_ESCALATION, WITH_REQUESTER, "iesg staff"),
    _t("answer", WITH_REQUESTER, "*", "requester", note="back to whoever asked"),
    _t("consult", EXPERT_REVIEW, INTERNAL_REVIEW, "expert", note="experts confer among themselves"),
    _t("resume", INTERNAL_REVIEW, EXPERT_REVIEW, "expert"),
    _t("approve", EXPERT_REVIEW, ASSIGNABLE, "expert", ASSIGNING),
    _t("approve", EXPERT_REVIEW, MODIFIABLE, "expert", CHANGING),
    _t("approve", IESG_ESCALATION, ASSIGNABLE, "iesg", ASSIGNING),
    _t("approve", IESG_ESCALATION, MODIFIABLE, "iesg", CHANGING),
    _t("reject", VALIDATING, REJECTED, "staff"),
    _t("reject", EXPERT_REVIEW, REJECTED, "expert staff"),
    _t("reject", INTERNAL_REVIEW, REJECTED, "expert staff"),
    _t("reject", IESG_ESCALATION, REJECTED, "iesg"),
    _t("reject", WITH_REQUESTER, REJECTED, "staff"),
    _t("assign", ASSIGNABLE, ASSIGNED, "staff", ASSIGNING, "publishes a new registry version"),
    _t("apply", MODIFIABLE, MODIFIED, "staff", CHANGING, "publishes a new registry version"),
    *(_t("withdraw", s, WITHDRAWN, "requester staff") for s in OPEN),
)

ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
#: Actions that are not moves of the state: anyone who may see a request may comment;
#: only the IESG votes, and only while the request is escalated to it.
COMMENT, VOTE = "comment", "vote"
POSITIONS = ("yes", "no-objection", "discuss", "abstain", "recuse")


def transition_for(action: str, source: str, kind: str) -> Transition | None:
    """The row of the table for ``action`` taken in ``source`` on a request of ``kind``."""
    for t in TRANSITIONS:
        if t.action == action and t.source == source and kind in t.kinds:
            return t
    return None


def next_actions(source: str, kind: str) -> list[Transition]:
    """The moves open from ``source`` for a request of ``kind``."""
    return [t for t in TRANSITIONS if t.source == source and kind in t.kinds]
