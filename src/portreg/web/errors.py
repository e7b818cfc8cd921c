"""Errors of the JSON API: every failure is a 4xx JSON body that names what was wrong.

One shape for every error, documented in the OpenAPI document as ``ErrorResponse``::

    {"error": {"code": "invalid_parameter", "parameter": "port",
               "message": "port must be an integer from 0 to 65535, got 70000"}}

``code`` is one of ``invalid_parameter`` (400), ``unauthorized`` (401: not signed in, or
a token that is not valid), ``forbidden`` (403: lacking the role), ``not_found`` (404, with
``suggestions``), ``too_many_requests`` (429, with Retry-After),
``method_not_allowed`` (405), ``conflict`` (409), ``store_unavailable`` (503) and
``internal_error`` (500: a bug, never bad input; logged with its traceback).

Errors raised inside API routes are turned into responses by :class:`ApiRoute`, the
router's route class, and unknown paths and methods under the API by its catch-all
route (:func:`portreg.web.api.not_an_operation`), so the API answers in JSON whatever
exception handlers the app installs for its HTML pages, before or after it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Coroutine, Iterable, Mapping, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from ..errors import (
    Conflict,
    EmptyStore,
    FormatError,
    InvalidQuery,
    NotFound,
    PermissionDenied,
    RateLimited,
    RegistryError,
    RuleViolation,
    SignInRequired,
    StoreError,
)
from ..services.params import MAX_ID, parse_int

__all__ = ["API_PREFIX", "PREFLIGHT_HEADERS", "ApiError", "ApiRoute", "error_response", "install_error_handlers"]

#: Where the app mounts the API; errors under it are JSON, elsewhere the app decides.
API_PREFIX = "/api/"

#: The answer to a CORS preflight: any origin may read the API, conditionally too.
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Accept, Accept-Encoding",
    "Access-Control-Max-Age": "86400",
}

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports as it is: an HTTP status, a code, the parameter at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        suggestions: Iterable[str] = (),
        headers: dict[str, str] | None = None,
        registry: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.suggestions = list(suggestions)
        self.headers = headers
        self.registry = registry

    @classmethod
    def invalid(cls, parameter: str, message: str) -> ApiError:
        return cls(400, "invalid_parameter", message, parameter=parameter)


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    headers = {**(error.headers or {}), **(headers or {})} or None
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.parameter is not None:
        body["parameter"] = error.parameter
    if error.code == "not_found":
        body["suggestions"] = error.suggestions
    document: dict[str, Any] = {"error": body}
    if error.registry is not None:
        # "Not in version 3" is an answer about a version, like any other.
        document["registry"] = error.registry
        headers = {**(headers or {}), "X-Registry-Version": str(error.registry["version"])}
    return JSONResponse(document, status_code=error.status, headers=headers)


def from_registry_error(exc: RegistryError) -> ApiError:
    """Map the library's error tree onto HTTP: bad input 400, absent 404, busy 409/503."""
    if isinstance(exc, EmptyStore):
        return ApiError(503, "store_unavailable", str(exc), headers={"Retry-After": "60"})
    if isinstance(exc, NotFound):
        return ApiError(
            404,
            "not_found",
            str(exc),
            parameter=getattr(exc, "parameter", None),
            suggestions=getattr(exc, "suggestions", ()) or (),
        )
    if isinstance(exc, InvalidQuery):
        return ApiError(400, "invalid_parameter", exc.message, parameter=exc.parameter or "request")
    if isinstance(exc, FormatError):
        return ApiError(400, "invalid_parameter", exc.message, parameter=exc.field)
    if isinstance(exc, RuleViolation):
        return ApiError(400, "invalid_parameter", str(exc), parameter=getattr(exc, "field", None))
    if isinstance(exc, SignInRequired):
        return ApiError(401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="portreg"'})
    if isinstance(exc, RateLimited):
        return ApiError(429, "too_many_requests", str(exc), headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, PermissionDenied):
        return ApiError(403, "forbidden", str(exc))
    if isinstance(exc, Conflict):
        return ApiError(409, "conflict", str(exc))
    if isinstance(exc, StoreError):
        return ApiError(503, "store_unavailable", str(exc))
    return ApiError(400, "invalid_request", str(exc))


def from_validation_error(exc: RequestValidationError, hints: Mapping[str, str] = {}) -> ApiError:
    """The first failed parameter, said in words: what it must be, and what it was.

    ``hints`` say what a parameter must be ("an integer from 0 to 65535"); a choice
    among values says its values itself.
    """
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "header", "body")]
    parameter = loc[0] if loc else "request"
    expected = (first.get("ctx") or {}).get("expected")
    if first.get("type") in ("literal_error", "enum") and expected:
        message = f"{parameter} must be one of {expected}"
    elif parameter in hints:
        message = f"{parameter} must be {hints[parameter]}"
    else:
        message = f"{parameter}: {first.get('msg', 'invalid value')}"
    got = first.get("input")
    if got is not None and not isinstance(got, dict):
        message += f", got {_shorten(got)}"
    return ApiError.invalid(parameter, message)


