"""The registry's HTML pages: the registry itself, a service, a port, a person, the map.

Server-rendered with Jinja2 (templates in ``web/templates/``, plus the HTML format's
macros and filters from :mod:`portreg.formats.html`), styled by one static CSS file,
and made to work without JavaScript: filters are a GET form, sorting and pages are
links, the map is SVG of links. One module per concept, each with its own router:

- :mod:`.registry`: the registry page and the pages of a service, a port, a person;
- :mod:`.map`: the port map;
- :mod:`.errors`: not-found pages and the site's error handlers;
- :mod:`.render`: what every page shares (environment, rendering, per-version data).

A new concept (``changes.py``) makes its own ``APIRouter(include_in_schema=False)`` and
:func:`portreg.web.app.create_app` includes it with one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import RegistryError
from . import map as port_map
from . import registry
from .errors import http_error, registry_error
from .map import blocks_of
from .render import STATIC, Static, contact_ids, environment, error_page, parse_version, rows_of, table_of

if TYPE_CHECKING:
    from ...services.registry import Snapshot

__all__ = ["error_page", "install", "parse_version", "router", "warm"]

#: The registry's pages and the map, as one router.
router = APIRouter(include_in_schema=False)
router.include_router(registry.router)
router.include_router(port_map.router)


def install(app: FastAPI) -> None:
    """Add the page environment, the static files and the HTML error pages to ``app``;
    :func:`~portreg.web.app.create_app` includes :data:`router` and each further page router."""
    app.state.page_env = environment()
    app.state.registry_service.warmers.append(warm)
    app.mount("/static", Static(directory=STATIC), name="static")
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RegistryError, registry_error)  # type: ignore[arg-type]


def warm(snapshot: Snapshot) -> None:
    """Build what the pages of a new version need before it is served.

    The full registry page then costs a join of ready rows (well under a second)
    instead of rendering 14,444 rows and 5,554 contacts on someone's request.
    """
    rows = rows_of(snapshot)
    everything = range(len(table_of(snapshot).hits))
    rows.rows(everything)
    rows.contacts(contact_ids(snapshot, everything))
    snapshot.derived("pages:blocks", blocks_of)


