"""The API describing itself: the OpenAPI document, its docs page, the index at ``/api/v1/``,
and the fallback that answers, in JSON, whatever no operation answers.

:data:`fallback` is mounted after every other API router (see :func:`portreg.web.app.create_app`),
so it only sees requests no operation matched.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Match

from .. import urls
from ..errors import PREFLIGHT_HEADERS, ApiError
from .bodies import JSON_MEDIA_TYPE, send, snapshot
from .params import MAX_PAGE_SIZE, api_router

__all__ = ["fallback", "openapi_document", "router"]

router = api_router("meta")
fallback = api_router("meta")


@router.get("/", include_in_schema=False)
async def index(request: Request) -> Response:
    """Where a person typing the API's address lands: what it is and where it is described."""
    snap = snapshot(request, None)
    operations = {
        path[len(urls.API_ROOT) :]: item["get"]["summary"]
        for path, item in openapi_document(request.app)["paths"].items()
        if "get" in item
    }
    return send(
        snap, {"docs": urls.api_url("/docs"), "openapi": urls.api_url("/openapi.json"), "operations": operations}
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi_json(request: Request) -> Response:
    return Response(_openapi_bytes(request.app), media_type=JSON_MEDIA_TYPE)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """A self-contained page: no script, nothing loaded from elsewhere."""
    from ..apidocs import render_docs

    state = request.app.state
    page = getattr(state, "api_docs_html", None)
    if page is None:
        # The site's own stylesheet when the pages are mounted (CSP allows our own styles).
        page_env = getattr(state, "page_env", None)
        stylesheet = page_env.globals.get("stylesheet") if page_env is not None else None
        page = render_docs(
            openapi_document(request.app), openapi_url=urls.api_url("/openapi.json"), stylesheet=stylesheet
        )
        state.api_docs_html = page
    return HTMLResponse(page)


@fallback.api_route(
    "/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
def not_an_operation(request: Request, path: str) -> Response:
    """Whatever no operation answers, answered in JSON here rather than by the app's
    HTML error pages: a CORS preflight or a wrong method on a real path, or a 404."""
    probe = {"type": "http", "path": urls.api_url("/" + path), "method": "GET", "root_path": ""}
    exists = any(
        getattr(route, "original_router", None) is not fallback
        and getattr(route, "endpoint", None) is not not_an_operation
        and route.matches(probe)[0] is Match.FULL
        for route in request.app.routes
    )
    if exists and request.method == "OPTIONS":
        return Response(status_code=204, headers=PREFLIGHT_HEADERS)
    if exists:
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed: the API only answers GET, HEAD and OPTIONS",
            headers={"Allow": "GET, HEAD, OPTIONS"},
        )
    raise ApiError(
        404, "not_found", f"no API operation at {request.url.path}; they are listed at {urls.api_url('/docs')}"
    )


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The API's OpenAPI document, from its routes, with the error shape it really answers.

    FastAPI documents a 422 with its own validation body on every operation; this API
    answers a 400 with :class:`~portreg.web.schemas.ErrorResponse` instead.
    """
    cached: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title="portreg API",
        version="1",
        description=_API_DESCRIPTION,
        routes=app.routes,
    )
    # The app's pages may be documented too: this document is the API's alone.
    doc["paths"] = {path: item for path, item in doc.get("paths", {}).items() if path.startswith(urls.API_ROOT + "/")}
    for item in doc["paths"].values():
        for op in item.values():
            responses = op.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]  # FastAPI's own; a 422 an operation declares itself stays
            if "description" in op:  # docstrings quote code as ``x``; OpenAPI's Markdown as `x`
                op["description"] = op["description"].replace("``", "`")
    schemas_ = doc.get("components", {}).get("schemas", {})
    schemas_.pop("HTTPValidationError", None)
    schemas_.pop("ValidationError", None)
    app.state.api_openapi = doc
    return doc


_API_DESCRIPTION = (
    "IANA's Service Name and Transport Protocol Port Number Registry for programs: the same answers "
    "as the registry's pages and the portreg command line.\n\n"
    "Every response names the registry version it reflects, in its body (registry: version, updated) "
    "and in the X-Registry-Version header; ?version=N reads an older version. Errors are JSON bodies "
    "{error: {code, message, parameter, suggestions}}: 400 for a bad parameter (named), 404 for "
    f"something the registry does not hold (with near names). page_size is at most {MAX_PAGE_SIZE}: "
    "more is a 400, not a silent cut. Unknown query parameters are a 400."
)


def _openapi_bytes(app: FastAPI) -> bytes:
    cached: bytes | None = getattr(app.state, "api_openapi_bytes", None)
    if cached is None:
        cached = json.dumps(openapi_document(app), separators=(",", ":")).encode()
        app.state.api_openapi_bytes = cached
    return cached
