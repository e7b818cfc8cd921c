"""The stack over real HTTP: ``portreg serve`` on loopback, a store holding local
registry ``acme`` over IANA's real registry, this instance operating acme.

The API names the source of every record and the view it read; ``?registry=``
narrows to one registry; the pages show a badge per record and which registry this
instance operates.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.support.overlay import stack

httpx = pytest.importorskip("httpx")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> Iterator[str]:
    from tests.support.web import serving

    url = f"sqlite:///{tmp_path_factory.mktemp('stack-http') / 'store.sqlite3'}"
    stack(url, current_registry)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTREG_RUNS_REGISTRY", "acme")
        with serving(url) as (root, _):
            yield root


def api(base: str, path: str, status: int = 200, **params: Any) -> Any:
    response = httpx.get(base + "/api/v1" + path, params=params, timeout=30)
    assert response.status_code == status, (path, params, response.text[:300])
    return response.json()


def sources(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["source"], r["name"]) for r in records]


def test_a_port_answers_over_the_stack_naming_each_source_and_the_view(base: str) -> None:
    body = api(base, "/ports/5432")
    assert sources(body["records"]) == [("acme", "acme-db"), ("iana", "postgresql"), ("iana", "postgresql")]
    ref = body["registry"]
    assert ref["name"] == "stack" and ref["operates"] == "acme" and ref["version"] == 2
    assert [(layer["name"], layer["version"]) for layer in ref["stack"]] == [("acme", 2), ("iana", 1)]
    assert body["states"]["tcp"] == "assigned"


def test_registry_narrows_every_operation_to_one(base: str) -> None:
    assert sources(api(base, "/ports/5432", registry="iana")["records"]) == [("iana", "postgresql")] * 2
    acme = api(base, "/ports/5432", registry="acme")
    assert sources(acme["records"]) == [("acme", "acme-db")] and acme["registry"]["name"] == "acme"
    assert api(base, "/records", registry="acme")["total"] == 7
    assert sources(api(base, "/services/acme-sync")["records"]) == [("acme", "acme-sync")] * 2
    api(base, "/services/acme-sync", 404, registry="iana")
    assert sources(api(base, "/search", q="acme-mon")["items"])[0] == ("acme", "acme-mon")
    assert api(base, "/stats", registry="acme")["records"] == 7
    versions = api(base, "/versions")["versions"]
    assert [(v["registry"], v["version"]) for v in versions] == [("iana", 1), ("acme", 2)]


def test_a_version_number_reads_the_stack_as_it_was(base: str) -> None:
    body = api(base, "/ports/5432", version=1)
    assert sources(body["records"]) == [("iana", "postgresql")] * 2
    assert [layer["name"] for layer in body["registry"]["stack"]] == ["iana"]
    assert api(base, "/ports/5432", 404, version=1, registry="acme")["error"]["parameter"] == "version"


def test_a_record_and_its_history_are_read_from_its_own_registry(base: str) -> None:
    acme_db = api(base, "/ports/5432")["records"][0]
    record = api(base, f"/records/{acme_db['id']}")
    assert record["record"]["source"] == "acme"
    history = api(base, f"/records/{acme_db['id']}/history")["history"]
    assert [(h["first"], h["last"], h["record"]["source"]) for h in history] == [(2, None, "acme")]


@pytest.mark.parametrize(("value", "status"), [("beta", 404), ("Acme!", 400), ("x" * 41, 400)])
def test_a_bad_registry_is_a_4xx_naming_the_parameter(base: str, value: str, status: int) -> None:
    error = api(base, "/ports/5432", status, registry=value)["error"]
    assert error["parameter"] == "registry" and error["message"]


def test_pages_badge_each_record_and_say_which_registry_this_instance_operates(base: str) -> None:
    page = httpx.get(base + "/port/5432", timeout=30)
    assert page.status_code == 200
    assert 'class="source-badge" title="registry acme">acme<' in page.text
    assert page.text.count('class="source-badge" title="registry iana">iana<') == 2
    assert "operates the <strong>acme</strong> registry" in page.text
    only = httpx.get(base + "/port/5432", params={"registry": "iana"}, timeout=30).text
    assert "acme-db" not in only
    table = httpx.get(base + "/", params={"registry": "acme"}, timeout=30).text
    assert table.count('class="source-badge"') == 7
    assert table.count('<input type="hidden" name="registry" value="acme">') == 2  # the filters and the header's search
    assert "tcpmux" not in table
    assert httpx.get(base + "/port/5432", params={"registry": "beta"}, timeout=30).status_code == 404


def test_the_ranked_search_page_reads_the_stack_or_one_registry(base: str) -> None:
    found = httpx.get(base + "/search", params={"q": "acme-mon"}, timeout=30)
    assert found.status_code == 200 and 'title="registry acme">acme<' in found.text
    upstream = httpx.get(base + "/search", params={"q": "postgres", "registry": "iana"}, timeout=30)
    assert upstream.status_code == 200 and "acme-db" not in upstream.text
    assert '<input type="hidden" name="registry" value="iana">' in upstream.text
