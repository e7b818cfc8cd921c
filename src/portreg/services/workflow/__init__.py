"""The assignment process of RFC 6335 as a service: requests, checks, review, publication, audit.

Every action is a function taking the store and the acting account
(:class:`~._accounts.Account`); the JSON API, the command line and the pages call these
and nothing else. Modules by concept:

- :mod:`.templates`: the §8.1.1 request template and the kinds' own fields;
- :mod:`.checks`: the automatic checks, each naming its field and RFC section;
- :mod:`.states`: states, whose turn each is, the transition table (data);
- :mod:`.holds`: what an open request holds (port per transport, name, service code);
- :mod:`.publishing`: what an approval changes in the registry;
- :mod:`.audit`: verifying the hash-chained trail;
- :mod:`.clock`: gross and net time per party, reminders;
- :mod:`.notify`: mail on every change;
- :mod:`.local`: requests to a local registry: its ranges, exceptions, relaxed checks and
  review group over RFC 6335's process;
- :mod:`.requests`: the actions themselves.
"""

from __future__ import annotations

from ._accounts import Account
from .audit import Report, verify
from .checks import Finding
from .requests import (
    GROUPS,
    RequestRejected,
    act,
    ballot,
    comment,
    dry_run,
    events,
    file,
    get,
    groups_for,
    list_requests,
    remind,
    vote,
)
from .states import ACTIONS, KINDS, LABELS, POSITIONS, STATES, TRANSITIONS

__all__ = [
    "ACTIONS",
    "GROUPS",
    "KINDS",
    "LABELS",
    "POSITIONS",
    "STATES",
    "TRANSITIONS",
    "Account",
    "Finding",
    "Report",
    "RequestRejected",
    "act",
    "ballot",
    "comment",
    "dry_run",
    "events",
    "file",
    "get",
    "groups_for",
    "list_requests",
    "remind",
    "verify",
    "vote",
]
