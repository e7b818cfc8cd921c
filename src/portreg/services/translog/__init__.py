"""A log nobody can rewrite: every published version as a leaf of an RFC 9162 Merkle tree.

Each version of the registry becomes one leaf, the canonical JSON (keys sorted, no
spaces, UTF-8) of::

    {"actor": "...", "kind": "version", "number": 7, "published": "2017-06-02",
     "source": "...", "xml_sha256": "<SHA-256 of the version's canonical XML>"}

where the canonical XML is what ``portreg export --format xml --version N`` writes (the
same bytes as ``/assignments/.../service-names-port-numbers.xml?version=N``). A store
may hold local registries stacked on IANA's (``portreg registry create``); version
numbers are one sequence over all of them, so the log is one log, in that order. A
leaf of a local registry's version names it, ``"registry": "acme"``, and hashes that
registry's XML (``...xml?registry=acme&version=N``); a leaf of IANA's versions has no
``registry`` key, so the leaves logged before local registries existed, and every
verifier's cache of them, stay valid byte for byte. The tree
over the leaves (:mod:`.merkle`) gives a root hash that changes if any leaf is altered,
dropped or reordered; the server signs its heads (:mod:`.signing`); inclusion proofs
show that a version is in the log, consistency proofs that a later log extends an
earlier one. ``portreg verify`` (:mod:`.verify`) checks all of it from outside.

When leaves are made: hashing a version's XML costs a rebuild of that version and an
XML write (0.1 to 0.3 s), which an import of 342 versions cannot afford inside its
transactions. So imports write no leaf; :func:`catch_up` appends the leaves of every
version that has none, oldest first, in short transactions of their own, and is run
after each import by the CLI and the sync service's callers, by ``portreg serve`` in a
background thread at start and whenever a new version appears, and by ``portreg log
catch-up``. A version is "published but not yet logged" for that short while; the log
itself never changes what it holds.

The assignment process's events will join the same log as leaves of another ``kind``
(``"event"``), appended in order by the same :meth:`LogTable.append`; verifiers check
every kind the same way, by inclusion of the leaf bytes they hold.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import Conflict, InvalidQuery, NotFound, RegistryError
from . import merkle
from .signing import ORIGIN, LogKey, SignedTreeHead

if TYPE_CHECKING:
    from ...model import Registry
    from ...store import Store
    from ...store._translog import LogEntry, NewLeaf

__all__ = [
    "Inclusion",
    "Keeper",
    "LogKey",
    "SignedTreeHead",
    "TransparencyLog",
    "canonical_json",
    "catch_up",
    "pending",
    "scope_of",
    "version_leaf",
    "xml_sha256",
]

#: Leaves appended per transaction while catching up: the write lock is held briefly.
BATCH = 16


def canonical_json(value: Any) -> bytes:
    """The one byte string a leaf's JSON value is hashed as (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def xml_sha256(registry: Registry, *, record_texts: dict[int, Any] | None = None) -> str:
    """SHA-256 (hex) of ``registry`` written by our XML writer (``record_texts``: see
    :func:`portreg.formats.xml.dumps`).

    Garbage collection waits meanwhile: the writer makes a few hundred thousand strings,
    none in a cycle.
    """
    import gc

    from ...formats import xml

    collecting = gc.isenabled()
    gc.disable()
    try:
        return hashlib.sha256(xml.dumps(registry, record_texts=record_texts).encode("utf-8")).hexdigest()
    finally:
        if collecting:
            gc.enable()


def scope_of(store: Store, number: int) -> Store:
    """``store`` seen as the registry version ``number`` belongs to; NotFound when no registry has it."""
    name = store.log.registry_of_version(number)
    if name is None:
        raise NotFound(f"the store has no version {number}")
    return store.scoped(name)


