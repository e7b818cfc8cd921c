"""Overlay conflicts: a local record that meets what the upstream registry assigns, kept until it no longer holds.

A local registry (``acme``) is stacked on IANA's. When either side publishes a version,
the stack is checked again, inside the transaction that publishes it:

- an **import into a local registry** checks that registry's records against IANA's
  current ones;
- a **sync (or import) of the upstream** checks every local registry against the new
  IANA version: the port your organization uses that IANA has just given away.

The findings are those of ``portreg registry check`` (:func:`.overlay.collisions`), of
the kinds ``port``, ``reserved``, ``name`` and ``outside`` (a finding about a range,
``owned``, and the note ``same`` are not conflicts between two records). Each is stored
once per pair of records, as a row of ``overlay_conflicts``; a conflict already open is
not raised again. An open conflict is **resolved automatically** by the first version
after which it no longer holds (either record changed, moved or went away, or the
ranges changed), and **by a person** with a reason (:func:`resolve`): a conflict a person
resolved is not raised again for the same two records.

What a version found and settled is mailed to the registry's watchers (an account's
subscription of kind ``registry``, :mod:`.subscriptions`) through the outbox, in the
same transaction: the version, its conflicts and their mail commit together or not at
all. The console (``portreg import``, ``portreg sync``, ``portreg registry conflicts``),
the API (``/api/v1/conflicts``) and a feed (``/changes/conflicts.atom``) read them back.

:func:`install` puts the check on a store (:func:`portreg.services.open_store` does it
for every store the interfaces open); :func:`reconcile` runs it inside a caller's
transaction (a workflow publishing into a registry).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..errors import Conflict, InvalidQuery, NotFound
from ..store import ConflictRow

if TYPE_CHECKING:
    from ..model import Record
    from ..store import Store, Transaction, Version

__all__ = [
    "FOUND_BY",
    "KINDS",
    "OverlayConflict",
    "Reconciled",
    "conflicts",
    "counts",
    "deferred",
    "get",
    "install",
    "of_version",
    "open_on",
    "reconcile",
    "refresh",
    "resolve",
]

#: The kinds of finding stored as conflicts: each is between a local record and an
#: upstream one (``outside``: a local record and its registry's ranges).
KINDS = ("port", "reserved", "name", "outside")
#: What found a conflict: an import, a sync of the upstream, a published request, new ranges.
FOUND_BY = ("import", "sync", "request", "ranges")
#: The longest reason a person may give.
MAX_REASON = 2000
#: Conflicts listed in one mail before "and N more".
_MAILED = 100


class OverlayConflict(ConflictRow):
    """A conflict as the interfaces show it (see the module docstring): the stored row,
    with its state, JSON shape and console line."""

    @classmethod
    def of(cls, row: ConflictRow) -> OverlayConflict:
        return cls(**{f.name: getattr(row, f.name) for f in fields(row)})

    @property
    def state(self) -> str:
        return "open" if self.open else "resolved"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registry": self.registry,
            "kind": self.kind,
            "state": self.state,
            "message": self.message,
            "local_record_id": self.local_record_id,
            "upstream_record_id": self.upstream_record_id,
            "local_version": self.local_version,
            "upstream_version": self.upstream_version,
            "found_at": self.found_at,
            "found_by": self.found_by,
            "found_version": self.found_version,
            "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by,
            "resolution": self.resolution,
            "resolved_version": self.resolved_version,
        }

    def line(self) -> str:
        """One line for a console: ``#12 acme port acme-db 5432/tcp: upstream assigns …``."""
        return f"#{self.id} {self.registry} {self.kind} {self.message}"


@dataclass
class Reconciled:
    """What one check of the stack found and resolved."""

    found: list[OverlayConflict] = field(default_factory=list)
    resolved: list[OverlayConflict] = field(default_factory=list)
    #: Found on a port the registry has an exception for: stored resolved, not mailed.
    allowed: list[OverlayConflict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.found or self.resolved)


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------- finding them


def install(store: Store) -> Store:
    """Check the stack in the transaction of every version ``store`` (and its scoped views) imports."""
    if _on_publish not in store.publish_hooks:
        store.publish_hooks.append(_on_publish)
    return store


