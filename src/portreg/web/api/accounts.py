"""``/api/v1/account``: who the caller is; ``/api/v1/accounts``: every account (admins).

Authentication is an API token (``Authorization: Bearer prt_…``, made with ``portreg
user token new``); see :mod:`portreg.web.auth`. Anonymous calls get 401, calls lacking
the role 403, both with the API's JSON error body.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ...services import accounts as accounts_service
from ...services.accounts import Account
from ..auth import require_account
from ..errors import ApiRoute
from .params import error_responses

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, responses=error_responses(400, 401), tags=["accounts"])


class AccountResponse(BaseModel):
    """An account as the API shows it; ``roles`` are those the calling token carries."""

    id: int
    email: str
    name: str
    roles: list[str]
    groups: list[str]
    active: bool


class AccountList(BaseModel):
    accounts: list[AccountResponse]


def _json(account: Account) -> AccountResponse:
    return AccountResponse(
        id=account.id,
        email=account.email,
        name=account.name,
        roles=sorted(account.roles),
        groups=sorted(account.groups),
        active=account.active,
    )


@router.get("/account", response_model=AccountResponse, summary="The calling account")
def whoami(request: Request) -> AccountResponse:
    """The account the request's token (or session) speaks for, with the roles it holds
    in this call. 401 without valid credentials."""
    return _json(require_account(request))


@router.get("/accounts", response_model=AccountList, responses=error_responses(403), summary="Every account (admin)")
def every_account(request: Request) -> AccountList:
    """Every account, oldest first. Needs the admin role."""
    require_account(request, "admin")
    return AccountList(
        accounts=[_json(a) for a in accounts_service.list_accounts(request.app.state.registry_service.store)]
    )
