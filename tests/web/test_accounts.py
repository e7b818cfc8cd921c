"""Accounts on the website, over real HTTP: a real ``portreg serve`` on loopback that mails
through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import html
import os
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.support.smtp import Inbox, smtp_server
from tests.support.web import real_store_file, serving, sqlite_url

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"

#: Every form of the account pages: (path, fields that would make it do something).
FORMS = [
    ("/account/signup", {"email": "x@example.org", "name": "X", "password": PASSWORD, "password2": PASSWORD}),
    ("/account/signin", {"email": "ann@example.org", "password": PASSWORD, "next": "/account"}),
    ("/account/signout", {}),
    ("/account/confirm", {"token": "t"}),
    ("/account/reset", {"email": "ann@example.org"}),
    ("/account/reset/new", {"token": "t", "password": PASSWORD, "password2": PASSWORD}),
    ("/admin/accounts/1", {"role": "admin"}),
    ("/account/tokens", {"name": "ci"}),
    ("/account/tokens/1/revoke", {}),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts as A
    from portreg.store import Store

    url = sqlite_url(real_store_file(tmp_path_factory.mktemp("accounts")))
    with Store.open(url) as store:
        A.create_account(store, email="ann@example.org", name="Ann Admin", password=PASSWORD, roles={"admin"})
    with smtp_server() as (inbox, settings):
        env = {
            "PORTREG_SMTP_HOST": "127.0.0.1",
            "PORTREG_SMTP_PORT": str(settings.port),
            "PORTREG_MAIL_INTERVAL": "0.5",
            "PORTREG_MAIL_FROM": "registry@example.net",
        }
        with pytest.MonkeyPatch.context() as patch:  # restores the environment after
            for key, value in env.items():
                patch.setenv(key, value)
            with serving(url, "--init-from", "none") as (base, _):
                yield {"base": base, "inbox": inbox, "url": url}


class Browser:
    """An HTTP client that keeps cookies, reads the CSRF token of the last form, and never
    follows redirects by itself (every POST must answer with one)."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=20)
        self.token = ""

    def get(self, path: str) -> httpx.Response:
        response = self.client.get(path)
        found = re.search(r'name="csrftoken" value="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any], *, token: bool = True) -> httpx.Response:
        response = self.client.post(path, data={**({"csrftoken": self.token} if token else {}), **data})
        return response

    def submit(self, path: str, data: dict[str, Any]) -> httpx.Response:
        """POST a form, check that the answer is a redirect, and follow it."""
        response = self.post(path, data)
        assert response.status_code == 303, (path, response.status_code, response.text[:500])
        return self.get(response.headers["location"])


def errors_of(page: httpx.Response) -> dict[str, str]:
    """The message beside each field: ``id="e-FIELD"``."""
    return {
        k: html.unescape(v.strip())
        for k, v in re.findall(r"<p class=\"(?:field-error|problem)\"[^>]* id=\"e-([a-z0-9]+)\">([^<]*)", page.text)
    }


def _accounts(site: dict[str, Any]) -> list[Any]:
    from portreg.services import accounts as A
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        return A.list_accounts(store)


def test_sign_up_confirm_sign_in_sign_out(site: dict[str, Any]) -> None:
    inbox: Inbox = site["inbox"]
    me = Browser(site["base"])
    page = me.get("/account/signup")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    page = me.submit(
        "/account/signup", {"email": "not-an-address", "name": "", "password": "short", "password2": "other"}
    )
    assert errors_of(page) == {
        "email": "is not an email address (name@example.org)",
        "name": "a name is required",
        "password": "a password has at least 10 characters",
    }
    assert 'value="not-an-address"' in page.text and "short" not in page.text  # values kept, never a password
    page = me.submit(
        "/account/signup",
        {"email": "dee@example.org", "name": "Dee", "password": PASSWORD, "password2": PASSWORD + "!"},
    )
    assert errors_of(page) == {"password2": "the two passwords differ"}
    page = me.submit(
        "/account/signup", {"email": "dee@example.org", "name": "Dee", "password": PASSWORD, "password2": PASSWORD}
    )
    assert "Check your mail" in page.text and "dee@example.org" in page.text

    message = inbox.wait_for("dee@example.org", "confirm your address")
    link = inbox.link(message)
    assert link.startswith(site["base"] + "/account/confirm?token=")
    page = me.submit("/account/signin", {"email": "dee@example.org", "password": PASSWORD, "next": "/account"})
    assert "not confirmed yet" in errors_of(page)["form"]
    page = me.get(link.removeprefix(site["base"]))
    assert page.status_code == 200 and "Confirm my address" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    page = me.submit("/account/confirm", {"token": token})
    assert "is confirmed" in page.text
    page = me.submit("/account/confirm", {"token": token})
    assert errors_of(page) == {"token": "this link has been used already"}

    response = me.post("/account/signin", {"email": "DEE@example.org", "password": PASSWORD, "next": "/account"})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("portreg_session=")
    )
    assert (
        "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    )  # plain HTTP
    page = me.get("/account")
    assert (
        page.status_code == 200
        and "Dee" in page.text
        and "requester" in page.text
        and "Signed in as dee@example.org" in page.text
    )
    page = me.submit("/account/signout", {})
    assert "Signed out" in page.text
    assert me.get("/account").headers["location"] == "/account/signin?next=%2Faccount"


def test_password_reset_by_a_single_use_link(site: dict[str, Any]) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    inbox: Inbox = site["inbox"]
    with Store.open(site["url"]) as store:
        A.create_account(store, email="eve@example.org", name="Eve", password=PASSWORD)
    old = Browser(site["base"])
    old.get("/account/signin")
    old.submit("/account/signin", {"email": "eve@example.org", "password": PASSWORD, "next": "/account"})
    assert old.get("/account").status_code == 200

    me = Browser(site["base"])
    me.get("/account/reset")
    page = me.submit("/account/reset", {"email": "nobody-here@example.org"})
    answer_for_nobody = page.text.replace("nobody-here@example.org", "ADDRESS")
    page = me.submit("/account/reset", {"email": "eve@example.org"})
    assert "Check your mail" in page.text and page.text.replace("eve@example.org", "ADDRESS") == answer_for_nobody
    link = inbox.link(inbox.wait_for("eve@example.org", "set a new password"))
    page = me.get(link.removeprefix(site["base"]))
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    page = me.submit("/account/reset/new", {"token": token, "password": "short", "password2": "short"})
    assert errors_of(page) == {"password": "a password has at least 10 characters"}
    page = me.submit(
        "/account/reset/new", {"token": token, "password": "a new passphrase!", "password2": "a new passphrase!"}
    )
    assert "is changed" in page.text
    page = me.submit(
        "/account/reset/new", {"token": token, "password": "another passphrase", "password2": "another passphrase"}
    )
    assert errors_of(page) == {"token": "this link has been used already"}
    assert old.get("/account").status_code == 303  # the session from before the reset has ended
    page = me.submit("/account/signin", {"email": "eve@example.org", "password": PASSWORD, "next": "/account"})
    assert errors_of(page)["form"] == "Wrong email address or password."
    response = me.post(
        "/account/signin", {"email": "eve@example.org", "password": "a new passphrase!", "next": "/account"}
    )
    assert response.headers["location"] == "/account"


def test_signing_up_twice_tells_the_owner_not_the_visitor(site: dict[str, Any]) -> None:
    inbox: Inbox = site["inbox"]
    me = Browser(site["base"])
    me.get("/account/signup")
    before = len(_accounts(site))
    page = me.submit(
        "/account/signup", {"email": "Ann@example.org", "name": "Not Ann", "password": PASSWORD, "password2": PASSWORD}
    )
    assert "Check your mail" in page.text
    assert inbox.wait_for("ann@example.org", "someone tried to sign up")
    assert len(_accounts(site)) == before


def test_sign_in_attempts_are_limited_with_a_clear_message(site: dict[str, Any]) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        A.create_account(store, email="fay@example.org", name="Fay", password=PASSWORD)
    me = Browser(site["base"])
    me.get("/account/signin")
    for _ in range(A.MAX_FAILURES_PER_ACCOUNT):
        page = me.submit("/account/signin", {"email": "fay@example.org", "password": "guess guess", "next": "/account"})
        assert errors_of(page)["form"] == "Wrong email address or password."
    page = me.submit("/account/signin", {"email": "fay@example.org", "password": PASSWORD, "next": "/account"})
    assert errors_of(page)["form"] == "Too many failed sign-ins for this account: try again in 15 minutes."


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_csrf_refused_on_every_form_without_a_token(site: dict[str, Any], path: str, data: dict[str, Any]) -> None:
    me = Browser(site["base"])
    me.get("/account/signin")  # the browser now holds the csrftoken cookie
    refused = me.post(path, data, token=False)
    assert refused.status_code == 403 and "This form was refused" in refused.text
    forged = me.post(path, {**data, "csrftoken": "forged." + me.token[7:]}, token=False)
    assert forged.status_code == 403
    # With no cookie at all (another site's form): refused too, so nobody is signed in as somebody else.
    assert httpx.post(site["base"] + path, data=data, timeout=10).status_code == 403
    with_token = me.post(path, data)
    assert with_token.status_code in (303, 403) and "This form was refused" not in with_token.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "<script>alert(1)</script>\x00", "must not contain control characters"),
        ("name", "A" * 1_000_000, "is far too long (at most 10000 characters)"),
        ("email", "<b>x</b>@example.org", "is not an email address (name@example.org)"),
        ("email", "ann\x00@example.org", "must not contain control characters"),
        ("password", "\x00" * 12, "a password must not contain NUL characters"),
    ],
)
def test_hostile_input_is_refused_beside_its_field(site: dict[str, Any], field: str, value: str, message: str) -> None:
    me = Browser(site["base"])
    me.get("/account/signup")
    before = len(_accounts(site))
    data = {"email": "gil@example.org", "name": "Gil", "password": PASSWORD, "password2": PASSWORD, field: value}
    page = me.submit("/account/signup", data)
    assert errors_of(page)[field] == message
    assert "<script>" not in page.text and "<b>x</b>" not in page.text
    assert len(_accounts(site)) == before


