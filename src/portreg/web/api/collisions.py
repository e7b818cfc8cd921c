"""``GET /api/v1/collisions``: would a local service collide with this registry?

The API's side of ``portreg registry check`` (see ``docs/overlays.md``), for one
service at a time, so that a deployment tool can ask before it opens a port::

    GET /api/v1/collisions?name=acme-db&port=5432&transport=tcp&owns=20000-20999

The answer lists the findings of :func:`portreg.services.overlay.check` (``port``,
``reserved``, ``name``, ``outside``, ``owned``, and the note ``same``) against the current
version, with ``collides`` true when any finding is more than a note. A local record
with a port but no transport is checked on every transport.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ...errors import EmptyStore, InvalidQuery
from ...model import TRANSPORTS, Record, Registry
from ...services import params
from ...services.overlay import check, parse_owned
from ...services.query import version_json
from ..errors import ApiError, ApiRoute
from .bodies import empty_store, service
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 503), tags=["overlay"])

#: Longer than any name IANA holds (legacy names reach 30 characters).
MAX_NAME = 63
MAX_OWNS = 20


@router.get("/collisions", summary="Whether a local service collides with this registry")
def collisions(
    request: Request,
    name: Annotated[str | None, Query(description="The local service's name (compared ignoring case).")] = None,
    port: Annotated[str | None, Query(description="Its port (5432) or range (20000-20009).")] = None,
    transport: Annotated[str | None, Query(description="tcp, udp, sctp or dccp; absent: every transport.")] = None,
    owns: Annotated[
        list[str] | None, Query(description="A range the local registry allocates from, LOW-HIGH[/transport].")
    ] = None,
) -> dict[str, Any]:
    """The findings of one local service against the current registry version."""
    if name is None and port is None:
        raise ApiError.invalid("name", "give a name, a port, or both")
    if name is not None and not (0 < len(name) <= MAX_NAME and name.isprintable() and not name.isspace()):
        raise ApiError.invalid("name", f"name must be 1 to {MAX_NAME} printable characters")
    if transport is not None and transport not in TRANSPORTS:
        raise ApiError.invalid("transport", f"transport must be one of {', '.join(TRANSPORTS)}")
    if owns and len(owns) > MAX_OWNS:
        raise ApiError.invalid("owns", f"at most {MAX_OWNS} ranges")
    try:
        ports = None if port is None else params.parse_range(port, "port")
        ranges = [parse_owned(text) for text in owns or ()]
    except InvalidQuery as exc:
        raise ApiError.invalid(exc.parameter or "port", exc.message) from None
    local = Registry(title="local", records=(Record(name=name, port=ports, transport=transport),))
    try:
        result = check(service(request), local, owns=ranges)
    except EmptyStore as exc:
        raise empty_store(exc) from None
    return {
        "upstream": version_json(result.version),
        "owns": [str(r) for r in result.owns],
        "collides": result.collides,
        "findings": [finding.as_json() for finding in result.findings],
    }
