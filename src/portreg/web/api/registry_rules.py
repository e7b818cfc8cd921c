"""``GET /api/v1/registries/{name}/rules``: how a local registry judges its requests.

The API's side of ``portreg registry rules NAME``: the ranges it allocates from, the
review group of its requests, the checks it relaxes and the upstream ports it records
as exceptions, so that a requester's program can choose a port that will pass before
filing (``POST /requests`` with ``"registry": NAME``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ...services.workflow import local
from ..errors import ApiRoute
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 503), tags=["registries"])


@router.get(
    "/registries/{name}/rules",
    summary="A local registry's rules for assignments",
    responses=error_responses(400, 404, 503),
)
def rules(
    request: Request,
    name: Annotated[str, Path(description="A local registry's name.", max_length=40)],
) -> dict[str, Any]:
    """Ranges, review group, relaxed checks and recorded exceptions of local registry ``name``
    (400 for the upstream, whose process is RFC 6335's alone; 404 for a registry the store lacks)."""
    return local.rules_json(local.rules_of(request.app.state.registry_service.store, name))
