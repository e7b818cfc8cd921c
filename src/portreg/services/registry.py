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

from ..errors import EmptyStore, NotFound

if TYPE_CHECKING:
    from ..model import Person, Record, Registry
    from ..store import RegistryInfo, Store, Version, VersionSpan
    from .query import Hit, LookupIndex, Query
    from .stack import StackSnapshot

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

    ``scope`` names the registry read (``iana``, ``acme``; ``stack`` for a
    :class:`~portreg.services.stack.StackSnapshot`); ``sourced`` says whether its hits
    name their registry (they do whenever the store holds more than the upstream).
    """

    def __init__(self, version: Version, registry: Registry, store: Store, *, sourced: bool = False) -> None:
        self.version = version
        self.registry = registry
        self._store = store
        self.scope: str = store.registry_name
        self.sourced = sourced
        self.cache: dict[str, Any] = {}
        self._lock = threading.RLock()  # derived values may derive from others

    @cached_property
    def hits(self) -> tuple[Hit, ...]:
        from .query import Hit

        sourced = self.sourced
        return tuple(Hit.of(stored, sourced=sourced) for stored in self._store.records(version=self.version.number))

    @cached_property
    def index(self) -> LookupIndex:
        from .query import LookupIndex

        return LookupIndex(self.version.number, self.hits)

    @cached_property
    def people(self) -> dict[str, Person]:
        return self.registry.people_by_id()

    def registries(self) -> list[RegistryInfo]:
        """The registries the store held when this snapshot was first asked (top of the stack first)."""
        return self.derived("registries", lambda s: s._store.registries.all())

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
        self._infos: tuple[float, list[RegistryInfo]] | None = None
        self._layers: dict[str, RegistryService] = {}
        self._stacks: OrderedDict[tuple[tuple[str, int], ...], StackSnapshot] = OrderedDict()
        self._queries: dict[tuple[str, ...], Query] = {}

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
        return self._fresh(warm=True)

    def _fresh(self, *, warm: bool) -> Snapshot:
        """:meth:`current`; ``warm`` False skips the warmers (a layer of a stack: the
        stack's snapshot is the one pages show, and is warmed itself)."""
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
            if (
                self._current is None
                or self._current.version.number != version.number
                or self._current.sourced != self._sourced()
            ):
                fresh = self._build(version)
                for warmer in self.warmers if warm else ():
                    warmer(fresh)
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
        return Snapshot(version, self.store.registry(version.number), self.store, sourced=self._sourced())

    def _sourced(self) -> bool:
        return len(self.registries()) > 1

    # -- the stack (see :mod:`.stack`)

    def registries(self) -> list[RegistryInfo]:
        """The registries of the store, top of the stack first; read at most once per ``check_every``."""
        kept = self._infos
        now = time.monotonic()
        if kept is None or now - kept[0] >= self._check_every:
            kept = self._infos = (now, self.store.registries.all())
        return kept[1]

    def view(self, registry: str | None = None, version: int | None = None) -> Snapshot:
        """What a question reads: ``registry`` ``stack`` (every registry, top first), one
        registry's name, or None for the default (the stack when the store holds a local
        registry, else the upstream alone, exactly as :meth:`at`).

        ``version`` is a number of the store's one sequence: for one registry, one of
        its versions; for the stack, the stack as it stood then. NotFound for a registry
        the store does not hold, or a version it never had.
        """
        from .stack import STACK, choose

        infos = self.registries()
        chosen = choose(registry, infos)
        if chosen == STACK:
            return self._stack(infos, version)
        if chosen == self.store.registry_name:
            return self.at(version)
        try:
            return self._layer(chosen, infos).at(version)
        except EmptyStore:
            raise NotFound(f"registry {chosen} has no version yet: import its records") from None

    def _layer(self, name: str, infos: list[RegistryInfo]) -> RegistryService:
        """The service of one registry of the store (its own snapshots, checked as this one's)."""
        if name == self.store.registry_name:
            return self
        layer = self._layers.get(name)
        if layer is None:
            if name not in {info.name for info in infos}:
                self.store.registries.get(name)  # NotFound naming those it holds
            layer = RegistryService(self.store.scoped(name), check_every=self._check_every, keep_old=self._keep_old)
            layer._infos = self._infos
            self._layers[name] = layer
        layer._infos = self._infos  # one answer to "is there more than one registry?"
        return layer

    def _stack(self, infos: list[RegistryInfo], version: int | None) -> StackSnapshot:
        from .stack import Layer, StackSnapshot

        layers = []
        for info in infos:
            service = self._layer(info.name, infos)
            try:
                if version is None:
                    snapshot = service._fresh(warm=False)
                else:
                    numbers = [v.number for v in service.versions() if v.number <= version]
                    if not numbers:
                        continue
                    snapshot = service.at(numbers[-1])
            except EmptyStore:
                if info.name == self.store.registry_name:
                    raise
                continue  # a local registry created but not filled yet
            except NotFound:
                continue
            layers.append(Layer(info, snapshot))
        if not layers:
            raise EmptyStore()
        if (
            version is not None
            and all(layer.snapshot.version.number != version for layer in layers)
            and version not in {v.number for info in infos for v in self._layer(info.name, infos).versions()}
        ):
            raise NotFound(f"the store has no version {version}")
        key = tuple((layer.name, layer.snapshot.version.number) for layer in layers)
        stacked = self._stacks.get(key)
        if stacked is not None:
            return stacked
        fresh = StackSnapshot(layers)
        if version is None:
            for warm in self.warmers:
                warm(fresh)
        with self._lock:
            stacked = self._stacks.setdefault(key, fresh)
            while len(self._stacks) > self._keep_old + 1:
                self._stacks.popitem(last=False)
        return stacked

    def query_for(self, snapshot: Snapshot) -> Query:
        """The query service that reads what ``snapshot`` reads (one registry or the stack);
        pass it ``version=snapshot.version.number``."""
        from .query import Query
        from .stack import StackSnapshot

        if isinstance(snapshot, StackSnapshot):
            names = tuple(layer.name for layer in snapshot.layers)
        elif snapshot.scope == self.store.registry_name and not snapshot.sourced:
            return self.query
        else:
            names = (snapshot.scope,)
        found = self._queries.get(names)
        if found is None:
            found = self._queries[names] = Query(self.store, layers=[self.store.scoped(n) for n in names])
        return found

    def record_history_in(self, snapshot: Snapshot, record_id: int) -> tuple[str, list[tuple[VersionSpan, Record]]]:
        """The registry of ``snapshot`` that holds the record, and the record's history
        there (see :meth:`record_history`); NotFound when none holds it."""
        from .stack import StackSnapshot

        scopes = [layer.name for layer in snapshot.layers] if isinstance(snapshot, StackSnapshot) else [snapshot.scope]
        missing: NotFound | None = None
        for name in scopes:
            try:
                return name, self._layer(name, self.registries()).record_history(record_id)
            except NotFound as exc:
                missing = missing or exc
        raise missing or NotFound(f"the store has no record {record_id}")

    def versions_in(self, snapshot: Snapshot) -> list[tuple[str, Version]]:
        """The versions of every registry ``snapshot`` reads, each with its registry, oldest first."""
        from .stack import StackSnapshot

        scopes = [layer.name for layer in snapshot.layers] if isinstance(snapshot, StackSnapshot) else [snapshot.scope]
        found = [(name, v) for name in scopes for v in self._layer(name, self.registries()).versions()]
        return sorted(found, key=lambda item: item[1].number)

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