def version_leaf(
    store: Store, number: int, registry: Registry | None = None, *, record_texts: dict[int, Any] | None = None
) -> bytes:
    """The leaf of version ``number`` (of whichever registry holds it), from what the
    store holds now (``registry``: that version, when the caller has it already; else
    it is rebuilt from the store)."""
    from ...store._registries import UPSTREAM

    store = scope_of(store, number)
    version = store.version(number)
    value: dict[str, Any] = {
        "kind": "version",
        "number": version.number,
        "published": version.published,
        "source": version.source,
        "actor": version.actor,
        "xml_sha256": xml_sha256(
            registry if registry is not None else store.registry(number), record_texts=record_texts
        ),
    }
    if store.registry_name != UPSTREAM:
        value["registry"] = store.registry_name
    return canonical_json(value)


class _Versions:
    """Consecutive versions of one registry, each made from the one before by the history
    service's exact :func:`~portreg.services.history.apply` of their delta: a fraction
    of a rebuild. The records a version shares with the one before are the same
    objects, so their XML is written once (``record_texts``).

    ``store`` is scoped to that registry: its versions are consecutive in its own list,
    not in the store's one sequence, which other registries' versions interleave.

    Only the log's writer takes this road; ``portreg verify --db`` rebuilds every version
    from the store on its own, so the two check each other.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.number = 0
        self.registry: Registry | None = None
        self.ids: list[int] = []
        self.record_texts: dict[int, Any] = {}
        numbers = [v.number for v in store.versions()]
        #: Each version's predecessor in this registry.
        self._before = dict(zip(numbers[1:], numbers))

    def get(self, number: int) -> Registry:
        from .. import history

        if self.registry is not None and self._before.get(number) == self.number:
            self.registry, self.ids = history.apply(
                history.from_delta(self.store.delta(self.number, number)), self.registry, self.ids
            )
        else:
            self.registry = self.store.registry(number)
            self.ids = [s.id for s in self.store.records(version=number)]
        self.number = number
        return self.registry


def pending(store: Store) -> int:
    """How many published versions have no leaf yet."""
    return len(store.log.unlogged_versions())


def catch_up(store: Store, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Append a leaf for every version that has none, oldest first; return how many.

    Leaves are computed outside any transaction and appended :data:`BATCH` at a time;
    when another process appended meanwhile (Conflict), the remaining work is recomputed.
    """
    from ...store._translog import NewLeaf

    appended = 0
    versions: dict[str, _Versions] = {}
    for _attempt in range(5):
        missing = store.log.unlogged()
        total = appended + len(missing)
        try:
            for start in range(0, len(missing), BATCH):
                at = store.log.size()
                leaves = []
                for number, name in missing[start : start + BATCH]:
                    if name not in versions:
                        versions[name] = _Versions(store.scoped(name))
                    made = versions[name]
                    leaf = version_leaf(store, number, made.get(number), record_texts=made.record_texts)
                    leaves.append(NewLeaf("version", number, leaf, merkle.leaf_hash(leaf)))
                store.log.append(leaves, at=at)
                appended += len(leaves)
                if progress is not None:
                    progress(appended, total)
            return appended
        except Conflict:
            continue
    return appended


@dataclass(frozen=True)
class Inclusion:
    """That ``entry`` is leaf ``entry.index`` of the tree of ``tree_size`` leaves: its audit ``path``."""

    entry: LogEntry
    tree_size: int
    path: list[bytes]


