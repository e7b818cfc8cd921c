"""``/api/v1/registries/{name}/rules``: how a local registry judges its requests.

The API's side of ``portreg registry rules | exception``: the ranges it allocates from,
the review group of its requests, the checks it relaxes and the upstream ports it
records as exceptions. Reading is public, so that a requester's program can choose a
port that will pass before filing (``POST /requests`` with ``"registry": NAME``);
changing them is for staff and admins (401 without an account, 403 without the role).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ...services.workflow import local
from ..auth import require_account
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


Name = Annotated[str, Path(description="A local registry's name.", max_length=40)]
_WRITE = error_responses(400, 401, 403, 404, 409, 503)


class RulesChange(BaseModel):
    """What changes: the review group, checks to relax, checks to enforce again."""

    model_config = ConfigDict(extra="forbid")
    review_group: str | None = Field(None, max_length=16, description="The review group of its requests.")
    relax: list[str] = Field(default_factory=list, max_length=10, description="Checks whose errors become warnings.")
    enforce: list[str] = Field(default_factory=list, max_length=10, description="Relaxed checks made strict again.")


class NewException(BaseModel):
    """A port the registry may assign although the upstream assigns or reserves it there."""

    model_config = ConfigDict(extra="forbid")
    port: int = Field(..., ge=0, le=65535)
    transport: str = Field(..., max_length=8)
    reason: str = Field(..., min_length=1, max_length=4000)


def _store(request: Request) -> Any:
    return request.app.state.registry_service.store


@router.put("/registries/{name}/rules", summary="Change a local registry's rules", responses=_WRITE)
def change_rules(request: Request, name: Name, change: RulesChange = Body(...)) -> dict[str, Any]:
    """Set the review group and relax or enforce checks (staff and admins); answers the rules."""
    found = local.set_rules(
        _store(request),
        name,
        review_group=change.review_group,
        relax=change.relax,
        enforce=change.enforce,
        account=require_account(request),
    )
    return local.rules_json(found)


@router.post("/registries/{name}/exceptions", status_code=201, summary="Record an exception", responses=_WRITE)
def add_exception(request: Request, name: Name, body: NewException = Body(...)) -> dict[str, Any]:
    """Record that the registry may assign ``port``/``transport`` (staff and admins); 409 when it already may."""
    found = local.add_exception(
        _store(request), name, body.port, body.transport, body.reason, account=require_account(request)
    )
    return local.exception_json(found)


@router.delete(
    "/registries/{name}/exceptions/{port}/{transport}",
    status_code=204,
    summary="Withdraw an exception",
    responses=_WRITE,
)
def remove_exception(
    request: Request,
    name: Name,
    port: Annotated[int, Path(ge=0, le=65535)],
    transport: Annotated[str, Path(max_length=8)],
) -> Response:
    """Withdraw an exception (staff and admins); what was assigned under it stays."""
    local.remove_exception(_store(request), name, port, transport, account=require_account(request))
    return Response(status_code=204)
