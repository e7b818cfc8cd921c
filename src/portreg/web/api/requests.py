"""``/api/v1/requests``: the assignment process (RFC 6335 §8) for programs.

A thin skin over :mod:`portreg.services.workflow`: each operation parses its input,
calls one service function with the calling account, and renders the answer.

- Every operation needs an account (``Authorization: Bearer <token>``, or a signed-in
  session): 401 without one.
- A request the caller may not see is a 404, exactly as one that does not exist: no
  answer tells one requester about another's request. 403 is for a request the
  caller sees but an action that is not theirs (a requester approving).
- Writes on a request take ``If-Match`` with the request's version (its ``ETag``, also
  ``etag`` in the body); a request changed since is a 412, a write without it a 428.
- A request the checks refuse is a 422 whose body lists every finding, each naming its
  field and the RFC section; ``POST /requests/check`` runs the same checks without filing.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...errors import PermissionDenied, RegistryError, SignInRequired, Stale
from ...services import workflow
from ..errors import ApiError, ApiRoute
from .params import error_responses

__all__ = ["router"]

MAX_ID = 2**31 - 1


class WorkflowRoute(ApiRoute):
    hints = {"request_id": "a request number", "If-Match": 'the request\'s ETag, such as "3"'}


router = APIRouter(route_class=WorkflowRoute, responses=error_responses(400), tags=["requests"])

Responses = dict[int | str, dict[str, Any]]

_AUTH: Responses = error_responses(401, 403)
_ONE: Responses = {
    **_AUTH,
    **error_responses(404, e404="No such request, or one the caller may not see (the same answer)."),
}
_WRITE: Responses = {
    **_ONE,
    **error_responses(
        409,
        412,
        428,
        e409="The request is not in a state that allows this, "
        "or the checks failed at approval (it went back to review).",
        e412="If-Match does not match: the request changed since the caller read it.",
    ),
}


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    email: str | None = None


class Template(BaseModel):
    """The request template of RFC 6335 §8.1.1, and the other kinds' fields."""

    model_config = ConfigDict(extra="forbid")
    kind: (
        Literal["assignment", "add-transport", "modification", "de-assignment", "reuse", "revocation", "transfer"]
        | None
    ) = None
    service_name: str | None = None
    transports: list[str] | None = None
    assignee: Party | str | None = None
    contact: Party | str | None = None
    description: str | None = None
    reference: str | None = None
    port: int | str | None = None
    service_code: str | int | None = None
    unauthorized_uses: str | None = None
    notes: str | None = None
    justification: str | None = None
    target: str | None = None
    changes: dict[str, Any] | None = None
    transfer_from: int | None = None
    clearly_unused: bool | None = None
    community_call: dict[str, str] | None = None
    registry: str | None = Field(
        None,
        max_length=40,
        description="The registry asked: iana (the default) or a local registry of this store, judged by its "
        "rules (GET /registries/{name}/rules).",
    )


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal[tuple(workflow.ACTIONS)]  # type: ignore[valid-type]
    reason: str | None = None
    port: int | None = None
    group: str | None = None


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: Literal["yes", "no-objection", "discuss", "abstain", "recuse"]
    text: str | None = None


# --------------------------------------------------------------------------- plumbing


def _store(request: Request) -> Any:
    return request.app.state.registry_service.store


def _account(request: Request) -> Any:
    """The calling account (the accounts service's web dependency), None when anonymous."""
    from .. import auth

    return auth.current_account(request)


def _raw(template: Template) -> dict[str, Any]:
    raw = template.model_dump(exclude_none=True)
    for party in ("assignee", "contact"):
        value = getattr(template, party)
        if isinstance(value, Party):
            raw[party] = value.model_dump()
    return raw


def _etag(if_match: str | None) -> int:
    if if_match is None:
        raise ApiError(
            428, "precondition_required", "send If-Match with the request's ETag (its etag field)", parameter="If-Match"
        )
    # The compression middleware marks the ETag of a compressed body ("3-gzip").
    text = if_match.strip().removeprefix("W/").strip('"').removesuffix("-gzip")
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise ApiError.invalid("If-Match", f'If-Match must be the request\'s ETag, such as "3", got {if_match[:40]!r}')
    return int(text)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service call, answering the workflow's own errors with their HTTP status."""
    try:
        return fn(*args, **kwargs)
    except workflow.RequestRejected as exc:
        raise ApiError(
            422, "checks_failed", str(exc), registry=None, headers=None, parameter=exc.findings[0].field
        ) from _Findings(exc)
    except Stale as exc:
        raise ApiError(412, "precondition_failed", str(exc), parameter="If-Match") from None
    except SignInRequired as exc:
        raise ApiError(401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="portreg"'}) from None
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except RegistryError:
        raise


class _Findings(Exception):
    def __init__(self, rejected: workflow.RequestRejected) -> None:
        self.findings = [f.as_json() for f in rejected.findings]


def _answer(found: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(
        found, status_code=status, headers={"ETag": f'"{found["etag"]}"', "Cache-Control": "no-store", **headers}
    )


def _rejected(exc: ApiError) -> JSONResponse:
    findings = getattr(exc.__cause__, "findings", [])
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message, "parameter": exc.parameter, "findings": findings}},
        status_code=exc.status,
        headers={"Cache-Control": "no-store"},
    )


