"""Every URL the site and the API link to, built here and nowhere else.

Pages, templates, the JSON API and the downloads all call these functions, so a path
changes in one place and a link can never point at a route that moved. Every function
returns a root-relative path (the site may be served behind any host name).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from ..model import PortRange

__all__ = [
    "API_ROOT",
    "DOWNLOADS_PREFIX",
    "DOWNLOADS_STEM",
    "account_url",
    "admin_account_url",
    "admin_accounts_url",
    "api_person_url",
    "api_port_url",
    "api_record_url",
    "api_service_url",
    "api_url",
    "ballots_url",
    "block_url",
    "changes_url",
    "confirm_url",
    "dashboard_url",
    "diff_url",
    "download_url",
    "feed_url",
    "log_api_url",
    "log_key_url",
    "map_url",
    "new_password_url",
    "person_url",
    "port_url",
    "queue_url",
    "registry_url",
    "request_action_url",
    "request_new_url",
    "request_stats_url",
    "request_url",
    "requests_url",
    "reset_sent_url",
    "reset_url",
    "search_url",
    "service_url",
    "signin_url",
    "signout_url",
    "signup_sent_url",
    "signup_url",
    "static_url",
    "subscriptions_url",
    "token_revoke_url",
    "tokens_url",
    "unsubscribe_url",
    "version_changes_url",
]

#: Where the JSON API is mounted.
API_ROOT = "/api/v1"
#: IANA's paths for the published documents: ``PREFIX/STEM.xml`` and so on.
DOWNLOADS_PREFIX = "/assignments/service-names-port-numbers"
DOWNLOADS_STEM = "service-names-port-numbers"


def _segment(text: str) -> str:
    return quote(text, safe="")


def _port_path(port: int | PortRange) -> str:
    """``80`` or ``6000-6063`` (canonical, whatever form the registry wrote)."""
    if isinstance(port, PortRange):
        return f"{port.low}-{port.high}" if port.is_range else str(port.low)
    return str(port)


# --------------------------------------------------------------------------- pages


def registry_url(params: dict[str, Any] | None = None) -> str:
    """The registry page, filtered by ``params`` (``{"search": "http"}``); unset ones left out."""
    shown = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    return "/?" + urlencode(shown) if shown else "/"


def search_url(text: str | None = None, page: int | None = None) -> str:
    """The registry's ranked search (``/search?q=kerberos``): the best matches first."""
    shown = {k: v for k, v in (("q", text), ("page", None if page == 1 else page)) if v not in (None, "")}
    return "/search?" + urlencode(shown) if shown else "/search"


def service_url(name: str) -> str:
    return "/service/" + _segment(name)


def port_url(port: int | PortRange) -> str:
    """``/port/80`` or ``/port/6000-6063``."""
    return "/port/" + _port_path(port)


def person_url(person_id: str) -> str:
    return "/person/" + _segment(person_id)


def map_url() -> str:
    return "/map"


def block_url(block: int) -> str:
    """One block of 256 ports on the map."""
    return f"/map?block={block}"


def static_url(name: str, digest: str | None = None) -> str:
    return f"/static/{name}" + (f"?v={digest}" if digest else "")


def download_url(
    extension: str, version: int | None = None, *, profile: str | None = None, registry: str | None = None
) -> str:
    """The published document in ``extension`` (of ``version``, in a services(5) ``profile``,
    of ``registry``: a local registry's name or ``stack``, when given)."""
    path = f"{DOWNLOADS_PREFIX}/{DOWNLOADS_STEM}.{extension}"
    pairs = (("registry", registry), ("version", version), ("profile", profile))
    query = [f"{key}={value}" for key, value in pairs if value is not None]
    return f"{path}?{'&'.join(query)}" if query else path


# --------------------------------------------------------------------------- the JSON API


def api_url(path: str = "/") -> str:
    """``/api/v1`` + ``path`` (``/docs``, ``/openapi.json``)."""
    return API_ROOT + path


def api_registry_url(name: str | None = None) -> str:
    """``/api/v1/registries`` (every registry the store holds), or registry ``name``'s."""
    return f"{API_ROOT}/registries" + (f"/{_segment(name)}" if name is not None else "")


def api_record_url(record_id: int) -> str:
    return f"{API_ROOT}/records/{record_id}"


def api_service_url(name: str) -> str:
    return f"{API_ROOT}/services/{_segment(name)}"


def api_port_url(port: int | PortRange) -> str:
    return f"{API_ROOT}/ports/{_port_path(port)}"


def api_person_url(person_id: str) -> str:
    return f"{API_ROOT}/people/{_segment(person_id)}"


# -- accounts (the mailed links' paths are the signup service's, which writes the mails)


def account_url() -> str:
    return "/account"


def signin_url(next_path: str | None = None) -> str:
    """The sign-in page; ``next_path`` is where to go once signed in."""
    return "/account/signin" + (f"?{urlencode({'next': next_path})}" if next_path else "")


def signout_url() -> str:
    return "/account/signout"


def signup_url() -> str:
    return "/account/signup"


def signup_sent_url() -> str:
    return "/account/signup/sent"