@contextlib.contextmanager
def deferred(store: Store) -> Iterator[None]:
    """Check the stack once after a series of imports (a whole history) rather than after each.

    Hundreds of historic versions would each be checked, and each raise and resolve
    conflicts (and mail watchers) about a past that is long settled. Inside the block
    imports publish without the check; at its end (also when an import failed, for the
    versions stored before it) one check runs against the newest version, in its own
    transaction.
    """
    installed = _on_publish in store.publish_hooks
    if not installed:
        yield
        return
    store.publish_hooks.remove(_on_publish)
    before = store.current_version()
    try:
        yield
    finally:
        store.publish_hooks.append(_on_publish)
        after = store.current_version()
        if after is not None and (before is None or after.number != before.number):
            with store.transaction() as tx:
                reconcile(tx, version=after.number, found_by="import")


def _on_publish(tx: Transaction, version: Version, registry: str) -> None:
    from ..store._registries import UPSTREAM

    if registry == UPSTREAM:
        found_by = "sync" if version.source.lower().startswith(("http://", "https://")) else "import"
        reconcile(tx, version=version.number, found_by=found_by)
    else:
        reconcile(tx, version=version.number, found_by="import", registries=(registry,))


def reconcile(
    tx: Transaction,
    *,
    version: int | None,
    found_by: str,
    registries: Iterable[str] | None = None,
) -> Reconciled:
    """Check local ``registries`` (None: every local one) against the upstream, in ``tx``.

    New conflicts are written as found by ``found_by`` in ``version`` (the version being
    published, None when nothing was published, as after new ranges); open conflicts
    that no longer hold are resolved by it; mail to each registry's watchers is queued
    in the same transaction. Returns what changed.
    """
    from ..model import PortRange as Ports
    from ..model import Record, Registry
    from ..store._registries import UPSTREAM
    from .overlay import OwnedRange, collisions
    from .query import Hit

    if found_by not in FOUND_BY:
        raise InvalidQuery(f"found_by must be one of {', '.join(FOUND_BY)}", parameter="found_by")
    rows = tx.conflicts
    local = rows.local_registries()
    if local:
        rows.lock()
        local = rows.local_registries()  # as the writer that held the lock left them
    chosen = [name for name in (local if registries is None else registries) if name in local]
    done = Reconciled()
    if not chosen:
        return done
    upstream_version = rows.current_version(UPSTREAM)
    at = _now()
    for name in chosen:
        # Only the upstream rows this registry's records can meet (its ports, its names):
        # the findings of a record depend on no other, and reading all 14,000 cost 0.5 s.
        upstream = [
            Hit(
                record_id,
                Record(name=label, port=None if low is None or high is None else Ports(low, high), transport=transport),
                state,
                None,
            )
            for record_id, label, low, high, transport, state in rows.slots_meeting(UPSTREAM, name)
        ]
        stored = rows.current_records(name)
        ids: dict[int, int] = {}
        for s in stored:
            ids.setdefault(id(s.record), s.id)
        records = {s.id: s.record for s in stored}
        excepted = rows.exceptions(name)
        owns = tuple(OwnedRange(Ports(r.low, r.high), r.transport) for r in local[name])
        findings = collisions(upstream, Registry(title=name, records=tuple(s.record for s in stored)), owns=owns)
        wanted: dict[tuple[str, str, int | None, int | None], str] = {}
        for finding in findings:
            if finding.kind not in KINDS or finding.local is None:
                continue
            local_id = ids[id(finding.local)]
            for one in finding.each():
                upstream_id = one.upstream[0].id if one.upstream else None
                wanted.setdefault((name, one.kind, local_id, upstream_id), one.message)
        local_version = rows.current_version(name)
        held = {row.key: row for row in rows.of(name, open_only=True)}
        acknowledged = rows.acknowledged(name)
        excused = rows.acknowledged(name, by="exception")
        news, gone, allowed = [], [], []
        for key, row in held.items():
            if key not in wanted:
                why = f"no longer holds after version {version}" if version is not None else "no longer holds"
                if rows.resolve(row.id, at=at, by=found_by, resolution=why, version=version):
                    gone.append(_resolved(OverlayConflict.of(row), at, found_by, why, version))
                continue
            lid = row.local_record_id
            reason = _exception_for(row.kind, records.get(lid) if lid is not None else None, excepted)
            if reason is not None:  # an exception recorded since it was found
                why = f"allowed by the registry's exception: {reason}"
                if rows.resolve(row.id, at=at, by="exception", resolution=why):
                    gone.append(_resolved(OverlayConflict.of(row), at, "exception", why, None))
        for key, message in wanted.items():
            if key in held or key in acknowledged:
                continue
            if key in excused and _exception_for(key[1], records.get(key[2]) if key[2] is not None else None, excepted):
                continue  # settled by an exception that still stands; found again once it is withdrawn
            _, kind, new_local, upstream_id = key
            number = rows.add(
                registry=name,
                kind=kind,
                local_record_id=new_local,
                upstream_record_id=upstream_id,
                local_version=local_version,
                upstream_version=upstream_version,
                message=message,
                found_at=at,
                found_by=found_by,
                found_version=version,
            )
            found = OverlayConflict(
                number,
                name,
                kind,
                new_local,
                upstream_id,
                local_version,
                upstream_version,
                message,
                at,
                found_by,
                version,
            )
            reason = _exception_for(kind, records.get(new_local) if new_local is not None else None, excepted)
            if reason is not None:  # the registry decided it may use this port: stored, and settled at once
                why = f"allowed by the registry's exception: {reason}"
                rows.resolve(number, at=at, by="exception", resolution=why)
                allowed.append(_resolved(found, at, "exception", why, None))
            else:
                news.append(found)
        if news or gone:
            _mail(tx, name, news, gone, version, found_by)
        done.found.extend(news)
        done.resolved.extend(gone)
        done.allowed.extend(allowed)
    return done


