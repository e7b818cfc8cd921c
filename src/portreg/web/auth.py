"""Who is calling: API tokens, signed session cookies, CSRF protection for every form.

::

    account = current_account(request)                 # Account | None
    account = require_account(request, role="staff")    # or SignInRequired (401) / PermissionDenied (403)

    @router.post("/api/v1/requests")
    def file(request: Request, account: Account = Depends(requires("requester"))): ...

Two ways to say who one is:

- ``Authorization: Bearer prt_…``: an API token (``portreg user token new``), holding the
  roles of its scope. A token that is presented but unknown, revoked or whose account is
  disabled is refused (SignInRequired), never silently treated as anonymous.
- the session cookie set by signing in on the website: signed with the app's secret
  (Starlette's SessionMiddleware over itsdangerous), HttpOnly, SameSite=Lax, and Secure
  when the request came over TLS. It carries the account's id and its session stamp,
  which changes with the password and on disable, ending older sessions.

CSRF: every unsafe request (POST, PUT, PATCH, DELETE) that carries cookies must carry
the token of the ``csrftoken`` cookie in its ``csrftoken`` form field or an
``X-CSRFToken`` header (asgi-csrf's double-submit scheme, signed with the app's
secret); forms put :func:`csrf_token` in a hidden field. Under ``/account`` and
``/admin`` (:data:`PROTECTED_PREFIXES`) even a request without cookies must, so that
another site cannot sign someone in as somebody else. A request authenticated by an
API token needs none: a cross-site page cannot set that header.

The secret comes from ``create_app(secret_key=…)`` or ``$PORTREG_SECRET_KEY``; without
one each process makes its own, so sessions end when the server restarts and differ
between workers (a warning says so).
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import TYPE_CHECKING, Any, Awaitable, Callable, MutableMapping

from ..errors import PermissionDenied, SignInRequired
from ..services import accounts as accounts_service

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

    from ..services.accounts import Account
    from ..store import Store

__all__ = [
    "SESSION_COOKIE",
    "csrf_token",
    "current_account",
    "install",
    "require_account",
    "requires",
    "sign_in",
    "sign_out",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "portreg_session"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrftoken"
SESSION_MAX_AGE = 14 * 24 * 3600
#: Form bodies bigger than this are refused before anything reads them (413).
MAX_FORM_BYTES = 2 * 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CACHE = "portreg.account"


def _store(request: Request) -> Store:
    return request.app.state.registry_service.store


def current_account(request: Request) -> Account | None:
    """The account making ``request``: from its Bearer token, else its session; None when
    anonymous. SignInRequired for a token that is presented but not valid."""
    if _CACHE in request.scope:
        return request.scope[_CACHE]
    account: Account | None = None
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise SignInRequired("the Authorization header must be 'Bearer <token>'")
        account = accounts_service.authenticate_token(_store(request), credentials.strip())
    elif "session" in request.scope:
        session = request.session
        account_id, stamp = session.get("a"), session.get("s")
        if isinstance(account_id, int) and isinstance(stamp, str):
            account = accounts_service.account_for_session(_store(request), account_id, stamp)
            if account is None:
                session.clear()  # disabled, or the password changed since
    request.scope[_CACHE] = account
    return account


def require_account(request: Request, role: str | None = None, *roles: str) -> Account:
    """The calling account, holding ``role`` (or any of ``role, *roles``) when given.

    SignInRequired (HTTP 401) when nobody is signed in; PermissionDenied (403) when
    the account lacks the role.
    """
    account = current_account(request)
    if account is None:
        raise SignInRequired("sign in first (a session, or an API token: Authorization: Bearer <token>)")
    wanted = tuple(r for r in (role, *roles) if r is not None)
    if wanted and not account.has_role(*wanted):
        raise PermissionDenied(f"this needs the {' or '.join(wanted)} role")
    return account


def requires(*roles: str) -> Callable[[Request], Account]:
    """A FastAPI dependency: ``Depends(requires("staff", "iesg"))`` (no roles: any account)."""

    def dependency(request: Request) -> Account:
        return require_account(request, *roles)

    return dependency


def sign_in(request: Request, account: Account) -> None:
    """Start a session for ``account`` (after its password was checked)."""
    request.session.clear()
    request.session.update({"a": account.id, "s": accounts_service.session_stamp(_store(request), account.id)})
    request.scope[_CACHE] = account


def sign_out(request: Request) -> None:
    request.session.clear()
    request.scope[_CACHE] = None


def csrf_token(request: Request) -> str:
    """The token a form must send back in its ``csrftoken`` field."""
    getter = request.scope.get("csrftoken")
    return getter() if getter is not None else ""


def secret_key(app: FastAPI) -> str:
    """The key signing sessions and CSRF tokens (see the module docstring)."""
    key = getattr(app.state, "secret_key", None) or os.environ.get("PORTREG_SECRET_KEY")
    if not key:
        log.warning(
            "no secret key configured ($PORTREG_SECRET_KEY): sessions end when this process stops "
            "and are not shared with other workers"
        )
        key = secrets.token_urlsafe(48)
    app.state.secret_key = key
    return str(key)


# --------------------------------------------------------------------------- middleware


#: Paths whose forms are checked even when the browser sent no cookie at all: signing in
#: and signing up there must not be done for someone by another site (login CSRF).
#: Elsewhere a request without cookies is anonymous and asgi-csrf lets it through.
PROTECTED_PREFIXES: list[str] = ["/account", "/admin", "/requests"]


class _AlwaysProtected:
    """asgi-csrf's ``always_protect``: the paths under :data:`PROTECTED_PREFIXES`."""

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and any(path == p or path.startswith(p + "/") for p in PROTECTED_PREFIXES)


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Form refused · portreg</title>'
        '<link rel="stylesheet" href="/static/portreg.css"></head><body><main class="wrap"><section class="error-page">'
        '<p class="eyebrow">Error 403</p><h1>This form was refused</h1>'
        '<p class="lede">It did not carry this site\'s form token: it was sent from another site, or from a page '
        "opened before the server restarted. Go back, reload the page, and send the form again.</p>"
        "</section></main></body></html>"
    ).encode()
    if scope["path"].startswith("/api/"):
        body = (
            b'{"error": {"code": "csrf_failed", "message": "a request authenticated by cookies must carry the '
            b"csrftoken cookie's value in an X-CSRFToken header; API clients use Authorization: Bearer <token>\"}}"
        )
        content_type = b"application/json"
    else:
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", content_type), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """Sessions and CSRF, with the Secure cookie flag when the request came over TLS.

    Two stacks share one secret: the one for ``https`` marks cookies Secure. Bodies of
    unsafe requests outside the API are bounded (413), and a body that is not UTF-8
    is refused (400) rather than failing inside the CSRF check.
    """

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        from asgi_csrf import asgi_csrf  # type: ignore[import-untyped]
        from starlette.middleware.sessions import SessionMiddleware

        def stack(tls: bool) -> ASGIApp:
            csrf = asgi_csrf(
                app,
                signing_secret=secret,
                cookie_name=CSRF_COOKIE,
                always_protect=_AlwaysProtected(),
                cookie_secure=tls,
                send_csrf_failed=_csrf_failed,
            )
            return SessionMiddleware(
                csrf,
                secret_key=secret,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=tls,
            )

        self.plain = stack(False)
        self.tls = stack(True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.plain(scope, receive, send)
            return
        target = self.tls if scope.get("scheme") == "https" else self.plain
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "TRACE") or scope["path"].startswith("/api/"):
            await target(scope, receive, send)
            return
        length = dict(scope.get("headers") or ()).get(b"content-length")
        plain = length is not None and length.isascii() and length.isdigit() and len(length) <= 12
        if length is not None and (not plain or int(length) > MAX_FORM_BYTES):
            await _plain_error(send, 413, "This form is too large (at most 2 MiB).")
            return
        sent = False

        async def watch(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.start":
                sent = True
            await send(message)

        try:
            await target(scope, _bounded(receive), watch)
        except _TooLarge:
            if not sent:
                await _plain_error(send, 413, "This form is too large (at most 2 MiB).")
        except UnicodeDecodeError:
            if not sent:
                await _plain_error(send, 400, "This form's data is not UTF-8 text.")


class _TooLarge(Exception):
    pass


def _bounded(receive: Receive) -> Receive:
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > MAX_FORM_BYTES:
            raise _TooLarge
        return message

    return bounded


async def _plain_error(send: Send, status: int, text: str) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": text.encode()})


def install(app: FastAPI) -> None:
    """Add sessions and CSRF protection to ``app`` (inside the HTTP middleware), and the
    pages' answer to PermissionDenied (the API answers its own, in JSON)."""
    from .pages.accounts import permission_denied

    app.add_exception_handler(PermissionDenied, permission_denied)  # type: ignore[arg-type]
    app.add_middleware(SecurityMiddleware, secret=secret_key(app))
