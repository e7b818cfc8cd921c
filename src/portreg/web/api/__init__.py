"""The JSON API, ``/api/v1``: the registry for programs, with the same answers as the pages.

One module per concept, each with its own router made by :func:`.params.api_router`:

- :mod:`.registry`: ports, services, records, search, people, stats, free ports, versions;
- :mod:`.openapi`: the OpenAPI document, its docs page, the index, and :data:`fallback`;
- :mod:`.params`: the parameters every operation shares, and the limits on them;
- :mod:`.bodies`: the snapshot a request reads, the JSON shapes, the bytes sent.

:func:`portreg.web.app.create_app` includes :data:`router` at :data:`API_ROOT`, then each
further concept's router, then :data:`fallback` last. Shapes are the models of
:mod:`portreg.web.schemas`; errors are described in :mod:`portreg.web.errors`.
"""

from __future__ import annotations

from fastapi import APIRouter

from ..urls import API_ROOT
from . import openapi, registry
from .openapi import fallback, openapi_document
from .params import MAX_PAGE_SIZE

__all__ = ["API_ROOT", "MAX_PAGE_SIZE", "fallback", "openapi_document", "router"]

#: The registry's operations and the API's own description, as one router.
router = APIRouter()
router.include_router(registry.router)
router.include_router(openapi.router)
