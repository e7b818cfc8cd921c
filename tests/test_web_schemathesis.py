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

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from test_web_api import build_app, filled_store

    with filled_store(tmp_path_factory.mktemp("schemathesis")) as store:
        yield build_app(store)


def _api_document() -> dict[str, Any]:
    """The OpenAPI document the app serves, built from the router alone (no store needed,
    so it can be read when tests are collected); the test checks the app serves the same."""
    from fastapi import FastAPI

    from portreg.web import api, errors

    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    bare.include_router(api.router, prefix=api.API_ROOT)
    errors.install_error_handlers(bare)
    return api.openapi_document(bare)


DOCUMENT = _api_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_app_serves_this_document(api_app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(api_app) as client:
        assert client.get("/api/v1/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_documented_answers(case: Any, api_app: Any) -> None:
    case.call_and_validate(
        app=api_app,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
