"""Accounts on the website: sign up, confirm, sign in, sign out, reset a password, the
account page, and the admin's page of roles.

POST handlers read the form on the event loop and do the rest (argon2, the store) in
a worker thread: checking a password costs tens of milliseconds of CPU on purpose, and
must not stall every other request while it runs.

Every form is a plain HTML form (no JavaScript) carrying the CSRF token, and every POST
answers with a redirect (303), so a reload never sends a form twice. A form with
mistakes redirects back to its page, which shows each message beside its field and the
values entered (never a password): the messages and values travel in the signed
session cookie, once. Mailed links (confirm, reset) open a page with a button: the
change happens on the POST, so a mail scanner that fetches links changes nothing.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import Conflict, InvalidQuery, NotFound, PermissionDenied, RateLimited, RegistryError, SignInRequired
from ...services import accounts as accounts_service
from ...services import signup
from ...services.accounts import GROUPS, ROLES
from .. import urls
from ..auth import csrf_token, current_account, require_account, sign_in, sign_out
from .render import error_page, render, service

__all__ = ["permission_denied", "router"]

router = APIRouter(include_in_schema=False)

#: Values kept for redisplay are cut to this length (they travel in the session cookie).
KEEP = 300
#: Fields longer than this are refused before any service sees them.
FIELD_MAX = 10_000


# --------------------------------------------------------------------------- helpers


def _store(request: Request) -> Any:
    return service(request).store


def _base_url(request: Request) -> str:
    """The server's public address for mailed links: ``$PORTREG_BASE_URL``, else this
    request's own (fine on loopback; set the variable behind a proxy or a public name)."""
    return os.environ.get("PORTREG_BASE_URL") or str(request.base_url).rstrip("/")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (another site) becomes /account."""
    local = value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 2000
    if local and all(32 < ord(c) < 127 for c in value or ""):
        return value or ""
    return urls.account_url()


def _flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def _form_state(request: Request, form: str) -> tuple[dict[str, str], dict[str, str]]:
    """The errors and values a redirect left for ``form`` (taken once)."""
    state = request.session.pop("form", None)
    if not isinstance(state, dict) or state.get("name") != form:
        return {}, {}
    return dict(state.get("errors") or {}), dict(state.get("values") or {})


def _back(request: Request, form: str, url: str, errors: dict[str, str], values: dict[str, str]) -> RedirectResponse:
    kept = {k: v[:KEEP] for k, v in values.items() if "password" not in k}
    request.session["form"] = {"name": form, "errors": errors, "values": kept}
    return _redirect(url)


def _page(
    request: Request, template: str, *, title: str, form: str | None = None, status: int = 200, **context: Any
) -> Response:
    errors, values = _form_state(request, form) if form else ({}, {})
    response = render(
        request,
        template,
        status=status,
        title=title,
        csrf=csrf_token(request),
        viewer=current_account(request),
        flash=request.session.pop("flash", None),
        errors=errors,
        values=values,
        roles=ROLES,
        groups=GROUPS,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"  # personal: never kept by a shared cache
    return response


async def _fields(request: Request, *names: str) -> tuple[dict[str, str], dict[str, str]]:
    """The form's text fields (missing ones empty) and the errors of those that cannot be
    text: a file, or a value past :data:`FIELD_MAX`."""
    form = await request.form(max_files=0, max_fields=100)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        if not isinstance(value, str):
            errors[name] = "must be text"
            value = ""
        elif len(value) > FIELD_MAX:
            errors[name] = f"is far too long (at most {FIELD_MAX} characters)"
            value = value[:KEEP]
        values[name] = value
    return values, errors


def _field_of(exc: RegistryError, default: str = "form") -> str:
    return getattr(exc, "parameter", None) or default


def _message(exc: RegistryError) -> str:
    return getattr(exc, "message", None) or str(exc)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


# --------------------------------------------------------------------------- sign up and confirm


@router.get("/account/signup")
def signup_page(request: Request) -> Response:
    return _page(request, "account_signup.html", title="Create an account", form="signup")


@router.post("/account/signup")
async def signup_post(request: Request) -> Response:
    values, errors = await _fields(request, "email", "name", "password", "password2")
    return await run_in_threadpool(_sign_up, request, values, errors)


def _sign_up(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    if not errors:
        errors = signup.problems(email=values["email"], name=values["name"], password=values["password"])
    if "password" not in errors and values["password"] != values["password2"]:
        errors["password2"] = "the two passwords differ"
    if not errors:
        try:
            signup.sign_up(
                _store(request),
                email=values["email"],
                name=values["name"],
                password=values["password"],
                base_url=_base_url(request),
            )
        except InvalidQuery as exc:
            errors[_field_of(exc)] = _message(exc)
    if errors:
        return _back(request, "signup", urls.signup_url(), errors, values)
    request.session["sent_to"] = values["email"].strip()[:KEEP]
    return _redirect(urls.signup_sent_url())


@router.get("/account/signup/sent")
def signup_sent(request: Request) -> Response:
    return _page(
        request, "account_sent.html", title="Check your mail", address=request.session.get("sent_to"), purpose="confirm"
    )


@router.get("/account/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    return _page(request, "account_confirm.html", title="Confirm your address", token=token[:200], form="confirm")


@router.post("/account/confirm")
async def confirm_post(request: Request) -> Response:
    values, errors = await _fields(request, "token")
    return await run_in_threadpool(_confirm, request, values, errors)


def _confirm(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    if not errors:
        try:
            account = signup.confirm_email(_store(request), values["token"])
        except InvalidQuery as exc:
            errors["token"] = _message(exc)
        else:
            _flash(request, f"Your address {account.email} is confirmed: sign in with it.")
            return _redirect(urls.signin_url())
    return _back(request, "confirm", urls.confirm_url(values["token"][:200]), errors, values)


# --------------------------------------------------------------------------- sign in and out


@router.get("/account/signin")
def signin_page(request: Request, next: str = "") -> Response:
    return _page(request, "account_signin.html", title="Sign in", form="signin", next=_safe_next(next))


@router.post("/account/signin")
async def signin_post(request: Request) -> Response:
    values, errors = await _fields(request, "email", "password", "next")
    return await run_in_threadpool(_sign_in, request, values, errors)


def _sign_in(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    target = _safe_next(values["next"])
    if not errors:
        try:
            account = accounts_service.authenticate_password(
                _store(request), values["email"], values["password"], address=_client(request)
            )
        except RateLimited as exc:
            errors["form"] = _message(exc).capitalize() + "."
        except PermissionDenied as exc:
            errors["form"] = _message(exc).capitalize() + "."
        else:
            sign_in(request, account)
            _flash(request, f"Signed in as {account.email}.")
            return _redirect(target)
    return _back(request, "signin", urls.signin_url(target), errors, values)


@router.post("/account/signout")
def signout_post(request: Request) -> Response:
    sign_out(request)
    _flash(request, "Signed out.")
    return _redirect(urls.signin_url())


# --------------------------------------------------------------------------- password reset


@router.get("/account/reset")
def reset_page(request: Request) -> Response:
    return _page(request, "account_reset.html", title="Forgot your password?", form="reset")


@router.post("/account/reset")
async def reset_post(request: Request) -> Response:
    values, errors = await _fields(request, "email")
    return await run_in_threadpool(_reset, request, values, errors)


def _reset(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    if not errors:
        try:
            signup.request_password_reset(_store(request), values["email"], base_url=_base_url(request))
        except InvalidQuery as exc:
            errors["email"] = _message(exc)
    if errors:
        return _back(request, "reset", urls.reset_url(), errors, values)
    request.session["sent_to"] = values["email"].strip()[:KEEP]
    return _redirect(urls.reset_sent_url())


@router.get("/account/reset/sent")
def reset_sent(request: Request) -> Response:
    return _page(
        request, "account_sent.html", title="Check your mail", address=request.session.get("sent_to"), purpose="reset"
    )


@router.get("/account/reset/new")
def reset_new_page(request: Request, token: str = "") -> Response:
    return _page(request, "account_reset_new.html", title="Choose a new password", token=token[:200], form="reset_new")


@router.post("/account/reset/new")
async def reset_new_post(request: Request) -> Response:
    values, errors = await _fields(request, "token", "password", "password2")
    return await run_in_threadpool(_new_password, request, values, errors)


def _new_password(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    if not errors and values["password"] != values["password2"]:
        errors["password2"] = "the two passwords differ"
    if not errors:
        try:
            account = signup.reset_password(_store(request), values["token"], values["password"])
        except InvalidQuery as exc:
            errors[_field_of(exc)] = _message(exc)
        else:
            sign_out(request)
            _flash(request, f"The password of {account.email} is changed: sign in with it.")
            return _redirect(urls.signin_url())
    return _back(request, "reset_new", urls.new_password_url(values["token"][:200]), errors, values)


# --------------------------------------------------------------------------- the account, the admin's page


@router.get("/account")
def account_page(request: Request) -> Response:
    account = require_account(request)
    tokens = accounts_service.list_tokens(_store(request), account.id)
    secret = request.session.pop("new_token", None)
    return _page(
        request,
        "account_home.html",
        title="Your account",
        form="tokens",
        account=account,
        tokens=tokens,
        new_secret=secret if isinstance(secret, str) else None,
    )


@router.post("/account/tokens")
async def token_new_post(request: Request) -> Response:
    values, errors = await _fields(request, "name")
    form = await request.form(max_files=0, max_fields=100)
    wanted = [v for v in form.getlist("role") if isinstance(v, str)]
    return await run_in_threadpool(_new_token, request, values, errors, wanted)


def _new_token(request: Request, values: dict[str, str], errors: dict[str, str], wanted: list[str]) -> Response:
    """An API token for the signed-in account; its secret is shown once, on the page the
    redirect leads to (it travels there in the signed session cookie, and is dropped)."""
    account = require_account(request)
    if not errors:
        try:
            issued = accounts_service.new_token(_store(request), account.id, name=values["name"], roles=wanted or None)
        except InvalidQuery as exc:
            errors[_field_of(exc, "name")] = _message(exc)
        except PermissionDenied as exc:
            errors["form"] = _message(exc).capitalize() + "."
        else:
            request.session["new_token"] = issued.secret
            return _redirect(urls.account_url())
    return _back(request, "tokens", urls.account_url(), errors, values)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke_post(request: Request, token_id: int) -> Response:
    account = require_account(request)
    try:
        accounts_service.revoke_token(_store(request), account.id, token_id)
    except NotFound as exc:
        return _back(request, "tokens", urls.account_url(), {"form": _message(exc).capitalize() + "."}, {})
    _flash(request, f"Token {token_id} is revoked.")
    return _redirect(urls.account_url())


@router.get("/admin/accounts")
def admin_page(request: Request) -> Response:
    require_account(request, "admin")
    everyone = accounts_service.list_accounts(_store(request))
    return _page(request, "account_admin.html", title="Accounts and roles", form="admin", accounts=everyone)


@router.post("/admin/accounts/{account_id}")
async def admin_post(request: Request, account_id: int) -> Response:
    form = await request.form(max_files=0, max_fields=100)
    wanted_roles = [v for v in form.getlist("role") if isinstance(v, str)]
    wanted_groups = [v for v in form.getlist("group") if isinstance(v, str)]
    active = form.get("active")
    return await run_in_threadpool(_admin, request, account_id, wanted_roles, wanted_groups, active)


def _admin(
    request: Request, account_id: int, wanted_roles: list[str], wanted_groups: list[str], active: Any
) -> Response:
    admin = require_account(request, "admin")
    store = _store(request)
    try:
        if active in ("0", "1"):
            changed = (accounts_service.enable_account if active == "1" else accounts_service.disable_account)(
                store, account_id
            )
            _flash(request, f"{changed.email} is {'enabled' if changed.active else 'disabled'}.")
        else:
            changed = accounts_service.set_roles(store, account_id, roles=wanted_roles, groups=wanted_groups)
            shown = ", ".join(sorted(changed.roles)) or "no role"
            _flash(
                request,
                f"{changed.email} now holds: {shown}"
                + (f"; groups: {', '.join(sorted(changed.groups))}." if changed.groups else "."),
            )
    except (InvalidQuery, Conflict, NotFound) as exc:
        return _back(request, "admin", urls.admin_accounts_url(), {str(account_id): _message(exc)}, {})
    if changed.id == admin.id and "admin" not in changed.roles:
        return _redirect(urls.account_url())
    return _redirect(urls.admin_accounts_url())


# --------------------------------------------------------------------------- errors


def permission_denied(request: Request, exc: PermissionDenied) -> Response:
    """Pages: not signed in → the sign-in page (coming back here after); lacking the
    role → a 403 page; too many attempts → a 429 page."""
    if isinstance(exc, SignInRequired) and "authorization" in request.headers:
        # A bad token is not cured by signing in again: sending it to the sign-in page
        # (which reads it too) would redirect forever.
        return error_page(request, 401, "Not signed in", _message(exc).capitalize() + ".")
    if isinstance(exc, SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _redirect(urls.signin_url(_safe_next(target) if request.method == "GET" else urls.account_url()))
    if isinstance(exc, RateLimited):
        return error_page(request, 429, "Too many attempts", _message(exc).capitalize() + ".")
    return error_page(request, 403, "Not allowed", _message(exc).capitalize() + ".")
