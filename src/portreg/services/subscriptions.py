"""Mail when a new version touches what someone watches: the feeds' watches, by mail.

::

    subscribe(store, account_id, "port", "5432")      # or "range" "6000-6063", "service" "x11",
                                                      # "person" "Jon_Postel", "all" "", "registry" "acme"
    notify(store, base_url="https://ports.example")    # after new versions: mails in the outbox

:func:`notify` announces each version published since the last one announced, oldest
first: for every subscription of an active account that the version touches (the same
rule as the watch feeds: a record on the port or range, of the name, naming the person,
before or after the change; or the person's own entry), it writes one mail to the
outbox (:mod:`portreg.services.mail`) — in the same transaction as the note that the
version was announced, so a version is announced once, whoever runs it, and a failure
writes no mail at all. The first run on a store starts from its current version:
subscribing is not a way to be mailed the whole past.

A subscription of kind ``registry`` (key: a local registry's name) watches that
registry's conflicts with the upstream: :mod:`.conflicts` mails it what each version
found and resolved, in that version's transaction; :func:`notify` leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidQuery, NotFound
from .feeds import Watch

if TYPE_CHECKING:
    from ..model import Record
    from ..store import Store
    from ..store._subscriptions import SubscriptionRow
    from .history import Diff

__all__ = ["KINDS", "Subscription", "notify", "subscribe", "subscriptions", "unsubscribe"]

KINDS = ("all", "port", "range", "service", "person", "registry")
#: The kind of subscription that watches a local registry's conflicts (see :mod:`.conflicts`).
REGISTRY = "registry"
#: Subscriptions one account may hold.
MAX_PER_ACCOUNT = 200


@dataclass(frozen=True)
class Subscription:
    id: int
    account_id: int
    kind: str
    key: str
    created_at: str

    @property
    def watch(self) -> Watch | None:
        """The watch it follows (None for ``all``: every change, and for ``registry``)."""
        if self.kind in ("all", REGISTRY):
            return None
        return Watch.parse("port" if self.kind == "range" else self.kind, self.key)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "key": self.key, "created_at": self.created_at}


def _stamp() -> str:
    return datetime.now(UTC).isoformat()


def _of(row: SubscriptionRow) -> Subscription:
    return Subscription(*row)


def subscribe(store: Store, account_id: int, kind: str, key: str = "") -> Subscription:
    """Follow ``kind`` ``key`` (a port, a range, a service name, a person id; nothing for all).

    Subscribing twice to the same thing gives the one subscription back. InvalidQuery
    names the parameter at fault.
    """
    if kind not in KINDS:
        raise InvalidQuery(f"kind must be one of {', '.join(KINDS)}", parameter="kind")
    if kind == "all":
        key = ""
    elif kind == REGISTRY:
        key = store.registries.get(key).name  # NotFound, naming the registries, for another name
    else:
        watch = Watch.parse("port" if kind in ("port", "range") else kind, key)
        kind, key = watch.kind, watch.key  # canonical: "80-80" is port 80
    with store.transaction() as tx:
        found = tx.subscriptions.find(account_id, kind, key)
        if found is not None:
            return _of(found)
        if len(tx.subscriptions.of_account(account_id)) >= MAX_PER_ACCOUNT:
            raise InvalidQuery(f"an account may follow at most {MAX_PER_ACCOUNT} things", parameter="kind")
        created = _stamp()
        number = tx.subscriptions.add(account_id=account_id, kind=kind, key=key, created_at=created)
    return Subscription(number, account_id, kind, key, created)


def subscriptions(store: Store, account_id: int) -> list[Subscription]:
    return [_of(row) for row in store.rows.subscriptions.of_account(account_id)]


def unsubscribe(store: Store, account_id: int, subscription_id: int) -> None:
    """Stop following; NotFound when the account has no such subscription."""
    with store.transaction() as tx:
        if not tx.subscriptions.remove(account_id, subscription_id):
            raise NotFound(f"no subscription {subscription_id} of this account")


def notify(store: Store, *, base_url: str = "") -> int:
    """Write the mails of every version published since the last announced; how many."""
    from . import history

    latest = store.current_version()
    if latest is None:
        return 0
    last = store.rows.subscriptions.last_notified()
    if last is None:  # a store's first run: nothing of the past is announced
        with store.transaction() as tx:
            tx.subscriptions.mark_notified(latest.number, 0, _stamp())
        return 0
    written = 0
    # Version numbers are shared with local registries: the previous version of the
    # registry is not always number - 1.
    for number, before in sorted(history.predecessors(store).items()):
        if number <= last:
            continue
        diff = history.diff(store, before, number)
        try:
            written += _announce(store, diff, base_url)
        except Conflict:  # another process announced it first
            continue
    return written


def _announce(store: Store, diff: Diff, base_url: str) -> int:
    from . import mail

    rows = store.rows.subscriptions.of_active_accounts()
    mails = []
    for row, address in rows:
        subscription = _of(row)
        if subscription.kind == REGISTRY:
            continue  # mailed by the conflicts service, in the transaction of the version
        lines = _touching(subscription, diff)
        if lines:
            mails.append((address, subscription, lines))
    number = diff.new.number
    with store.transaction() as tx:
        for address, subscription, lines in mails:
            what = (
                "the registry"
                if subscription.kind == "all"
                else (subscription.watch.title if subscription.watch else "")
            )
            link = f"{base_url}/changes/{diff.old.number}..{number}"
            date = f" ({diff.new.published})" if diff.new.published else ""
            body = (
                f"Version {number}{date} of the registry changed {what}:\n\n"
                + "\n".join(f"  {line}" for line in lines[:200])
                + (f"\n  … and {len(lines) - 200} more" if len(lines) > 200 else "")
                + f"\n\nThe whole change: {link}\n"
                + f"You follow {what} (subscription {subscription.id}); "
                + f"stop with DELETE {base_url}/api/v1/subscriptions/{subscription.id}.\n"
            )
            mail.enqueue(
                tx,
                to=address,
                subject=f"[portreg] version {number}: {what} changed",
                body=body,
                headers={"X-Portreg-Version": str(number), "X-Portreg-Subscription": str(subscription.id)},
            )
        tx.subscriptions.mark_notified(number, len(mails), _stamp())
    return len(mails)


def _touching(subscription: Subscription, diff: Diff) -> list[str]:
    """The lines of ``diff`` that touch what ``subscription`` follows (empty: none)."""
    from .history import describe

    watch = subscription.watch
    lines = []
    for change in diff.records:
        records = [r for r in (change.old, change.new) if r is not None]
        if watch is None or any(_touches(watch, r) for r in records):
            fields = (
                f": {', '.join(f.field for f in change.fields)}"
                if change.fields and change.kind not in ("added", "removed")
                else ""
            )
            lines.append(f"{change.kind} {describe(change)}{fields}")
    if watch is None or watch.kind == "person":
        for person in diff.people:
            if watch is None or person.id == watch.key:
                lines.append(f"person {person.kind} {person.id}")
    return lines


def _touches(watch: Watch, record: Record) -> bool:
    if watch.kind in ("port", "range"):
        return record.port is not None and record.port.low <= watch.high and record.port.high >= watch.low
    if watch.kind == "service":
        return record.name is not None and record.name.casefold() == watch.key.casefold()
    return (
        watch.key in record.assignees
        or watch.key in record.contacts
        or any(
            ref.type == "person" and ref.data == watch.key
            for text in (record.description, record.notes)
            if text
            for ref in text.references()
        )
    )
