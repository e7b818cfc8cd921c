"""The site's answers when there is nothing to show: "no such service" with near names,
"no such port", an unknown path guessed from its last segment, and registry errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import EmptyStore, InvalidQuery, NotFound, RegistryError, StoreError
from ...services import params
from ...services.suggest import suggest
from .. import urls
from .render import current, error_page

if TYPE_CHECKING:
    from ...services.registry import Snapshot

__all__ = ["http_error", "not_found_name", "not_found_port_spec", "port_suggestions", "registry_error"]


def port_suggestions(snapshot: Snapshot, text: str) -> list[tuple[str, str]]:
    """For text that is a port number: the port's page and every range that contains it."""
    try:
        port = params.parse_port(text)
    except InvalidQuery:
        return []
    out = [(urls.port_url(port), f"port {port}")]
    ranges: dict[str, list[str]] = {}
    for hit in snapshot.index.port(port).hits:
        if hit.record.port is not None and hit.record.port.is_range:
            label = ranges.setdefault(urls.port_url(hit.record.port), [str(hit.record.port)])
            label.append(hit.record.name or str(hit.record.description or "").strip())
    for href, (span, *names) in ranges.items():
        out.append((href, f"ports {span}, which contain {port}: " + ", ".join(dict.fromkeys(names))))
    return out


def not_found_name(request: Request, snapshot: Snapshot, name: str) -> Response:
    names = snapshot.derived("pages:names", lambda s: list(s.index.names()))
    suggestions = port_suggestions(snapshot, name)
    suggestions += [(urls.service_url(n), n) for n in suggest(name, names, limit=8)]
    suggestions.append((urls.registry_url({"search": name}), f"search the registry for “{name}”"))
    return error_page(
        request,
        404,
        f"No service named {name}",
        "The registry holds no service name like this one (names are compared without regard to case).",
        suggestions=suggestions,
        snapshot=snapshot,
    )


def not_found_port_spec(request: Request, snapshot: Snapshot, spec: str) -> Response:
    """``/port/http``: not a port; point at the service of that name, or near names."""
    if snapshot.index.name(spec).found:
        return RedirectResponse(urls.service_url(spec), status_code=307)
    return not_found_name(request, snapshot, spec)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code != 404:
        response = error_page(request, exc.status_code, "Request not allowed", str(exc.detail))
        for name, value in (exc.headers or {}).items():  # a 405's Allow (RFC 9110 §15.5.6)
            response.headers[name] = value
        allow = response.headers.get("allow")
        if allow and "GET" in allow and "HEAD" not in allow:  # HEAD is answered wherever GET is
            response.headers["allow"] = allow + ", HEAD"
        return response
    return _path_not_found(request)


def _path_not_found(request: Request) -> Response:
    """An unknown path: guess what was meant from its last segment."""
    segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    suggestions: list[tuple[str, str]] = []
    try:
        snapshot = current(request)
    except RegistryError:
        snapshot = None
    if segment.isascii() and segment.isdigit() and snapshot is not None:
        suggestions += port_suggestions(snapshot, segment)
    elif segment and snapshot is not None:
        if snapshot.index.name(segment).found:
            suggestions.append((urls.service_url(segment), f"the service {segment}"))
        elif segment in snapshot.people:
            suggestions.append((urls.person_url(segment), f"the person {segment}"))
    suggestions += [(urls.registry_url(), "the registry"), (urls.map_url(), "the port map")]
    return error_page(
        request,
        404,
        "Page not found",
        f"There is no page at {request.url.path}.",
        suggestions=suggestions,
        snapshot=snapshot,
    )


async def registry_error(request: Request, exc: RegistryError) -> Response:
    if isinstance(exc, EmptyStore):
        return error_page(request, 503, "The registry is empty", str(exc))
    if isinstance(exc, NotFound):
        suggestions = [(urls.registry_url({"search": s}), s) for s in exc.suggestions]
        return error_page(request, 404, "Not in the registry", str(exc), suggestions=suggestions)
    status = 503 if isinstance(exc, StoreError) else 400
    return error_page(request, status, "The registry cannot answer this", str(exc))
