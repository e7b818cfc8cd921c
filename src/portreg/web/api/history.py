"""A diff in JSON: ``GET /api/v1/changes/A..B``, what changed from version A to version B.

A and B are version numbers, dates ``YYYY-MM-DD`` (the version in force that day) or
``latest``, of one registry: the one the version numbers belong to (numbers are one
sequence over every registry a store holds), or ``?registry=NAME`` (dates and
``latest`` mean IANA's otherwise). The body is :meth:`portreg.services.history.Diff.as_json` (the shape of
``portreg diff --json``): ``from``, ``to``, ``summary``, ``counts``, ``records``,
``people``, ``head``. A diff between two version numbers never changes, so it is
served as immutable; one named by a date or ``latest`` may change with the next
version, and is not.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...errors import InvalidQuery
from ...services import history
from ..errors import ApiError, ApiRoute
from .params import error_responses

__all__ = ["router"]

router = APIRouter(prefix="/changes", route_class=ApiRoute, responses=error_responses(400, 404, 503), tags=["history"])


@router.get("/{span}", summary="What changed from version A to version B")
def diff(
    request: Request,
    span: str,
    registry: Annotated[
        str | None, Query(description="The registry whose versions A and B are (default: the one their numbers name).")
    ] = None,
) -> Response:
    """Records added, removed, renamed, moved and changed (field by field), people
    added, removed and changed, and the registry head's changes, from version A to B."""
    base = request.app.state.registry_service.store
    try:
        old, new = history.parse_span(span)
        store = history.scope(base, registry, old, new)
        a = history.resolve(store, old, "from")
        b = history.resolve(store, new, "to")
    except InvalidQuery as exc:
        raise ApiError.invalid(exc.parameter or "versions", exc.message) from None
    body = json.dumps(request.app.state.diffs.get(base, a.number, b.number).as_json(), ensure_ascii=False).encode()
    fixed = (old, new) == (str(a.number), str(b.number))
    cache = "public, max-age=31536000, immutable" if fixed else "no-cache"
    return Response(body, media_type="application/json", headers={"Cache-Control": cache})