def test_a_form_body_past_two_megabytes_is_refused(site: dict[str, Any]) -> None:
    me = Browser(site["base"])
    me.get("/account/signup")
    response = me.post("/account/signup", {"name": "A" * 3_000_000})
    assert response.status_code == 413


def test_admin_pages_give_and_take_roles(site: dict[str, Any]) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        hal = A.create_account(store, email="hal@example.org", name="Hal", password=PASSWORD)
    anonymous = Browser(site["base"])
    assert anonymous.get("/admin/accounts").headers["location"] == "/account/signin?next=%2Fadmin%2Faccounts"
    requester = Browser(site["base"])
    requester.get("/account/signin")
    requester.submit("/account/signin", {"email": "hal@example.org", "password": PASSWORD, "next": "/account"})
    assert requester.get("/admin/accounts").status_code == 403
    assert requester.post(f"/admin/accounts/{hal.id}", {"role": "admin"}).status_code == 403

    admin = Browser(site["base"])
    admin.get("/account/signin")
    admin.submit("/account/signin", {"email": "ann@example.org", "password": PASSWORD, "next": "/admin/accounts"})
    page = admin.get("/admin/accounts")
    assert page.status_code == 200 and "hal@example.org" in page.text
    page = admin.submit(f"/admin/accounts/{hal.id}", {"role": ["requester"], "group": ["sctp", "dccp"]})
    assert errors_of(page) == {} and "review groups are for experts" in page.text
    page = admin.submit(f"/admin/accounts/{hal.id}", {"role": ["requester", "expert"], "group": ["sctp", "dccp"]})
    assert "hal@example.org now holds: expert, requester; groups: dccp, sctp." in page.text
    with Store.open(site["url"]) as store:
        assert A.get_account(store, hal.id).groups == {"sctp", "dccp"}
    page = admin.submit("/admin/accounts/1", {"role": ["expert"]})
    assert "last active admin" in page.text
    page = admin.submit(f"/admin/accounts/{hal.id}", {"active": "0"})
    assert "hal@example.org is disabled." in page.text
    assert requester.get("/account").status_code == 303  # a disabled account's session ends