# --------------------------------------------------------------------------- operations


@router.get("/requests/transitions", responses=_AUTH)
def transitions() -> dict[str, Any]:
    """The process as data: every state (with whose turn it is) and every allowed move
    (action, from, to, the roles that may take it, the kinds of request it applies to)."""
    return {
        "states": [{"state": s, "label": workflow.LABELS[s], "turn": workflow.states.TURN[s]} for s in workflow.STATES],
        "transitions": [
            {
                "action": t.action,
                "from": t.source,
                "to": t.target,
                "roles": sorted(t.roles),
                "kinds": sorted(t.kinds),
                "note": t.note,
            }
            for t in workflow.TRANSITIONS
        ],
        "kinds": list(workflow.KINDS),
        "positions": list(workflow.POSITIONS),
    }


@router.post("/requests/check", responses={**_AUTH, **error_responses(400, e400="A field of the wrong type (named).")})
def check(request: Request, template: Template = Body(...)) -> dict[str, Any]:
    """Dry run: every finding the request would meet, without filing it (``ok``: no error)."""
    findings = _call(workflow.dry_run, _store(request), _account(request), _raw(template))
    return {"ok": not any(f.level == "error" for f in findings), "findings": [f.as_json() for f in findings]}


@router.post(
    "/requests",
    status_code=201,
    responses={
        **_AUTH,
        **error_responses(
            422, e422="The checks refused the request: `error.findings` lists each, with field and RFC section."
        ),
    },
)
def file(request: Request, template: Template = Body(...)) -> JSONResponse:
    """File a request. It starts New, holding its port (per transport), name and service code."""
    try:
        found = _call(workflow.file, _store(request), _account(request), _raw(template))
    except ApiError as exc:
        if exc.status == 422:
            return _rejected(exc)
        raise
    return _answer(found, 201, Location=f"/api/v1/requests/{found['id']}")


@router.get("/requests", responses=_AUTH)
def list_requests(
    request: Request,
    scope: Literal["visible", "mine", "queue"] = Query(
        "visible", description="mine: filed by me; queue: waiting on my groups or role"
    ),
    state: str | None = Query(None, description="one state, e.g. expert-review"),
    open: bool = Query(False, description="only open requests"),
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=500),
    registry: str | None = Query(None, max_length=40, description="only the requests to this registry"),
) -> dict[str, Any]:
    """Requests the caller may see: a requester their own, an expert their groups', staff and the IESG all."""
    items = _call(
        workflow.list_requests, _store(request), _account(request), scope=scope, state=state, open_only=open,
        limit=page_size, offset=(page - 1) * page_size, registry=registry,
    )
    return {"page": page, "page_size": page_size, "items": items}


@router.get("/requests/{request_id}", responses=_ONE)
def show(request: Request, request_id: int = Path(..., ge=1, le=MAX_ID)) -> JSONResponse:
    """One request: state, whose turn, time per party, reviews, the moves open to the caller."""
    return _answer(_call(workflow.get, _store(request), _account(request), request_id))


@router.get("/requests/{request_id}/events", responses=_ONE)
def events(request: Request, request_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    """The request's audit trail (an expert's words reach the requester unsigned)."""
    return {"request": request_id, "events": _call(workflow.events, _store(request), _account(request), request_id)}


@router.post("/requests/{request_id}/transitions", responses=_WRITE)
def move(
    request: Request,
    body: Move,
    request_id: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match"),
) -> JSONResponse:
    """Take a move of the transition table (see ``GET /requests/transitions``)."""
    etag = _etag(if_match)
    return _answer(
        _call(
            workflow.act,
            _store(request),
            _account(request),
            request_id,
            body.action,
            reason=body.reason,
            etag=etag,
            port=body.port,
            group=body.group,
        )
    )


@router.post("/requests/{request_id}/comments", responses=_WRITE)
def comment(
    request: Request,
    body: Comment,
    request_id: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match"),
) -> JSONResponse:
    """Comment on a request (anyone who may see it)."""
    return _answer(
        _call(workflow.comment, _store(request), _account(request), request_id, body.text, etag=_etag(if_match))
    )


@router.post("/requests/{request_id}/votes", responses=_WRITE)
def vote(
    request: Request,
    body: Vote,
    request_id: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match"),
) -> JSONResponse:
    """An IESG ballot position with its text, on a request escalated to the IESG."""
    return _answer(
        _call(
            workflow.vote,
            _store(request),
            _account(request),
            request_id,
            body.position,
            body.text,
            etag=_etag(if_match),
        )
    )


@router.get("/audit", responses=_AUTH)
def audit(request: Request) -> dict[str, Any]:
    """Verify the whole hash-chained audit trail (staff, IESG and admins)."""
    account = _account(request)
    if account is None:
        raise ApiError(401, "unauthorized", "sign in first", headers={"WWW-Authenticate": 'Bearer realm="portreg"'})
    if not {"staff", "iesg", "admin"} & set(account.roles):
        raise ApiError(403, "forbidden", "the audit report is for staff, the IESG and admins")
    return dict(workflow.verify(_store(request)).as_json())