def _shorten(value: object, limit: int = 80) -> str:
    """A number as it is; text quoted, and cut when long (a search may be huge)."""
    text = str(value)
    if text.lstrip("-").isdigit() and len(text) <= limit:
        return text
    return repr(text if len(text) <= limit else text[:limit] + "…")


class ApiRoute(APIRoute):
    """A route that answers every error raised inside it with the API's JSON error body.

    Validation of parameters happens inside the route handler too, so a bad port or a
    bad date becomes a 400 here, before any app-wide handler sees it. Subclasses set
    ``hints``: what each parameter must be, in words, for those 400s.
    """

    hints: Mapping[str, str] = {}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # An endpoint may offer a fast path for requests without a query string: a
        # function of the request returning a response, or None to go the usual way.
        fast_path = getattr(self.endpoint, "fast_path", None)
        # Documented operations take only their documented parameters; the others
        # (the OpenAPI document, the docs page, the catch-all) ignore the query.
        allowed = frozenset(field.alias for field in self.dependant.query_params) if self.include_in_schema else None
        integers = _integer_parameters(self.dependant)

        async def handle(request: Request) -> Response:
            try:
                if fast_path is not None and not request.scope.get("query_string"):
                    response = fast_path(request)
                    if response is not None:
                        return response
                if allowed is not None:
                    _reject_unknown_parameters(request, allowed)
                _check_integers(request, integers)
                return await handler(request)
            except ApiError as exc:
                return error_response(exc)
            except RequestValidationError as exc:
                return error_response(from_validation_error(exc, self.hints))
            except RegistryError as exc:
                return error_response(from_registry_error(exc))
            except StarletteHTTPException as exc:
                return _http_error(exc)
            except Exception:  # a bug: still JSON for the client, a traceback for us
                log.exception("API error on %s", request.url.path)
                return error_response(ApiError(500, "internal_error", "the server failed; this is a bug in portreg"))

        return handle


def _integer_parameters(dependant: Any) -> dict[str, tuple[int, int]]:
    """The path and query parameters declared as integers, with their bounds (ge/le).

    FastAPI's own parsing takes ``+80``, ``80.0``, `` 80`` and other scripts' digits;
    these are checked first by :func:`portreg.services.params.parse_int`, so that every
    interface accepts exactly the same numbers.
    """
    found: dict[str, tuple[int, int]] = {}
    for field in (*dependant.path_params, *dependant.query_params):
        info = field.field_info
        kinds = set(get_args(info.annotation)) or {info.annotation}
        if int not in kinds or not kinds <= {int, type(None)}:
            continue
        low, high = 0, MAX_ID
        for rule in info.metadata:
            ge, gt, le, lt = (getattr(rule, name, None) for name in ("ge", "gt", "le", "lt"))
            low = ge if isinstance(ge, int) else gt + 1 if isinstance(gt, int) else low
            high = le if isinstance(le, int) else lt - 1 if isinstance(lt, int) else high
        found[field.alias] = (low, high)
    return found


def _check_integers(request: Request, integers: Mapping[str, tuple[int, int]]) -> None:
    if not integers:
        return
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        bounds = integers.get(name)
        if bounds is not None:
            parse_int(str(value), parameter=name, low=bounds[0], high=bounds[1])


def _reject_unknown_parameters(request: Request, allowed: frozenset[str]) -> None:
    """A misspelt filter would silently widen a search: name it instead."""
    for name in request.query_params:
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ApiError.invalid(name, f"unknown parameter {_shorten(name)}; this operation takes: {known}")


def _http_error(exc: StarletteHTTPException) -> Response:
    return error_response(ApiError(exc.status_code, "http_error", str(exc.detail)), headers=dict(exc.headers or {}))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def install_error_handlers(app: FastAPI) -> None:
    """Make the app's OpenAPI document the API's, and answer API errors that escape a route.

    Routes answer their own errors (:class:`ApiRoute`) and the router's catch-all
    answers unknown paths and methods, so this only covers the two kinds of error the
    API raises, in JSON under ``/api/`` and through the app's previous handler
    elsewhere. ``app.openapi()`` becomes :func:`portreg.web.api.openapi_document`, where
    errors are the 400/404/503 bodies above rather than FastAPI's 422.
    """
    from .api import openapi_document

    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    for exc_class, api_handler in (
        (RequestValidationError, lambda exc: error_response(from_validation_error(exc))),
        (ApiError, error_response),
    ):
        previous = app.exception_handlers.get(exc_class)
        app.add_exception_handler(exc_class, _dispatch(api_handler, previous))


def _dispatch(api_handler: Callable[[Any], Response], previous: Callable | None) -> Callable:
    async def handler(request: Request, exc: Exception) -> Response:
        if _is_api(request) or previous is None:
            return api_handler(exc)
        result = previous(request, exc)
        if hasattr(result, "__await__"):
            result = await result
        return result

    return handler