def test_the_session_cookie_is_secure_over_tls(tmp_path: Any) -> None:
    """Over TLS the cookies carry Secure (checked in process: the test server has no certificate)."""
    from fastapi.testclient import TestClient

    from portreg.services import accounts as A
    from portreg.store import Store
    from portreg.web import create_app

    with Store.open(sqlite_url(tmp_path / "s.db")) as store:
        A.create_account(store, email="ann@example.org", name="Ann", password=PASSWORD)
        with TestClient(create_app(store=store), base_url="https://portreg.test", follow_redirects=False) as client:
            page = client.get("/account/signin")
            assert "secure" in page.headers["set-cookie"].lower()
            token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            response = client.post(
                "/account/signin", data={"csrftoken": token, "email": "ann@example.org", "password": PASSWORD}
            )
            session = next(
                v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("portreg_session=")
            )
            assert "secure" in session.lower() and "httponly" in session.lower()


# --------------------------------------------------------------------------- who may do what

ROLE_NAMES = ["anonymous", "requester", "expert", "staff", "iesg", "admin"]
PUBLIC_PAGES = [
    "/account/signup",
    "/account/signup/sent",
    "/account/signin",
    "/account/confirm",
    "/account/reset",
    "/account/reset/sent",
    "/account/reset/new",
]


