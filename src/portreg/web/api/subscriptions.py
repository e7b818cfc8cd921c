"""``/api/v1/subscriptions``: mail me when a new version touches a port, range, name or person.

The calling account's subscriptions (an API token, ``Authorization: Bearer prt_…``, or a
signed-in session); see :mod:`portreg.services.subscriptions` for when mail is sent.

- ``GET /api/v1/subscriptions``: the caller's subscriptions;
- ``POST /api/v1/subscriptions`` with ``{"kind": "port", "key": "5432"}`` (kinds:
  ``all``, ``port``, ``range``, ``service``, ``person``, ``registry``: a local registry's
  conflicts): 201 and the subscription (the
  existing one when already subscribed);
- ``DELETE /api/v1/subscriptions/{id}``: 204.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...errors import InvalidQuery
from ...services import params
from ...services import subscriptions as service
from ..auth import require_account
from ..errors import ApiError, ApiRoute
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 401, 404), tags=["subscriptions"])


class NewSubscription(BaseModel):
    kind: Literal["all", "port", "range", "service", "person", "registry"]
    key: str = Field(
        "",
        max_length=200,
        description="A port (5432), a range (6000-6063), a service name, a person id, a local registry's "
        "name (its conflicts with the upstream); empty for all.",
    )


class SubscriptionResponse(BaseModel):
    id: int
    kind: str
    key: str
    created_at: str


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionResponse]


def _store(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.registry_service.store


@router.get("/subscriptions", response_model=SubscriptionList, summary="What the calling account follows by mail")
def list_subscriptions(request: Request) -> SubscriptionList:
    account = require_account(request)
    found = service.subscriptions(_store(request), account.id)
    return SubscriptionList(subscriptions=[SubscriptionResponse(**s.as_json()) for s in found])  # type: ignore[arg-type]


@router.post("/subscriptions", response_model=SubscriptionResponse, status_code=201, summary="Follow something by mail")
def add_subscription(request: Request, body: NewSubscription) -> SubscriptionResponse:
    account = require_account(request)
    try:
        found = service.subscribe(_store(request), account.id, body.kind, body.key)
    except InvalidQuery as exc:
        keyed = exc.parameter in ("port", "service", "person", "ports", "registry")
        raise ApiError.invalid("key" if keyed else exc.parameter or "key", exc.message) from None
    return SubscriptionResponse(**found.as_json())  # type: ignore[arg-type]


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Stop following")
def remove_subscription(request: Request, subscription_id: str) -> Response:
    account = require_account(request)
    try:
        number = params.parse_id(subscription_id, "subscription_id")
    except InvalidQuery as exc:
        raise ApiError.invalid("subscription_id", exc.message) from None
    service.unsubscribe(_store(request), account.id, number)
    return Response(status_code=204)
