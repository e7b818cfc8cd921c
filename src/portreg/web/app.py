"""The web application: ``create_app()`` builds it; its state lives on ``app.state``.

One app serves the pages (:mod:`.pages`), the downloads (:mod:`.downloads`) and the JSON
API (:mod:`.api`, mounted at ``/api/v1``). They all read the registry through
``app.state.registry_service`` (a :class:`RegistryService`), so that pages, API and
downloads always show the same version. No module-level state: two apps in one process
(tests do this) never share anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..services.registry import RegistryService, Snapshot

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import FastAPI

    from ..store import Store

__all__ = ["RegistryService", "Snapshot", "create_app", "mount_api"]


def create_app(
    store_url: str | None = None,
    *,
    store: Store | None = None,
    notice: str | None = None,
    log_key: str | Path | None = None,
) -> FastAPI:
    """Build the web application on the store at ``store_url`` (or an open ``store``).

    ``notice`` is a line every page shows in its head, such as where a first start
    filled the store from ("filled from /etc/services: IANA could not be reached").
    ``log_key`` is the transparency log's signing key file (made there when absent;
    default: :func:`portreg.services.translog.signing.default_key_path`).
    """
    from fastapi import FastAPI

    from ..services.history import DiffCache
    from . import auth, downloads, errors, middleware, pages
    from .pages import accounts as account_pages
    from .pages import changes
    from .pages import conflicts as conflict_pages
    from .pages import diff as diff_pages
    from .pages import requests as request_pages
    from .pages import search as search_page
    from .urls import API_ROOT

    app = FastAPI(
        title="portreg",
        summary="The Service Name and Transport Protocol Port Number Registry",
        openapi_url=API_ROOT + "/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.registry_service = RegistryService(store) if store is not None else RegistryService.open(store_url)
    app.state.documents = downloads.DocumentCache()
    app.state.diffs = DiffCache()
    app.state.notice = notice
    app.state.translog = _translog(app.state.registry_service.store, log_key)
    app.include_router(downloads.router)
    app.include_router(conflict_pages.router)  # /changes/conflicts.atom, before /changes/{span}
    changes.install(app)  # before the pages' /service/{name:path}, which would take /service/N/changes.atom
    pages.install(app)  # HTML error pages first: the API's handlers wrap them for /api/
    app.state.page_env.globals["runs_registry"] = runs_registry()
    app.include_router(pages.router)
    # Each further concept of the pages: one line here.
    app.include_router(account_pages.router)
    app.include_router(diff_pages.router)
    app.include_router(search_page.router)
    app.include_router(request_pages.router)
    mount_api(app)
    errors.install_error_handlers(app)
    auth.install(app)
    middleware.install(app)
    return app


def mount_api(app: FastAPI) -> None:
    """Mount every router of the JSON API on ``app``, the fallback last.

    The one list of the API's routers: :func:`create_app` mounts them, and the tests that
    fuzz the OpenAPI document build it from the same list, so no operation the app
    serves escapes them.
    """
    from . import api
    from .api import accounts as accounts_api
    from .api import collisions as collisions_api
    from .api import conflicts as conflicts_api
    from .api import history as history_api
    from .api import log as log_api
    from .api import registries as registries_api
    from .api import registry_rules as registry_rules_api
    from .api import requests as requests_api
    from .api import subscriptions as subscriptions_api
    from .urls import API_ROOT

    app.include_router(api.router, prefix=API_ROOT)
    # Each further concept of the API: one line here, before the fallback.
    app.include_router(accounts_api.router, prefix=API_ROOT)
    app.include_router(log_api.router, prefix=API_ROOT)
    app.include_router(collisions_api.router, prefix=API_ROOT)
    app.include_router(history_api.router, prefix=API_ROOT)
    app.include_router(subscriptions_api.router, prefix=API_ROOT)
    app.include_router(log_api.well_known)
    app.include_router(requests_api.router, prefix=API_ROOT)
    app.include_router(registries_api.router, prefix=API_ROOT)
    app.include_router(registry_rules_api.router, prefix=API_ROOT)
    app.include_router(conflicts_api.router, prefix=API_ROOT)
    app.include_router(api.fallback, prefix=API_ROOT)  # last: answers what no operation does


def runs_registry() -> bool:
    """Whether this instance operates a registry (``$PORTREG_RUNS_REGISTRY`` set to 1, or
    to the name of the registry it operates, see :func:`portreg.services.stack.operated_registry`):
    then its pages send people to its own request form instead of IANA's."""
    import os

    return os.environ.get("PORTREG_RUNS_REGISTRY", "").strip().lower() not in ("", "0", "no", "false", "off")


def _translog(store: Store, key_path: str | Path | None) -> Any:
    """The store's transparency log, signing with the key at ``key_path``; unsigned (the
    log API then answers 503) when the key can neither be read nor made."""
    import logging

    from ..errors import RegistryError
    from ..services.translog import TransparencyLog
    from ..services.translog.signing import load_key

    try:
        key = load_key(key_path)
    except RegistryError as exc:
        logging.getLogger(__name__).warning("transparency log unsigned: %s", exc)
        key = None
    return TransparencyLog(store, key)