def _expected(role: str, method: str, path: str) -> int:
    """The status each caller must get: the matrix, written out once."""
    signed_in = role != "anonymous"
    if path.startswith("/requests"):
        return _request_expected(role, method, path)
    if path.startswith("/api/v1/account"):
        if not signed_in:
            return 401
        return 200 if path == "/api/v1/account" or role == "admin" else 403
    if method == "GET" and path in PUBLIC_PAGES:
        return 200
    if path == "/account":
        return 200 if signed_in else 303  # to the sign-in page
    if path.startswith("/admin/"):
        if not signed_in:
            return 303
        return (200 if method == "GET" else 303) if role == "admin" else 403
    return 303  # every other POST answers with a redirect, whoever sends it


#: What each request page's POST sends in the matrix: enough to reach the service, never
#: enough to change anything (a stale version), so every caller meets the same request.
REQUEST_POSTS = {
    "/requests/new": {"service_name": "acctmatrix2", "do": "check"},
    "/requests/{request_id}/act": {"action": "validate", "etag": "999"},
    "/requests/{request_id}/comment": {"text": "hello", "etag": "999"},
    "/requests/{request_id}/vote": {"position": "yes", "etag": "999"},
}


def _request_expected(role: str, method: str, path: str) -> int:
    """The request pages (docs/web.md), on a New tcp request filed by an account none of the
    callers is: staff, the IESG and admins see it; the requester and the sctp expert do not."""
    if path in ("/requests/{request_id}", "/requests/statistics"):
        return 200  # a request's public part, and the statistics: for anyone
    if role == "anonymous":
        return 303  # to the sign-in page
    sees = role in ("staff", "iesg", "admin")
    if path.endswith("/act"):
        return (303 if role == "staff" else 403) if sees else 404  # validate is staff's; the stale version sends back
    if path.endswith("/comment"):
        return 303 if sees else 404
    if path.endswith("/vote"):
        return (303 if role == "iesg" else 403) if sees else 404
    if path in ("/requests", "/requests/new"):
        return 303 if method == "POST" else 200
    allowed = {
        "/requests/queue": {"expert", "staff", "admin"},
        "/requests/queue/{group}": {"staff", "admin"},  # the tcp-udp queue; the matrix's expert reviews sctp
        "/requests/dashboard": {"staff", "admin"},
        "/requests/iesg": {"iesg", "staff", "admin"},
    }[path]
    return 200 if role in allowed else 403