def confirm_url(token: str | None = None) -> str:
    from ..services.signup import CONFIRM_PATH

    return CONFIRM_PATH + (f"?{urlencode({'token': token})}" if token is not None else "")


def reset_url() -> str:
    return "/account/reset"


def reset_sent_url() -> str:
    return "/account/reset/sent"


def new_password_url(token: str | None = None) -> str:
    from ..services.signup import RESET_PATH

    return RESET_PATH + (f"?{urlencode({'token': token})}" if token is not None else "")


def tokens_url() -> str:
    return "/account/tokens"


def token_revoke_url(token_id: int) -> str:
    return f"/account/tokens/{token_id}/revoke"


def admin_accounts_url() -> str:
    return "/admin/accounts"


def admin_account_url(account_id: int | str) -> str:
    return f"/admin/accounts/{account_id}"


# --------------------------------------------------------------------------- history: changes, feeds, the log


def changes_url(*, since: str | None = None, page: int | None = None, registry: str | None = None) -> str:
    """The list of versions, newest first (``since`` a date, ``page`` from 1, ``registry``
    one registry's versions only; every registry's by default)."""
    shown = {k: v for k, v in (("registry", registry), ("since", since), ("page", page)) if v not in (None, "", 1)}
    return "/changes?" + urlencode(shown) if shown else "/changes"


def diff_url(old: int, new: int) -> str:
    """The page of what changed from version ``old`` to version ``new``."""
    return f"/changes/{old}..{new}"


def version_changes_url(number: int) -> str:
    """What version ``number`` changed: redirects to its diff against the version before
    it in its registry (version numbers are shared by every registry of a store)."""
    return f"/changes/{number}"


def feed_url(fmt: str, kind: str | None = None, key: str | None = None, *, registry: str | None = None) -> str:
    """A feed of changes (``fmt`` ``atom`` or ``json``): of everything, or of a watched
    ``kind`` (``port``, ``range``, ``service``, ``person``) and ``key``; of one
    ``registry`` only when named (every registry's by default)."""
    query = "?" + urlencode({"registry": registry}) if registry else ""
    if kind is None or key is None:
        return f"/changes.{fmt}{query}"
    segment = {"port": "port", "range": "port", "service": "service", "person": "person"}[kind]
    return f"/{segment}/{_segment(key)}/changes.{fmt}{query}"


def conflicts_url(registry: str | None = None, *, open_only: bool = False) -> str:
    """The page of overlay conflicts, of one ``registry`` when named, only open ones when asked."""
    shown = {k: v for k, v in (("registry", registry), ("open", "true" if open_only else None)) if v}
    return "/conflicts?" + urlencode(shown) if shown else "/conflicts"


def conflicts_feed_url(fmt: str = "atom", *, registry: str | None = None) -> str:
    """The feed of overlay conflicts (``fmt`` ``atom`` or ``json``), of one ``registry`` when named."""
    query = "?" + urlencode({"registry": registry}) if registry else ""
    return f"/changes/conflicts.{fmt}{query}"


def api_conflicts_url(conflict_id: int | None = None, *, registry: str | None = None) -> str:
    """``/api/v1/conflicts`` (of one ``registry`` when named), or conflict ``conflict_id``."""
    if conflict_id is not None:
        return f"{API_ROOT}/conflicts/{conflict_id}"
    return f"{API_ROOT}/conflicts" + ("?" + urlencode({"registry": registry}) if registry else "")


def log_key_url() -> str:
    """The transparency log's public key (PEM), at a well-known URL."""
    return "/.well-known/portreg-log-key"


def log_api_url(what: str = "head") -> str:
    """An operation of the log's API: ``head``, ``entries``, ``inclusion``, ``consistency``."""
    return f"{API_ROOT}/log/{what}"


def subscriptions_url(kind: str | None = None, key: str | None = None) -> str:
    """The signed-in account's subscriptions by mail; with ``kind`` and ``key``, offering to follow that."""
    shown = {k: v for k, v in (("kind", kind), ("key", key)) if v is not None}
    return "/account/subscriptions" + (f"?{urlencode(shown)}" if shown else "")


def unsubscribe_url(subscription_id: int) -> str:
    return f"/account/subscriptions/{subscription_id}/delete"


# --------------------------------------------------------------------------- the assignment process's pages


def requests_url() -> str:
    """The signed-in person's own requests."""
    return "/requests"


def request_new_url() -> str:
    """The form to request an assignment (§8.1.1)."""
    return "/requests/new"


def request_url(request_id: int) -> str:
    return f"/requests/{request_id}"


def request_action_url(request_id: int, what: str) -> str:
    """Where a request page's forms post: ``act``, ``comment`` or ``vote``."""
    return f"/requests/{request_id}/{what}"


def queue_url(group: str | None = None) -> str:
    """An expert review group's queue (no group: the list of groups)."""
    return "/requests/queue" + (f"/{_segment(group)}" if group else "")


def dashboard_url() -> str:
    return "/requests/dashboard"


def ballots_url() -> str:
    return "/requests/iesg"


def request_stats_url() -> str:
    return "/requests/statistics"
