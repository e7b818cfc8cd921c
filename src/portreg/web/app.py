"""The web application: ``create_app()`` builds it; its state lives on ``app.state``.

One app serves the pages (:mod:`.pages`), the downloads (:mod:`.downloads`) and the JSON
API (:mod:`.api`, mounted at ``/api/v1``). They all read the registry through
``app.state.registry_service`` (a :class:`RegistryService`), so that pages, API and
downloads always show the same version. No module-level state: two apps in one process
(tests do this) never share anything.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..errors import NotFound

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..model import Person, Registry
    from ..services.query import Hit, LookupIndex, Query
    from ..store import Store, Version

__all__ = ["RegistryService", "Snapshot", "create_app"]

T = TypeVar("T")


class Snapshot:
    """One registry version as the web serves it.

    Immutable: a request takes one snapshot and reads only from it, so a page never mixes
    two versions even while a new one is being published. ``registry`` is the whole
    version, exactly as ``portreg export`` writes it; ``hits`` its records in registry
    order as the query layer returns them (store ids, state, range class) and ``index``
    the query layer's in-memory :class:`~portreg.query.LookupIndex` over them, both made
    on first use (a download of an old version needs neither). ``cache`` keeps anything
    else computed from this version (table rows, the port map, serialized API answers);
    ``derived()`` fills it once per key.
    """

    def __init__(self, version: Version, registry: Registry, store: Store) -> None:
        self.version = version
        self.registry = registry
        self._store = store
        self.cache: dict[str, Any] = {}
        self._lock = threading.RLock()  # derived values may derive from others

    @cached_property
    def hits(self) -> tuple[Hit, ...]:
        from ..services.query import Hit

        return tuple(Hit.of(stored) for stored in self._store.records(version=self.version.number))

    @cached_property
    def index(self) -> LookupIndex:
        from ..services.query import LookupIndex

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
    """The store, and the snapshot of its current version, for one process.

    Building a snapshot (the in-memory index) costs a fraction of a second, so it is
    built once per version and swapped when the store's current version changes. The
    store is asked at most once per ``check_every`` seconds, so a busy server does not
    pay a database round trip per request to learn that nothing changed.
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

    def current(self) -> Snapshot:
        """The snapshot of the store's current version; NotFound when the store is empty.

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
                from ..services.query import EMPTY_STORE

                raise NotFound(EMPTY_STORE)
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

    @cached_property
    def query(self) -> Query:
        """The query service on this store, for what the in-memory index does not answer
        (full-text search, people search, history); pass ``version=`` a snapshot's number."""
        from ..services.query import Query

        return Query(self.store)

    def _build(self, version: Version) -> Snapshot:
        return Snapshot(version, self.store.registry(version.number), self.store)

    def close(self) -> None:
        self.store.close()


def create_app(store_url: str | None = None, *, store: Store | None = None, notice: str | None = None) -> FastAPI:
    """Build the web application on the store at ``store_url`` (or an open ``store``).

    ``notice`` is a line every page shows in its head, such as where a first start
    filled the store from ("filled from /etc/services: IANA could not be reached").
    """
    from fastapi import FastAPI

    from . import downloads, middleware, pages

    if store is None:
        from ..store import Store

        store = Store.open(store_url)
    app = FastAPI(
        title="portreg",
        summary="The Service Name and Transport Protocol Port Number Registry",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.registry_service = RegistryService(store)
    app.state.documents = downloads.DocumentCache()
    app.state.notice = notice
    app.include_router(downloads.router)
    pages.install(app)  # HTML error pages first: the API's handlers wrap them for /api/
    _include_api(app)
    middleware.install(app)
    return app


def _include_api(app: FastAPI) -> None:
    """Mount the JSON API (engineer B's ``web/api.py``) when it exists."""
    try:
        from . import api
    except ImportError as exc:
        if exc.name != f"{__package__}.api":
            raise
        return
    app.include_router(api.router, prefix="/api/v1")
    try:
        from . import errors
    except ImportError as exc:
        if exc.name != f"{__package__}.errors":
            raise
        return
    errors.install_error_handlers(app)
