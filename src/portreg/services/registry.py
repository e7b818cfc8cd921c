"""The registry as one version at a time: a :class:`Snapshot` per version, kept by a :class:`RegistryService`.

A long-lived process (the web server) answers hundreds of thousands of lookups a second
from memory; a one-shot command asks the store once. Both go through this module or
:mod:`.query`, never through the store itself: the :class:`RegistryService` is what an
interface holds, and everything it reads (snapshots, versions, a record's history, the
query service) comes from here.

A snapshot is immutable: a request takes one and reads only from it, so a page never
mixes two versions even while a new one is being published.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..errors import EmptyStore

if TYPE_CHECKING:
    from ..model import Person, Record, Registry
    from ..store import Store, Version, VersionSpan
    from .query import Hit, LookupIndex, Query

__all__ = ["RegistryService", "Snapshot"]

T = TypeVar("T")


class Snapshot:
    """One registry version, with what is computed from it.

    ``registry`` is the whole version, exactly as ``portreg export`` writes it; ``hits``
    its records in registry order as the query layer returns them (store ids, state,
    range class) and ``index`` the query layer's in-memory
    :class:`~portreg.services.query.LookupIndex` over them, both made on first use (a
    download of an old version needs neither). ``cache`` keeps anything else computed
    from this version (table rows, the port map, serialized API answers); ``derived()``
    fills it once per key.
    """

    def __init__(self, version: Version, registry: Registry, store: Store) -> None:
        self.version = version
        self.registry = registry
        self._store = store
        self.cache: dict[str, Any] = {}
        self._lock = threading.RLock()  # derived values may derive from others

    @cached_property
    def hits(self) -> tuple[Hit, ...]:
        from .query import Hit

        return tuple(Hit.of(stored) for stored in self._store.records(version=self.version.number))

    @cached_property
    def index(self) -> LookupIndex:
        from .query import LookupIndex

        return LookupIndex(self.version.number, self.hits)

    @cached_property
    def people(self) -> dict[str, Person]:
        return self.registry.people_by_id()

    def derived(self, key: str, make: Callable[[Snapshot], T]) -> T:
        """``make(self)``, computed once per version and kept under ``key``."""
        try:
            return self.cache[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self.cache:
                self.cache[key] = make(self)
            return self.cache[key]


class RegistryService:
    """A store, and the snapshot of its current version, for one process.

    Building a snapshot (the in-memory index) costs a fraction of a second, so it is
    built once per version and swapped when the store's current version changes. The
    store is asked at most once per ``check_every`` seconds, so a busy server does not
    pay a database round trip per request to learn that nothing changed.

    ``store`` is kept so that the process can close it and hand it to other services
    (sync, imports); interfaces read through the methods here, never through it.
    """

    def __init__(self, store: Store, *, check_every: float = 1.0, keep_old: int = 2) -> None:
        self.store = store
        #: Called with each new current snapshot before it is served (pages pre-render rows).
        self.warmers: list[Callable[[Snapshot], None]] = []
        self._check_every = check_every
        self._keep_old = keep_old
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._checked_at = float("-inf")
        self._old: OrderedDict[int, Snapshot] = OrderedDict()

    @classmethod
    def open(cls, url: str | None = None, **options: Any) -> RegistryService:
        """The service over the store at ``url`` (see :func:`portreg.services.open_store`)."""
        from . import open_store

        return cls(open_store(url), **options)

    def __enter__(self) -> RegistryService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- snapshots

    def current(self) -> Snapshot:
        """The snapshot of the store's current version; :class:`EmptyStore` when there is none.

        While one request checks the store or builds a new snapshot, the others keep
        being served from the snapshot they have, rather than queue behind it.
        """
        snapshot = self._current
        if snapshot is not None:
            if time.monotonic() - self._checked_at < self._check_every or not self._lock.acquire(blocking=False):
                return snapshot
        else:
            self._lock.acquire()
        try:
            version = self.store.current_version()
            self._checked_at = time.monotonic()
            if version is None:
                raise EmptyStore()
            if self._current is None or self._current.version.number != version.number:
                fresh = self._build(version)
                for warm in self.warmers:
                    warm(fresh)
                self._current = fresh
            return self._current
        finally:
            self._lock.release()

    def at(self, number: int | None) -> Snapshot:
        """The snapshot of version ``number`` (the current one for None); NotFound if absent."""
        current = self.current()
        if number is None or number == current.version.number:
            return current
        with self._lock:
            snapshot = self._old.get(number)
            if snapshot is None:
                snapshot = self._build(self.store.version(number))
                self._old[number] = snapshot
                while len(self._old) > self._keep_old:
                    self._old.popitem(last=False)
            else:
                self._old.move_to_end(number)
            return snapshot

    def _build(self, version: Version) -> Snapshot:
        return Snapshot(version, self.store.registry(version.number), self.store)

    # -- what is not one version's

    @cached_property
    def query(self) -> Query:
        """The query service on this store, for what the in-memory index does not answer
        (full-text search, people search, stats); pass ``version=`` a snapshot's number."""
        from .query import Query

        return Query(self.store)

    def versions(self) -> list[Version]:
        """Every stored version, oldest first (empty for an empty store)."""
        return self.store.versions()

    def current_version(self) -> Version | None:
        """The store's current version as it is now (None while empty), read afresh:
        what a command compares before and after it writes, not a cached snapshot's."""
        return self.store.current_version()

    def registry(self, version: int | None = None) -> Registry:
        """The whole registry of ``version`` (the current one for None), as imported."""
        return self.store.registry(version)

    def record_history(self, record_id: int) -> list[tuple[VersionSpan, Record]]:
        """Each distinct content of a record, oldest first; NotFound for an unknown id."""
        return self.store.record_history(record_id)

    def import_registry(self, registry: Registry, **options: Any) -> Version | None:
        """Publish ``registry`` as a new version (None when it equals the current one).

        ``options`` are the store's: ``source``, ``actor``, ``reason``, ``progress``.
        """
        return self.store.import_registry(registry, **options)
