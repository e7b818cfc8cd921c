"""The API's parameters, declared once so that every operation spells and checks them the same way.

Also the route class every API router uses (:func:`api_router`): it answers errors with
the API's JSON body, and names a bad parameter in words (:data:`PARAMETER_HINTS`).
A module adding operations (``requests.py``, ``history.py``) makes its router with
:func:`api_router` and takes its parameters from here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from ... import rules
from ...model import TRANSPORTS
from .. import schemas
from ..errors import ApiError, ApiRoute

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ERROR_RESPONSES",
    "FILTER_NAMES",
    "MAX_FREE_COUNT",
    "MAX_ID",
    "MAX_PAGE_SIZE",
    "MAX_SEARCH",
    "PARAMETER_HINTS",
    "AssigneeParam",
    "DateFilters",
    "DateParam",
    "PageParam",
    "PageSizeParam",
    "PortParam",
    "RangeClassParam",
    "RegistryParam",
    "Sort",
    "StateParam",
    "TransportParam",
    "VersionParam",
    "YearParam",
    "api_router",
    "check_dates",
    "error_responses",
    "shown",
]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_FREE_COUNT = 1000
#: Record ids and version numbers fit a 32-bit database integer (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
MAX_SEARCH = 200

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorResponse, "description": "A bad parameter; the body names it."},
    404: {
        "model": schemas.ErrorResponse,
        "description": "No such port, name, record, person or version; the body suggests near names.",
    },
    503: {
        "model": schemas.ErrorResponse,
        "description": "The store is empty or cannot be read; the body says how to fill it.",
    },
}

#: What each error status of the API means, for :func:`error_responses`.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "A bad parameter or body; the body names it.",
    401: "Not signed in: send `Authorization: Bearer <token>`.",
    403: "Signed in, but the action is not the caller's (the body says whose it is).",
    404: "No such thing; the body says what was not found.",
    409: "The state does not allow this.",
    412: "If-Match does not match: the thing changed since the caller read it.",
    422: "The checks refused it; the body lists each finding.",
    428: "If-Match is missing.",
    503: "The store is empty or cannot be read; the body says how to fill it.",
}


def error_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The documented error answers ``codes``, each with the API's JSON error body, so a
    client (and the schema check in the tests) knows their shape. ``descriptions`` (keyed
    ``e404`` and so on) replace the general wording where an operation says more."""
    return {
        code: {
            "model": schemas.ErrorResponse,
            "description": descriptions.get(f"e{code}", ERROR_DESCRIPTIONS[code]),
        }
        for code in codes
    }


DatePattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
#: The registry page's sortable columns (see :data:`portreg.services.table.SORTS`), reversed with a leading -.
Sort = Literal[
    "name", "-name", "port", "-port", "transport", "-transport", "description", "-description",
    "assignee", "-assignee", "registered", "-registered", "modified", "-modified",
]

PortParam = Annotated[int, Path(ge=0, le=rules.MAX_PORT, description="A port number, 0-65535.")]
VersionParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Read this registry version instead of the current one (see /versions)."),
]
TransportParam = Annotated[
    Literal["tcp", "udp", "sctp", "dccp"] | None, Query(description="Only records on this transport.")
]
PageParam = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PageSizeParam = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1-{MAX_PAGE_SIZE} (more is a 400).")
]
DateParam = Annotated[str | None, Query(pattern=DatePattern, description="YYYY, YYYY-MM or YYYY-MM-DD.")]
RangeClassParam = Annotated[
    Literal["system", "user", "dynamic"] | None, Query(alias="range", description="Only ports of this range class.")
]
StateParam = Annotated[
    Literal["assigned", "reserved", "unassigned"] | None, Query(description="Only records in this state.")
]
DateFilters = tuple[str | None, str | None, str | None, str | None]
AssigneeParam = Annotated[
    str | None,
    Query(max_length=200, description="A person id (any case), or words of ids and names: records naming them."),
]
YearParam = Annotated[str | None, Query(pattern=r"^[0-9]{4}$", description="Year of registration.")]
RegistryParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description=(
            "Read one registry (`iana`, or a local one such as `acme`) or `stack`: every registry, "
            "local before upstream, each record naming its `source`. Default: the stack when the "
            "store holds a local registry, else the upstream alone."
        ),
    ),
]
#: The API's names for the filters of :class:`~portreg.services.filters.RecordFilter`, for its 400s.
FILTER_NAMES = {"range_class": "range", "person": "assignee"}

#: What each parameter must be, in words, for the 400 that names it.
PARAMETER_HINTS: dict[str, str] = {
    "port": f"an integer from 0 to {rules.MAX_PORT}",
    "low": f"an integer from 0 to {rules.MAX_PORT}",
    "high": f"an integer from 0 to {rules.MAX_PORT}",
    "version": f"a version number from 1 to {MAX_ID} (see /api/v1/versions)",
    "record_id": f"a record id from 1 to {MAX_ID}",
    "page": "an integer from 1 to 1000000",
    "page_size": f"an integer from 1 to {MAX_PAGE_SIZE}",
    "count": f"an integer from 1 to {MAX_FREE_COUNT}",
    "q": f"text of at most {MAX_SEARCH} characters",
    "year": "a year of four digits",
    "name": "a service name of at most 200 characters",
    "person_id": "a person id of at most 200 characters",
    "assignee": "a person id of at most 200 characters",
    "proto": "a comma-separated list of: " + ", ".join(TRANSPORTS),
    "registry": "'stack' or a registry's name (see /api/v1/registries)",
    **dict.fromkeys(
        ("registered_after", "registered_before", "modified_after", "modified_before"),
        "a date: YYYY, YYYY-MM or YYYY-MM-DD",
    ),
}


class Route(ApiRoute):
    """An API route whose 400s say what each of the parameters above must be."""

    hints = PARAMETER_HINTS


def api_router(*tags: str) -> APIRouter:
    """A router for one concept of the API, answering errors the API's way."""
    return APIRouter(route_class=Route, responses=ERROR_RESPONSES, tags=list(tags))


def check_dates(*values: str | None) -> DateFilters:
    """The four date filters, each checked against the calendar (None when absent)."""
    fields = ("registered_after", "registered_before", "modified_after", "modified_before")
    return tuple(None if v is None else _check_date(f, v) for f, v in zip(fields, values))  # type: ignore[return-value]


def _check_date(field: str, value: str) -> str:
    """A YYYY, YYYY-MM or YYYY-MM-DD that exists on the calendar, kept as written."""
    year, _, rest = value.partition("-")
    month, _, day = rest.partition("-")
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ApiError.invalid(
            field, f"{field} must be {PARAMETER_HINTS[field]} on the calendar, got {value!r}"
        ) from None
    return value


def shown(value: str, limit: int = 80) -> str:
    """A client's value, quoted and cut short, for a message."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
