"""The audit trail: every transition, comment, check, vote and publication, chained by hash.

Each event holds who, when, from which state to which, why, and the request's data at
that moment. The store appends and the database refuses to change or remove an event;
:func:`verify` walks the chain so that an edit made around the database's guard (with
the triggers dropped, or on a copy) is still found: a changed field breaks that
event's hash, a removed event breaks the next one's link or leaves a gap in the
sequence, and a removed last event no longer matches its request's recorded head.
"""

from __future__ import annotations

from typing import NamedTuple

from ...store import Store
from ...store._workflow import GENESIS, event_hash


class Report(NamedTuple):
    events: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {"events": self.events, "ok": self.ok, "problems": self.problems}


def verify(store: Store) -> Report:
    """Check the whole trail; every problem found is named by its event's number."""
    wf = store.workflow()
    events = wf.events()
    problems: list[str] = []
    prev = GENESIS
    expected = 1
    last: dict[int, tuple[int, str]] = {}
    for event in events:
        if event["seq"] != expected:
            problems.append(f"event {expected} is missing (the trail jumps to {event['seq']})")
        if event["prev_hash"] != prev:
            problems.append(
                f"event {event['seq']} does not follow the event before it (an event was removed or changed)"
            )
        if event_hash(event["prev_hash"], event) != event["hash"]:
            problems.append(f"event {event['seq']} was changed after it was written")
        prev = event["hash"]
        expected = event["seq"] + 1
        last[event["request_id"]] = (event["seq"], event["hash"])
    for request_id, seq, head in wf.heads():
        if seq is None:
            continue
        if last.get(request_id) != (seq, head):
            problems.append(f"request {request_id}: its latest event {seq} is missing or changed")
    return Report(len(events), problems)