def _exception_for(kind: str, record: Record | None, excepted: dict[tuple[int, str], str]) -> str | None:
    """The reason of the registry's exception that allows ``record`` on its port, if any.

    An exception names one port and transport (``portreg registry exception``), so it
    covers a single-port record on that transport; a range or a record without a
    transport stays a conflict.
    """
    if kind not in ("port", "reserved") or record is None or record.port is None or record.port.is_range:
        return None
    if record.transport is None:
        return None
    return excepted.get((record.port.low, record.transport))


def _resolved(conflict: OverlayConflict, at: str, by: str, why: str, version: int | None) -> OverlayConflict:
    from dataclasses import replace

    return replace(conflict, resolved_at=at, resolved_by=by, resolution=why, resolved_version=version)


def refresh(store: Store, registry: str | None = None) -> Reconciled:
    """Check the stack again without a new version (after a registry's ranges changed)."""
    names = None if registry is None else (store.registries.get(registry).name,)
    with store.transaction() as tx:
        return reconcile(tx, version=None, found_by="ranges", registries=names)


# --------------------------------------------------------------------------- reading them


def conflicts(
    store: Store, registry: str | None = None, *, open_only: bool = False, limit: int | None = None
) -> list[OverlayConflict]:
    """The conflicts of ``registry`` (None or ``stack``: of every registry), newest first.

    InvalidQuery (parameter ``registry``) for what cannot name a registry; NotFound
    (naming the registries the store holds) for a registry it does not hold.
    """
    from ..store._registries import check_name

    if registry in (None, "", "stack"):
        registry = None
    else:
        store.registries.get(check_name(registry))
    rows = store.rows.conflicts.of(registry, open_only=open_only, limit=limit, newest_first=True)
    return [OverlayConflict.of(row) for row in rows]


def counts(store: Store) -> dict[str, tuple[int, int]]:
    """Per registry that has any: (open, resolved)."""
    return store.rows.conflicts.counts()


def open_on(store: Store, record_ids: Iterable[int]) -> list[OverlayConflict]:
    """The open conflicts of these records (local or upstream), for the pages that show them."""
    if not store.registries.has_local():
        return []
    return [OverlayConflict.of(row) for row in store.rows.conflicts.open_on(sorted(set(record_ids)))]


