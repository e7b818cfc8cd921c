"""``GET /api/v1/registries`` and ``/api/v1/registries/{name}``: the registries this store holds.

The API's side of ``portreg registry list|show``: the upstream (``iana``) and each
local registry stacked on it, in stack order, with the ranges a local one allocates
from, its current version, and the links to its documents (``?registry=NAME`` on the
downloads). A program reads this first to learn which registries an instance serves.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ... import formats
from ...services import registries
from .. import urls
from ..errors import ApiRoute
from ..schemas import RegistriesOut, RegistryOut
from .bodies import service
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 503), tags=["registries"])


def _shape(summary: registries.RegistrySummary) -> dict[str, Any]:
    body = registries.summary_json(summary)
    which = None if summary.name == registries.UPSTREAM else summary.name
    links = {"self": urls.api_registry_url(summary.name)}
    for fmt in formats.FORMATS.values():
        links[fmt.name] = urls.download_url(fmt.extension, registry=which)
    body["links"] = links
    return body


@router.get("/registries", response_model=RegistriesOut, summary="The registries this store holds")
def list_registries(request: Request) -> dict[str, Any]:
    """The upstream registry and every local one stacked on it, the one consulted first first."""
    from ...services.stack import operated_registry

    found = registries.list_registries(service(request))
    return {
        "registries": [_shape(s) for s in found],
        "stack": any(s.info.local for s in found),
        "operates": operated_registry([s.info for s in found]),
    }


@router.get(
    "/registries/{name}",
    response_model=RegistryOut,
    summary="One registry: its kind, title, ranges and current version",
    responses=error_responses(400, 404, 503),
)
def one_registry(
    request: Request,
    name: Annotated[str, Path(description="iana, or a local registry's name.", max_length=40)],
) -> dict[str, Any]:
    """Registry ``name``; 404 with the names the store holds as suggestions otherwise."""
    return _shape(registries.describe(service(request), name))