class TransparencyLog:
    """The log of one store, for readers: heads, proofs, leaves. ``key`` signs heads."""

    def __init__(self, store: Store, key: LogKey | None = None, *, origin: str = ORIGIN) -> None:
        self.store = store
        self.key = key
        self.origin = origin
        self._lock = threading.Lock()
        self._hashes: list[bytes] = []
        self._signed: dict[tuple[int, bytes], SignedTreeHead] = {}
        self._summary: tuple[float, dict[str, Any] | None] | None = None

    def hashes(self) -> list[bytes]:
        """Every leaf hash, read again only when the log has grown (leaves never change)."""
        size = self.store.log.size()
        with self._lock:
            if size != len(self._hashes):
                self._hashes = self.store.log.hashes()
            return self._hashes

    def size(self) -> int:
        return len(self.hashes())

    def root(self, size: int | None = None) -> bytes:
        hashes = self.hashes()
        return merkle.root(hashes if size is None else hashes[: self._size(size, "tree_size")])

    def signed_head(self) -> SignedTreeHead:
        """The current head, signed (once per tree: Ed25519 signatures are deterministic)."""
        if self.key is None:
            raise RegistryError("this log has no signing key")
        hashes = self.hashes()
        size, top = len(hashes), merkle.root(hashes)
        found = self._signed.get((size, top))
        if found is None:
            last = self.store.log.entries(size - 1, size) if size else []
            timestamp = int(last[0].appended_at.timestamp() * 1000) if last else 0
            found = self._signed[(size, top)] = SignedTreeHead.sign(self.key, size, top, timestamp, self.origin)
        return found

    def summary(self, *, every: float = 2.0) -> dict[str, Any] | None:
        """Size, root and key id for a page footer; asks the store at most once per ``every`` seconds.

        None when the log is empty or cannot be read (a page must not fail for it).
        """
        now = time.monotonic()
        cached = self._summary
        if cached is not None and now - cached[0] < every:
            return cached[1]
        try:
            hashes = self.hashes()
        except RegistryError:
            return None
        found = None
        if hashes:
            found = {
                "size": len(hashes),
                "root": merkle.root(hashes).hex(),
                "key_id": self.key.key_id if self.key else None,
            }
        self._summary = (now, found)
        return found

    def entries(self, start: int = 0, end: int | None = None) -> list[LogEntry]:
        return self.store.log.entries(start, end)

    def inclusion(self, version: int, tree_size: int | None = None) -> Inclusion:
        """The inclusion proof of version ``version``'s leaf in the tree of ``tree_size`` leaves (default: all)."""
        entry = self.store.log.entry_of_version(version)
        if entry is None:
            scope_of(self.store, version)  # NotFound when there is no such version at all
            raise NotFound(f"version {version} is not in the log yet (leaves are appended shortly after each import)")
        hashes = self.hashes()
        size = len(hashes) if tree_size is None else self._size(tree_size, "tree_size")
        if entry.index >= size:
            raise InvalidQuery(
                f"version {version} is leaf {entry.index}, not in a tree of {size} leaves", parameter="tree_size"
            )
        return Inclusion(entry, size, merkle.inclusion_proof(entry.index, hashes[:size]))

    def consistency(self, first: int, second: int | None = None) -> list[bytes]:
        """The consistency proof from the tree of ``first`` leaves to that of ``second`` (default: all)."""
        hashes = self.hashes()
        second = len(hashes) if second is None else self._size(second, "second")
        first = self._size(first, "first")
        if first > second:
            raise InvalidQuery(f"a log never shrinks: {first} leaves cannot be a prefix of {second}", parameter="first")
        return merkle.consistency_proof(first, hashes[:second])

    def _size(self, size: int, parameter: str) -> int:
        have = len(self._hashes)
        if not 0 <= size <= have:
            raise InvalidQuery(f"the log has {have} leaves; {size} is not a size it had", parameter=parameter)
        return size


def leaf_of(entry: LogEntry | NewLeaf) -> dict[str, Any]:
    """A leaf's JSON value (leaves are JSON objects; see the module docstring)."""
    return dict(json.loads(entry.leaf))


class Keeper:
    """Keeps a server's log caught up: :func:`catch_up` in a daemon thread, at start,
    whenever :meth:`poke` says a version appeared, and every ``every`` seconds (for
    versions published by other processes); then mails the subscribers of what the new
    versions touched (:func:`portreg.services.subscriptions.notify`, links on ``base_url``)."""

    def __init__(
        self,
        store: Store,
        *,
        every: float = 300.0,
        base_url: str = "",
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.every = every
        self.on_error = on_error
        self.appended = 0
        self.mailed = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="portreg-translog", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.appended += catch_up(self.store)
                from ..subscriptions import notify

                self.mailed += notify(self.store, base_url=self.base_url)
            except RegistryError as exc:  # a read-only or busy store: try again later
                if self.on_error is not None:
                    self.on_error(exc)
            self._wake.wait(self.every)
