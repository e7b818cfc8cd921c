"""The assignment process on the website: request an assignment, my requests, a request's
page with the moves open to its reader, the experts' queues, the staff dashboard, the
IESG's ballots and the statistics.

Every page parses its input, calls one function of :mod:`portreg.services.workflow`
(the same ones the JSON API and the command line call) and renders. Every form is a
plain HTML form with the CSRF token, and every POST answers with a redirect (303). A
form with mistakes goes back to its page with each message beside its field and the
values entered; since a request's text (up to 4,000 characters a field) does not fit
in a cookie, what a redirect carries back is kept in the server's memory for an hour
under a random key held in the signed session (:class:`Drafts`).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import Conflict, InvalidQuery, NotFound, PermissionDenied, RegistryError, Stale
from ...model import TRANSPORTS
from ...services import workflow
from ...services.workflow import local, overview
from ...services.workflow.templates import MAX_TEXT
from .. import urls
from ..auth import csrf_token, current_account, require_account
from .render import error_page, render, service

__all__ = ["HELP", "Drafts", "router"]

router = APIRouter(include_in_schema=False)

#: The request form's fields, with the help IANA's own form gives for each (§8.1.1).
HELP: dict[str, tuple[str, str]] = {
    "service_name": (
        "Service name",
        "Up to 15 characters: letters, digits and hyphens, starting with a letter, not ending with a hyphen, "
        "no two hyphens in a row (§5.1). It names the service, not the product or the company.",
    ),
    "transports": (
        "Transport protocols",
        "The transports the service uses. A port is assigned for the transports that need it; a name can "
        "be registered for a transport without a port.",
    ),
    "assignee_name": (
        "Assignee",
        "The person or organization responsible for the assignment, named in the registry (§8.1.1).",
    ),
    "assignee_email": ("Assignee's email address", "Where the assignee can be reached."),
    "contact_name": (
        "Contact",
        "The person IANA and the experts ask about this assignment; it may be the assignee.",
    ),
    "contact_email": ("Contact's email address", "Where the contact can be reached."),
    "description": (
        "Description",
        "A short description of the service, for the registry's Description column. Spell out acronyms "
        "unless they are well known.",
    ),
    "reference": (
        "Reference",
        "The protocol's specification (an RFC, an Internet-Draft, or a stable public document), which must "
        "say whether the service uses unicast, multicast, broadcast or anycast (§8.1.1).",
    ),
    "port": (
        "Port number",
        "Leave empty to register a name only (no port). A number asks for that port; \"user\" for any User "
        "Port (1024-49151); \"system\" for any System Port (0-1023, IESG approval needed).",
    ),
    "service_code": (
        "DCCP service code",
        "Required with DCCP, not allowed without it (RFC 5595): a number, or four printable characters.",
    ),
    "justification": (
        "Why a port is needed",
        "Why the service cannot use a dynamic port found through a name (SRV records, a port mapper), "
        "and for a System Port why a User Port will not do (§8.1.2).",
    ),
    "unauthorized_uses": (
        "Known unauthorized uses",
        "Other uses of the port you know of, if any.",
    ),
    "notes": ("Assignment notes", "Anything else the registry should say about the assignment."),
    "registry": (
        "Registry",
        "Which registry assigns it: this organization's own, from its ranges and by its rules, or IANA's.",
    ),
}
TEXT_FIELDS = [k for k in HELP if k != "transports"]
#: Fields of several lines (a textarea); the others are one line.
LONG_FIELDS = frozenset({"description", "reference", "justification", "unauthorized_uses", "notes"})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*[A-Za-z/!?]")


class Drafts:
    """What a form's redirect carries back to its page (errors and values), kept in this
    process's memory under a random key, once, for an hour, at most :attr:`SIZE` at a time."""

    SIZE = 2000
    TTL = 3600.0

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()  # forms are handled in worker threads

    def put(self, value: dict[str, Any]) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return key

    def take(self, key: Any) -> dict[str, Any] | None:
        if not isinstance(key, str):
            return None
        with self._lock:
            found = self._items.pop(key, None)
        if found is None or time.monotonic() - found[0] > self.TTL:
            return None
        return found[1]


# --------------------------------------------------------------------------- plumbing


def _store(request: Request) -> Any:
    return service(request).store


_DRAFTS_LOCK = threading.Lock()


