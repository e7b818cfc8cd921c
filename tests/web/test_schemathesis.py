"""schemathesis against the API's own OpenAPI document: no input it can generate gets a 5xx.

Each operation gets generated requests, valid and invalid (negative ports, huge page
sizes, odd strings in search), sent in process to the app on a store holding the real
2024-03-18 registry. Checked: no 5xx, and every documented answer matches its schema
(status code, content type, body). A modest number of examples keeps the whole file
well under two minutes.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")]

# Per operation, and every operation runs twice (anonymous and as staff): some 25
# operations x 2 x this many requests must stay within about two minutes on a busy
# two-core machine, so fewer examples each than one router alone could afford.
MAX_EXAMPLES = 15


@pytest.fixture(scope="module")
def api_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The whole app on the real 2024-03-18 registry, and a token of a staff account."""
    from portreg.services import accounts
    from tests.web.test_api import build_app, filled_store

    with filled_store(tmp_path_factory.mktemp("schemathesis")) as store:
        staff = accounts.create_account(
            store, email="staff@example.org", name="Staff Member", roles=frozenset({"staff", "admin"})
        )
        token = accounts.new_token(store, staff.id, name="schemathesis").secret
        yield {"app": build_app(store), "token": token}


@pytest.fixture(scope="module")
def api_app(api_site: dict[str, Any]) -> Any:
    return api_site["app"]


@pytest.fixture(scope="module")
def stacked_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole app on the real registry with local registry ``acme`` stacked on it, so
    that every operation answers over the stack and ``?registry=`` names something real."""
    from portreg.store import PortRange
    from tests.support.overlay import acme_registry
    from tests.web.test_api import build_app, filled_store

    with filled_store(tmp_path_factory.mktemp("schemathesis-stack")) as store:
        store.registries.create("acme", title="ACME Corp. services", owns=(PortRange(20000, 20999),))
        store.scoped("acme").import_registry(acme_registry(), source="acme.services")
        yield build_app(store)


def _api_document() -> dict[str, Any]:
    """The OpenAPI document the app serves, built from the same list of routers the app
    mounts (no store needed, so it can be read when tests are collected); the test checks
    the app serves the same."""
    from fastapi import FastAPI

    from portreg.web import api, errors
    from portreg.web.app import mount_api

    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount_api(bare)
    errors.install_error_handlers(bare)
    return api.openapi_document(bare)


DOCUMENT = _api_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_app_serves_this_document(api_app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(api_app) as client:
        assert client.get("/api/v1/openapi.json").json() == DOCUMENT


def test_the_document_covers_every_router() -> None:
    """The newer concepts are fuzzed too, not only the registry's operations."""
    paths = DOCUMENT["paths"]
    for prefix in ("/api/v1/requests", "/api/v1/log", "/api/v1/collisions", "/api/v1/changes", "/api/v1/account"):
        assert any(path.startswith(prefix) for path in paths), prefix


def test_the_staff_token_goes_past_authentication(api_site: dict[str, Any]) -> None:
    """Else the run as staff would only see the 401s the anonymous run sees."""
    from fastapi.testclient import TestClient

    with TestClient(api_site["app"]) as client:
        assert client.get("/api/v1/audit").status_code == 401
        answer = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {api_site['token']}"})
        assert answer.status_code == 200, answer.text


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_documented_answers(case: Any, api_app: Any) -> None:
    """Anonymous: an operation needing an account answers a documented 401."""
    case.headers = {key: value for key, value in (case.headers or {}).items() if key.lower() != "authorization"}
    case.call_and_validate(app=api_app, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_as_staff_no_server_errors_and_documented_answers(case: Any, api_site: dict[str, Any]) -> None:
    """With a staff (and admin) token: the operations go past authentication."""
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api_site['token']}"}
    case.call_and_validate(app=api_site["app"], checks=CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_over_a_stack_no_server_errors_and_documented_answers(case: Any, stacked_app: Any) -> None:
    """Anonymous, on a store holding a local registry as well as IANA's: the stack's answers
    (sources, the registry object, ``?registry=``) hold to the same document."""
    case.headers = {key: value for key, value in (case.headers or {}).items() if key.lower() != "authorization"}
    case.call_and_validate(app=stacked_app, checks=CHECKS)
