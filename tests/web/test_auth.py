"""Who is calling, on a real ``portreg serve`` over loopback: API tokens, 401 and 403 in JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.support.web import real_store_file, serving, sqlite_url

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts as A
    from portreg.store import Store

    url = sqlite_url(real_store_file(tmp_path_factory.mktemp("auth")))
    with Store.open(url) as store:
        admin = A.create_account(
            store, email="ann@example.org", name="Ann", password=PASSWORD, roles={"admin", "staff"}
        )
        bob = A.create_account(store, email="bob@example.org", name="Bob", password=PASSWORD)
        tokens = {
            "admin": A.new_token(store, admin.id, name="all").secret,
            "staff-only": A.new_token(store, admin.id, name="staff", roles={"staff"}).secret,
            "requester": A.new_token(store, bob.id, name="cli").secret,
            "revoked": A.new_token(store, bob.id, name="old").secret,
        }
        A.revoke_token(store, bob.id, 4)
    with serving(url) as (base, _):
        yield {"base": base, "tokens": tokens, "url": url}


def _get(site: dict[str, Any], path: str, token: str | None = None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {site['tokens'].get(token, token)}"
    return httpx.get(site["base"] + path, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("token", "path", "status", "code"),
    [
        (None, "/api/v1/account", 401, "unauthorized"),
        (None, "/api/v1/accounts", 401, "unauthorized"),
        ("revoked", "/api/v1/account", 401, "unauthorized"),
        ("prt_not-a-token-at-all", "/api/v1/account", 401, "unauthorized"),
        ("requester", "/api/v1/accounts", 403, "forbidden"),
        ("staff-only", "/api/v1/accounts", 403, "forbidden"),
        ("admin", "/api/v1/accounts", 200, None),
        ("requester", "/api/v1/account", 200, None),
    ],
)
def test_tokens_401_and_403(site: dict[str, Any], token: str | None, path: str, status: int, code: str | None) -> None:
    response = _get(site, path, token)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    if code is not None:
        assert response.json()["error"]["code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="portreg"'


def test_a_token_speaks_with_its_scope_only(site: dict[str, Any]) -> None:
    assert _get(site, "/api/v1/account", "admin").json()["roles"] == ["admin", "staff"]
    assert _get(site, "/api/v1/account", "staff-only").json()["roles"] == ["staff"]
    assert _get(site, "/api/v1/accounts", "admin").json()["accounts"][1]["email"] == "bob@example.org"


def test_a_malformed_authorization_header_is_a_401_not_anonymous(site: dict[str, Any]) -> None:
    for value in ("Basic Ym9iOnB3", "Bearer", "Bearer \x7f", "bearer " + "x" * 5000):
        response = httpx.get(site["base"] + "/api/v1/account", headers={"Authorization": value}, timeout=10)
        assert response.status_code in (400, 401, 431), (value[:20], response.text)  # 400: refused by the server itself


def test_a_disabled_account_loses_its_tokens(site: dict[str, Any], tmp_path: Path) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        cy = A.create_account(store, email="cy@example.org", name="Cy", password=PASSWORD)
        secret = A.new_token(store, cy.id, name="x").secret
        assert _get(site, "/api/v1/account", secret).status_code == 200
        A.disable_account(store, cy.id)
    assert _get(site, "/api/v1/account", secret).status_code == 401
