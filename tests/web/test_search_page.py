"""The registry page's ranked mode, ``/search?q=``: the same ranked search as the API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from tests.support.web import real_store_file, sqlite_url

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
lxml_html = pytest.importorskip("lxml.html")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    path: Path = real_store_file(tmp_path_factory.mktemp("search-page"))
    with Store.open(sqlite_url(path)) as store, TestClient(create_app(store=store)) as test_client:
        yield test_client


def _rows(client: Any, url: str) -> tuple[Any, list[list[str]]]:
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    doc = lxml_html.fromstring(response.text)
    rows = [[" ".join(td.text_content().split()) for td in tr.findall("td")] for tr in doc.cssselect("table.records tbody tr")]
    return doc, rows


@pytest.mark.parametrize(("text", "first"), [("kerberos", "kerberos"), ("kerbros", "kerberos"), ("postgres", "postgresql"),
                                             ("5432", "postgresql"), ("Tom Lane", "postgresql"), ("ssh", "ssh")])
def test_best_matches_first(client: Any, text: str, first: str) -> None:
    _, rows = _rows(client, "/search?" + urlencode({"q": text}))
    assert rows and rows[0][0] == first


def test_the_page_shows_what_the_api_ranks(client: Any) -> None:
    api = client.get("/api/v1/search", params={"q": "http", "page_size": 50}).json()
    _, rows = _rows(client, "/search?q=http")
    assert [(r[0], r[1], r[2]) for r in rows] == [(i["name"] or "", i["port"] or "", i["transport"] or "") for i in api["items"]]
    doc, second = _rows(client, "/search?q=http&page=2")
    assert second and second[0][0] != rows[0][0]
    assert doc.cssselect("a[rel=prev]")[0].get("href") == "/search?q=http"


def test_an_empty_query_shows_the_form_and_a_bad_page_is_said(client: Any) -> None:
    doc, rows = _rows(client, "/search")
    assert rows == [] and doc.cssselect("input[name=q]")
    doc, rows = _rows(client, "/search?q=http&page=two")
    assert rows and "page" in " ".join(p.text_content() for p in doc.cssselect(".problem"))


def test_the_registry_page_links_to_its_ranked_mode(client: Any) -> None:
    doc, _ = _rows(client, "/?search=kerberos")
    assert any(a.get("href") == "/search?q=kerberos" for a in doc.iter("a"))