def _drafts(request: Request) -> Drafts:
    """The app's drafts (one per app: two apps in a process share nothing)."""
    with _DRAFTS_LOCK:
        drafts = getattr(request.app.state, "request_drafts", None)
        if drafts is None:
            drafts = request.app.state.request_drafts = Drafts()
    return drafts


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _back(request: Request, form: str, url: str, errors: dict[str, Any], values: dict[str, Any]) -> RedirectResponse:
    key = _drafts(request).put({"name": form, "errors": errors, "values": values})
    request.session["request_form"] = key
    return _redirect(url)


def _form_state(request: Request, form: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = _drafts(request).take(request.session.pop("request_form", None))
    if not state or state.get("name") != form:
        return {}, {}
    return dict(state["errors"]), dict(state["values"])


def _flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def duration(seconds: int | None) -> str:
    """A span of time as people say it: ``3 d 4 h``, ``5 h 10 min``, ``40 s``."""
    if seconds is None:
        return "–"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _page(request: Request, template: str, *, title: str, form: str | None = None, **context: Any) -> Response:
    errors, values = _form_state(request, form) if form else ({}, {})
    response = render(
        request,
        template,
        title=title,
        csrf=csrf_token(request),
        viewer=current_account(request),
        flash=request.session.pop("flash", None),
        errors=errors,
        values=values,
        duration=duration,
        labels=workflow.LABELS,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"  # personal: never kept by a shared cache
    return response


def clean(value: Any, *, limit: int = MAX_TEXT, multiline: bool = False) -> tuple[str, str | None]:
    """A form value as text, or the message to show beside its field: not text, too long,
    control characters (a NUL), or markup."""
    if not isinstance(value, str):
        return "", "must be text"
    if len(value) > limit:
        return value[:300], f"is far too long (at most {limit:,} characters)"
    if (_CONTROL if multiline else _ONE_LINE_CONTROL).search(value):
        return _CONTROL.sub("", value)[:limit], "must not contain control characters"
    if _MARKUP.search(value):
        return value, "must not contain markup (a < followed by a letter)"
    return value, None


async def _form(request: Request) -> Any:
    return await request.form(max_files=0, max_fields=200)


def _local(path: Any, default: str) -> str:
    """Where a form goes back to: a local path of this site, else ``default``."""
    local = isinstance(path, str) and path.startswith("/requests") and len(path) < 300
    if local and all(32 < ord(c) < 127 for c in path) and "//" not in path and "\\" not in path:
        return str(path)
    return default


def _number(value: Any, name: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    errors[name] = "must be a number"
    return None


# --------------------------------------------------------------------------- request an assignment


@router.get("/requests/new")
def new_page(request: Request) -> Response:
    require_account(request)
    findings = request.session.pop("request_findings", None)
    return _page(
        request,
        "request_new.html",
        title="Request an assignment",
        form="new",
        help=HELP,
        long_fields=LONG_FIELDS,
        transport_names=TRANSPORTS,
        checked=findings,
        registries=local.registry_choices(_store(request)),
    )


@router.post("/requests/new")
async def new_post(request: Request) -> Response:
    form = await _form(request)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        text, problem = clean(form.get(name, ""), multiline=name in LONG_FIELDS)
        values[name] = text
        if problem:
            errors[name] = problem
    chosen = [t for t in form.getlist("transports") if isinstance(t, str)]
    values["transports"] = [t for t in TRANSPORTS if t in chosen]
    if len(chosen) > len(TRANSPORTS) or set(chosen) - set(TRANSPORTS):
        errors["transports"] = f"pick from {', '.join(TRANSPORTS)}"
    only_check = form.get("do") == "check"
    return await run_in_threadpool(_file, request, values, errors, only_check)


def _raw(values: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {"kind": "assignment", "transports": values["transports"]}
    for name in TEXT_FIELDS:
        if name.startswith(("assignee_", "contact_")):
            continue
        if values[name].strip():
            raw[name] = values[name]
    for party in ("assignee", "contact"):
        raw[party] = {"name": values[f"{party}_name"] or None, "email": values[f"{party}_email"] or None}
    return raw


def _field(name: str) -> str:
    """The form field a finding or an error names (``assignee.email`` → ``assignee_email``)."""
    flat = name.replace(".", "_")
    if flat in HELP:
        return flat
    if flat in ("assignee", "contact"):
        return f"{flat}_name"
    return "form"


def _file(request: Request, values: dict[str, Any], errors: dict[str, Any], only_check: bool) -> Response:
    account = require_account(request)
    if errors:
        return _back(request, "new", urls.request_new_url(), errors, values)
    try:
        if only_check:
            findings = workflow.dry_run(_store(request), account, _raw(values))
        else:
            filed = workflow.file(_store(request), account, _raw(values))
    except workflow.RequestRejected as exc:
        findings = exc.findings
        only_check = True
    except InvalidQuery as exc:
        errors[_field(exc.parameter or "form")] = _message(exc)
        return _back(request, "new", urls.request_new_url(), errors, values)
    if only_check:
        found: dict[str, list[dict[str, str]]] = {}
        for f in findings:
            found.setdefault(_field(f.field), []).append(f.as_json())
        ok = not any(f.level == "error" for f in findings)
        return _back(request, "new", urls.request_new_url(), {"findings": found, "checked": True, "ok": ok}, values)
    _flash(request, f"Request {filed['id']} is filed: it waits on registry staff now.")
    return _redirect(urls.request_url(filed["id"]))


# --------------------------------------------------------------------------- my requests, a request's page


@router.get("/requests")
def mine_page(request: Request) -> Response:
    account = require_account(request)
    items = workflow.list_requests(_store(request), account, scope="mine", limit=500)
    return _page(request, "request_list.html", title="My requests", items=items)


@router.get("/requests/{request_id:int}")
def request_page(request: Request, request_id: int) -> Response:
    try:
        if request_id > 2**31 - 1:
            raise NotFound(f"there is no request {request_id}")
        found = overview.page(_store(request), current_account(request), request_id)
    except NotFound as exc:
        return _not_found(request, exc)
    return _page(
        request,
        "request_page.html",
        title=f"Request {request_id}",
        form=f"request-{request_id}",
        page=found,
        item=found["request"],
        positions=workflow.POSITIONS,
        help=HELP,
        automatic=["filed", *workflow.ACTIONS],  # a move's own name is no one's words
    )


@router.post("/requests/{request_id:int}/act")
async def act_post(request: Request, request_id: int) -> Response:
    form = await _form(request)
    errors: dict[str, str] = {}
    reason, problem = clean(form.get("reason", ""), multiline=True)
    if problem:
        errors["reason"] = problem
    action = form.get("action")
    if action not in workflow.ACTIONS:
        errors["form"] = "this form asked for no known action"
    etag = _number(form.get("etag"), "form", errors)
    port = _number(form.get("port"), "port", errors)
    group = form.get("group") or None
    if group is not None and not (isinstance(group, str) and len(group) <= 16):
        errors["group"] = "pick one of your review groups"
    back = _local(form.get("back"), urls.request_url(request_id))
    values = {"reason": reason, "action": action if isinstance(action, str) else "", "port": form.get("port", "")}
    move = {"action": action, "reason": reason.strip() or None, "etag": etag, "port": port, "group": group}
    return await run_in_threadpool(_act, request, request_id, move, errors, values, back)


def _act(
    request: Request, request_id: int, move: dict[str, Any], errors: dict[str, str], values: dict[str, Any], back: str
) -> Response:
    account = require_account(request)
    form = f"request-{request_id}"
    if not errors:
        try:
            done = workflow.act(
                _store(request),
                account,
                request_id,
                move["action"],
                reason=move["reason"],
                etag=move["etag"],
                port=move["port"],
                group=move["group"],
            )
        except InvalidQuery as exc:
            errors[exc.parameter if exc.parameter in ("reason", "port", "group") else "form"] = _message(exc)
        except NotFound as exc:
            return _not_found(request, exc)
        except Stale as exc:
            errors["form"] = _message(exc).capitalize() + "."
        except Conflict as exc:
            errors["form"] = _message(exc).capitalize() + "."
        else:
            _flash(request, f"Request {request_id}: {move['action']} done; it is {done['state_label']} now.")
            return _redirect(back)
    values["for"] = move["action"]
    if back != urls.request_url(request_id):
        _flash(request, f"Request {request_id}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        return _redirect(back)
    return _back(request, form, urls.request_url(request_id), errors, values)


def _not_found(request: Request, exc: NotFound) -> Response:
    links = [(urls.requests_url(), "My requests"), (urls.request_new_url(), "Request an assignment")]
    return error_page(request, 404, "No such request", _message(exc).capitalize() + ".", suggestions=links)


def _message(exc: RegistryError) -> str:
    return getattr(exc, "message", None) or str(exc)


@router.post("/requests/{request_id:int}/comment")
async def comment_post(request: Request, request_id: int) -> Response:
    form = await _form(request)
    errors: dict[str, str] = {}
    text, problem = clean(form.get("text", ""), multiline=True)
    if problem:
        errors["text"] = problem
    elif not text.strip():
        errors["text"] = "a comment has text"
    etag = _number(form.get("etag"), "form", errors)
    return await run_in_threadpool(_comment, request, request_id, text, etag, errors)


def _comment(request: Request, request_id: int, text: str, etag: int | None, errors: dict[str, str]) -> Response:
    account = require_account(request)
    if not errors:
        try:
            workflow.comment(_store(request), account, request_id, text, etag=etag)
        except InvalidQuery as exc:
            errors["text"] = _message(exc)
        except NotFound as exc:
            return _not_found(request, exc)
        except Stale as exc:
            errors["form"] = _message(exc).capitalize() + "."
        else:
            _flash(request, f"Your comment on request {request_id} is added.")
            return _redirect(urls.request_url(request_id) + "#discussion")
    values = {"text": text, "for": "comment"}
    return _back(request, f"request-{request_id}", urls.request_url(request_id), errors, values)


@router.post("/requests/{request_id:int}/vote")
async def vote_post(request: Request, request_id: int) -> Response:
    form = await _form(request)
    errors: dict[str, str] = {}
    text, problem = clean(form.get("text", ""), multiline=True)
    if problem:
        errors["text"] = problem
    position = form.get("position")
    if position not in workflow.POSITIONS:
        errors["position"] = f"pick one of {', '.join(workflow.POSITIONS)}"
    etag = _number(form.get("etag"), "form", errors)
    return await run_in_threadpool(_vote, request, request_id, position, text, etag, errors)


def _vote(
    request: Request, request_id: int, position: Any, text: str, etag: int | None, errors: dict[str, str]
) -> Response:
    account = require_account(request)
    if not errors:
        try:
            workflow.vote(_store(request), account, request_id, str(position), text.strip() or None, etag=etag)
        except InvalidQuery as exc:
            errors[exc.parameter if exc.parameter in ("text", "position") else "form"] = _message(exc)
        except NotFound as exc:
            return _not_found(request, exc)
        except Conflict as exc:
            errors["form"] = _message(exc).capitalize() + "."
        else:
            _flash(request, f"Your position on request {request_id} is recorded.")
            return _redirect(urls.request_url(request_id))
    values = {"text": text, "position": position if isinstance(position, str) else "", "for": "vote"}
    return _back(request, f"request-{request_id}", urls.request_url(request_id), errors, values)


# --------------------------------------------------------------------------- queues, dashboard, ballots, statistics


@router.get("/requests/queue")
def queues_page(request: Request) -> Response:
    account = require_account(request)
    known = local.review_groups(_store(request))
    if {"staff", "admin"} & set(account.roles):
        groups = known
    elif "expert" in account.roles:
        groups = [g for g in known if g in account.groups]
    else:
        raise PermissionDenied("the review queues are for experts and staff")
    return _page(request, "request_queues.html", title="Review queues", groups=groups)


@router.get("/requests/queue/{group}")
def queue_page(request: Request, group: str) -> Response:
    if group not in local.review_groups(_store(request)):
        return _not_found(request, NotFound(f"there is no review group {group[:40]!r}"))
    items = overview.queue(_store(request), current_account(request), group)
    return _page(request, "request_queue.html", title=f"Expert review: {group}", group=group, items=items)


@router.get("/requests/dashboard")
def dashboard_page(request: Request) -> Response:
    found = overview.dashboard(_store(request), current_account(request))
    return _page(request, "request_dashboard.html", title="Open requests", board=found, parties=workflow.states.PARTIES)


@router.get("/requests/iesg")
def ballots_page(request: Request) -> Response:
    items = overview.ballots(_store(request), current_account(request))
    return _page(request, "request_ballots.html", title="IESG ballots", items=items, positions=workflow.POSITIONS)


@router.get("/requests/statistics")
def statistics_page(request: Request) -> Response:
    stats = overview.statistics(_store(request))
    return _page(request, "request_stats.html", title="Request statistics", stats=stats)
