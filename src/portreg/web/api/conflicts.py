"""``/api/v1/conflicts``: what the local registries' and the upstream's versions found against each other.

- ``GET /api/v1/conflicts?registry=acme&open=true&limit=100``: the conflicts, newest
  first, with the counts per registry (``open``: only those that still hold);
- ``GET /api/v1/conflicts/{id}``: one;
- ``POST /api/v1/conflicts/{id}/resolve`` with ``{"reason": "..."}`` (staff or admin):
  a person resolves it; 409 when it is resolved already.

Each conflict carries ``links``: ``self``, and ``local_record`` / ``upstream_record``
(``/api/v1/records/{id}``, which read either registry's record).

Conflicts are found by the imports and syncs themselves (see
:mod:`portreg.services.conflicts`); the feed ``/changes/conflicts.atom`` lists the same.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ...services import conflicts as service
from ...services import params
from ...services.conflicts import OverlayConflict
from .. import urls
from ..auth import require_account
from ..errors import ApiError, ApiRoute
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 404), tags=["overlay"])

MAX_LIMIT = 1000


class Resolution(BaseModel):
    reason: str = Field(..., min_length=1, max_length=service.MAX_REASON, description="Why it is resolved.")


def _json(conflict: OverlayConflict) -> dict[str, Any]:
    """A conflict with links to itself and to its two records (``/api/v1/records/{id}``)."""
    links = {"self": urls.api_conflicts_url(conflict.id)}
    if conflict.local_record_id is not None:
        links["local_record"] = urls.api_record_url(conflict.local_record_id)
    if conflict.upstream_record_id is not None:
        links["upstream_record"] = urls.api_record_url(conflict.upstream_record_id)
    return {**conflict.as_json(), "links": links}


def _store(request: Request) -> Any:
    return request.app.state.registry_service.store


def _flag(text: str | None, parameter: str) -> bool:
    if text is None:
        return False
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ApiError.invalid(parameter, f"{parameter} is true or false")


@router.get("/conflicts", summary="Conflicts between local registries and the upstream one")
def list_conflicts(
    request: Request,
    registry: Annotated[
        str | None, Query(description="Only this local registry's conflicts (stack, the default: every registry's).")
    ] = None,
    still: Annotated[str | None, Query(alias="open", description="true: only the conflicts that still hold.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many, newest first.")] = 100,
) -> dict[str, Any]:
    """The conflicts, newest first, and how many each registry has open and resolved."""
    open_only = _flag(still, "open")
    store = _store(request)
    found = service.conflicts(store, registry, open_only=open_only, limit=limit)
    return {
        "registry": registry,
        "open": open_only,
        "counts": {name: {"open": o, "resolved": r} for name, (o, r) in service.counts(store).items()},
        "conflicts": [_json(c) for c in found],
    }


@router.get("/conflicts/{conflict_id}", summary="One conflict")
def one_conflict(request: Request, conflict_id: str) -> dict[str, Any]:
    return _json(service.get(_store(request), params.parse_id(conflict_id, "conflict_id")))


@router.post(
    "/conflicts/{conflict_id}/resolve",
    summary="Resolve a conflict, saying why (staff or admin)",
    responses=error_responses(401, 403, 409),
)
def resolve_conflict(request: Request, conflict_id: str, body: Resolution) -> dict[str, Any]:
    account = require_account(request, "staff", "admin")
    number = params.parse_id(conflict_id, "conflict_id")
    return _json(service.resolve(_store(request), number, body.reason, actor=account.email))