def get(store: Store, conflict_id: int) -> OverlayConflict:
    """Conflict ``conflict_id``; NotFound otherwise."""
    row = store.rows.conflicts.get(conflict_id)
    if row is None:
        raise NotFound(f"no conflict #{conflict_id}; `portreg registry conflicts` lists them")
    return OverlayConflict.of(row)


def of_version(store: Store, version: int) -> Reconciled:
    """What the publication of ``version`` found and resolved (for an import's or a sync's report)."""
    reader = store.rows.conflicts
    found = [OverlayConflict.of(row) for row in reader.of(found_version=version)]
    return Reconciled(
        [c for c in found if c.resolved_by != "exception"],
        [OverlayConflict.of(row) for row in reader.of(resolved_version=version)],
        [c for c in found if c.resolved_by == "exception"],
    )


# --------------------------------------------------------------------------- resolving by hand


def resolve(store: Store, conflict_id: int, reason: str, *, actor: str | None) -> OverlayConflict:
    """Resolve open conflict ``conflict_id`` for ``reason`` (said by ``actor``).

    The same two records are not reported again while the conflict holds. InvalidQuery
    (parameter ``reason``) without a reason; NotFound for no such conflict; Conflict when
    it is resolved already (by a person, or by a version after which it no longer held).
    """
    why = (reason or "").strip()
    if not why:
        raise InvalidQuery("say why the conflict is resolved (--reason)", parameter="reason")
    if len(why) > MAX_REASON or not why.replace("\n", " ").isprintable():
        raise InvalidQuery(f"a reason is at most {MAX_REASON} printable characters", parameter="reason")
    at = _now()
    with store.transaction() as tx:
        row = tx.conflicts.get(conflict_id)
        if row is None:
            raise NotFound(f"no conflict #{conflict_id}; `portreg registry conflicts` lists them")
        if not row.open:
            raise Conflict(f"conflict #{conflict_id} was resolved already, at {row.resolved_at}: {row.resolution}")
        tx.conflicts.resolve(conflict_id, at=at, by=actor or "unknown", resolution=why)
        done = _resolved(OverlayConflict.of(row), at, actor or "unknown", why, None)
        _mail(tx, row.registry, [], [done], None, "person")
    return done


# --------------------------------------------------------------------------- mail


def _mail(
    tx: Transaction,
    registry: str,
    found: list[OverlayConflict],
    resolved: list[OverlayConflict],
    version: int | None,
    by: str,
) -> None:
    """Queue one mail per watcher of ``registry`` saying what was found and resolved."""
    from . import mail
    from .subscriptions import REGISTRY

    watchers = sorted(
        {address for row, address in tx.subscriptions.of_active_accounts() if row[2] == REGISTRY and row[3] == registry}
    )
    if not watchers:
        return
    base = os.environ.get("PORTREG_BASE_URL", "").rstrip("/")
    parts = []
    if found:
        parts.append(f"{len(found)} new conflict{'s' if len(found) != 1 else ''}")
    if resolved:
        parts.append(f"{len(resolved)} resolved")
    when = f"version {version}" if version is not None else ("a person" if by == "person" else "new ranges")
    lines = [f"Registry {registry} against the upstream registry, after {when} ({by}):", ""]
    for title, chosen in (("New conflicts", found), ("Resolved", resolved)):
        if not chosen:
            continue
        lines.append(f"{title}:")
        for conflict in chosen[:_MAILED]:
            extra = f" ({conflict.resolution})" if not conflict.open and conflict.resolution else ""
            lines.append(f"  #{conflict.id} {conflict.kind}: {conflict.message}{extra}")
        if len(chosen) > _MAILED:
            lines.append(f"  … and {len(chosen) - _MAILED} more")
        lines.append("")
    lines.append(f"Open conflicts: {base}/api/v1/conflicts?registry={registry}&open=true")
    lines.append(f"Feed: {base}/changes/conflicts.atom?registry={registry}")
    lines.append(f"You watch registry {registry}; stop in {base}/account/subscriptions.")
    subject = f"[portreg] {registry}: {', '.join(parts)}"
    headers = {"X-Portreg-Registry": registry}
    if version is not None:
        headers["X-Portreg-Version"] = str(version)
    for address in watchers:
        mail.enqueue(tx, to=address, subject=subject, body="\n".join(lines) + "\n", headers=headers)
