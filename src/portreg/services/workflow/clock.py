"""Whose turn it is and for how long: gross and net time per party, and reminders.

IANA measures, per queue, the time a request spent in its own hands ("net") against
the whole ("gross"), and shows requesters nothing; here every party's time is
computed from the event trail and shown to everyone who may see the request. A
request that waits on one party longer than that queue's limit gets a reminder
(an event, and mail to whoever holds the turn), once per wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Sequence

from .states import PARTIES, TURN

#: How long each party may hold a request before it is reminded (a per-queue setting).
LIMITS: dict[str, timedelta] = {
    "staff": timedelta(days=5),
    "expert": timedelta(days=14),
    "requester": timedelta(days=30),
    "iesg": timedelta(days=30),
}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def times(request: dict[str, Any], events: Sequence[dict[str, Any]], at: datetime | None = None) -> dict[str, Any]:
    """``{"gross": seconds, "net": {party: seconds}, "turn": party, "waiting": seconds}``.

    Gross runs from filing to closing (or ``at``); each party's net time is the sum of the
    spans in which a state whose turn is theirs held the request.
    """
    end = at or now()
    spans: list[tuple[datetime, str]] = []
    for event in events:
        if event["to_state"] and event["kind"] in ("transition", "conflict"):
            spans.append((parse(event["at"]), event["to_state"]))
    net = dict.fromkeys(PARTIES, 0)
    closed_at = None
    for (start, state), following in zip(spans, [*spans[1:], None]):
        stop = following[0] if following else end
        party = TURN.get(state, "none")
        if party in net:
            net[party] += max(0, int((stop - start).total_seconds()))
        elif following is None:
            closed_at = start
    created = parse(request["created_at"])
    finished = closed_at or end
    return {
        "gross": max(0, int((finished - created).total_seconds())),
        "net": net,
        "turn": request["turn"],
        "waiting": 0 if closed_at else max(0, int((end - parse(request["state_since"])).total_seconds())),
    }


def overdue(request: dict[str, Any], at: datetime, limits: dict[str, timedelta] | None = None) -> bool:
    limit = (limits or LIMITS).get(request["turn"])
    return bool(request["is_open"]) and limit is not None and at - parse(request["state_since"]) > limit