def test_every_account_route_for_every_role(site: dict[str, Any]) -> None:
    from fastapi.routing import APIRoute

    from portreg.services import accounts as A
    from portreg.services import workflow
    from portreg.store import Store
    from portreg.web.api import accounts as accounts_api
    from portreg.web.pages import accounts as account_pages
    from portreg.web.pages import requests as request_pages
    from portreg.web.urls import API_ROOT

    routes = {
        (method, prefix + route.path.replace(":int", ""))
        for router, prefix in ((account_pages.router, ""), (accounts_api.router, API_ROOT), (request_pages.router, ""))
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    with Store.open(site["url"]) as store:
        target = A.create_account(store, email="target@example.org", name="Target", password=PASSWORD)
        filed = workflow.file(
            store,
            target,
            {
                "service_name": "acctmatrix",
                "transports": ["tcp"],
                "assignee": "Target <target@example.org>",
                "contact": "Target <target@example.org>",
                "description": "Matrix remote control",
                "reference": "https://example.com/acctmatrix (unicast only)",
                "port": 2693,
                "justification": "devices are found without discovery, so a dynamic port cannot be known",
            },
        )
        tokens = {}
        for role in ROLE_NAMES[1:]:
            account = A.create_account(
                store,
                email=f"matrix-{role}@example.org",
                name=role,
                password=PASSWORD,
                roles={role} | ({"admin"} if role == "admin" else set()),
                groups={"sctp"} if role == "expert" else (),
            )
            tokens[role] = A.new_token(store, account.id, name="matrix").secret
    callers: dict[str, Browser] = {}
    for role in ROLE_NAMES:
        callers[role] = Browser(site["base"])
        callers[role].get("/account/signin")
        if role != "anonymous":
            callers[role].submit(
                "/account/signin", {"email": f"matrix-{role}@example.org", "password": PASSWORD, "next": "/account"}
            )
    checked = set()
    for method, path in sorted(routes):
        concrete = (
            path.replace("{account_id}", str(target.id))
            .replace("{token_id}", "1")
            .replace("{request_id}", str(filed["id"]))
            .replace("{group}", "tcp-udp")
        )
        for role in ROLE_NAMES:
            caller = callers[role]
            if path.startswith("/api/"):
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role != "anonymous" else {}
                response = httpx.request(method, site["base"] + concrete, headers=headers, timeout=10)
            elif method == "GET":
                response = caller.client.get(concrete)
            else:
                data = {"role": "requester"} if path.startswith("/admin/") else REQUEST_POSTS.get(path, {})
                response = caller.post(concrete, data)
            assert response.status_code == _expected(role, method, path), (role, method, path, response.text[:300])
            if (
                response.status_code == 303
                and path in ("/account", "/admin/accounts/{account_id}", "/admin/accounts")
                and role == "anonymous"
            ):
                assert response.headers["location"].startswith("/account/signin")
            checked.add((method, path))
        if method == "POST" and path == "/account/signout":
            for role in ROLE_NAMES[1:]:  # signed out by that row: sign in again for the rows after it
                callers[role].get("/account/signin")
                callers[role].submit(
                    "/account/signin", {"email": f"matrix-{role}@example.org", "password": PASSWORD, "next": "/account"}
                )
    assert checked == routes and len(routes) >= 17


def test_people_make_and_revoke_their_own_api_tokens(site: dict[str, Any]) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        A.create_account(store, email="kim@example.org", name="Kim", password=PASSWORD, roles={"requester", "staff"})
    me = Browser(site["base"])
    me.get("/account/signin")
    me.submit("/account/signin", {"email": "kim@example.org", "password": PASSWORD, "next": "/account"})
    page = me.submit("/account/tokens", {"name": "", "role": ["staff"]})
    assert errors_of(page) == {"name": "a token needs a name (what it is for)"}
    page = me.submit("/account/tokens", {"name": "ci <script>", "role": ["staff"]})
    secret = re.search(r'<code class="secret">(prt_[A-Za-z0-9_-]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    assert "ci &lt;script&gt;" in page.text and "<script>" not in page.text
    assert secret not in me.get("/account").text  # shown once
    answer = httpx.get(site["base"] + "/api/v1/account", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["roles"] == ["staff"]
    page = me.submit("/account/tokens", {"name": "x", "role": ["admin"]})
    assert errors_of(page) == {"role": "the account does not hold the role 'admin'"}  # a forged box: only held roles are offered
    token_id = re.search(r'<tr id="token-(\d+)">', page.text).group(1)  # type: ignore[union-attr]
    other = Browser(site["base"])
    other.get("/account/signin")
    other.submit("/account/signin", {"email": "ann@example.org", "password": PASSWORD, "next": "/account"})
    page = other.submit(f"/account/tokens/{token_id}/revoke", {})
    assert "has no active token" in page.text  # nobody revokes another's token
    page = me.submit(f"/account/tokens/{token_id}/revoke", {})
    assert f"Token {token_id} is revoked." in page.text
    answer = httpx.get(site["base"] + "/api/v1/account", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert answer.status_code == 401
