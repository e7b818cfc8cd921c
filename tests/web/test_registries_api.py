"""``/api/v1/registries`` and the downloads' ``?registry=``, from a real ``portreg serve``
on loopback, over a real SQLite store: IANA's 2024-03-18 registry with local registry
``acme`` stacked on it, which the instance operates."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.data import CURRENT_XML
from tests.support.overlay import acme_registry
from tests.support.web import real_store_file, serving, sqlite_url

DOWNLOAD = "/assignments/service-names-port-numbers/service-names-port-numbers"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from portreg.store import PortRange, Store

    path = real_store_file(tmp_path_factory.mktemp("registries"))
    with Store.open(sqlite_url(path)) as store:
        store.registries.create("acme", title="ACME Corp. services", owns=(PortRange(20000, 20999),), actor="ops")
        store.scoped("acme").import_registry(acme_registry(), source="acme.services")
    # the instance operates its top local registry ("1"): /api/v1/registries says which
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTREG_RUNS_REGISTRY", "1")
        with serving(sqlite_url(path)) as (base, _):
            yield base, path


@pytest.fixture(scope="module")
def http(server: tuple[str, Path]) -> Iterator[Any]:
    import httpx

    with httpx.Client(base_url=server[0], timeout=60) as client:
        yield client


def test_the_registries_in_stack_order(http: Any) -> None:
    response = http.get("/api/v1/registries")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["stack"] is True and body["operates"] == "acme"
    acme, iana = body["registries"]
    assert (acme["name"], acme["kind"], acme["title"], acme["created_by"]) == (
        "acme", "local", "ACME Corp. services", "ops",
    )
    assert acme["ranges"] == [{"low": 20000, "high": 20999, "transport": None, "text": "20000-20999"}]
    assert acme["current"]["number"] == 2 and acme["current"]["record_count"] == 7
    assert (iana["name"], iana["kind"], iana["ranges"], iana["current"]["number"]) == ("iana", "upstream", [], 1)
    assert acme["position"] > iana["position"]
    assert acme["links"]["self"] == "/api/v1/registries/acme"
    assert acme["links"]["csv"] == DOWNLOAD + ".csv?registry=acme"
    assert iana["links"]["xml"] == DOWNLOAD + ".xml"


def test_one_registry_and_the_errors(http: Any) -> None:
    assert http.get("/api/v1/registries/acme").json()["title"] == "ACME Corp. services"
    assert http.get("/api/v1/registries/iana").json()["kind"] == "upstream"
    missing = http.get("/api/v1/registries/acne")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found" and missing.json()["error"]["suggestions"] == ["acme", "iana"]
    assert http.get("/api/v1/registries/ACME").json()["name"] == "acme"  # any case, as every ?registry=
    for bad in ("ac_me", "a%20b", "x" * 60):
        answer = http.get(f"/api/v1/registries/{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["parameter"] in ("registry", "name")
    assert http.get("/api/v1/registries", params={"nope": "1"}).status_code == 400


def test_downloads_of_each_registry(http: Any, tmp_path: Path) -> None:
    from portreg import formats

    iana = http.get(DOWNLOAD + ".xml")
    assert iana.status_code == 200 and iana.content == CURRENT_XML.read_bytes()
    assert http.get(DOWNLOAD + ".xml", params={"registry": "iana"}).content == iana.content
    acme = http.get(DOWNLOAD + ".services", params={"registry": "acme"})
    assert acme.status_code == 200 and acme.content == formats.to_bytes(acme_registry(), "services")
    assert '"acme-acme2-services-' in acme.headers["etag"]
    again = http.get(DOWNLOAD + ".services", params={"registry": "acme"}, headers={"If-None-Match": acme.headers["etag"]})
    assert again.status_code == 304
    stack = http.get(DOWNLOAD + ".csv", params={"registry": "stack"})
    assert stack.status_code == 200
    lines = stack.text.splitlines()
    assert lines[1].startswith("acme-db,5432,tcp,") and len(lines) > 14000
    local = http.get(DOWNLOAD + ".services", params={"profile": "local"})
    assert local.status_code == 200 and "IANA's own are left out" in local.text
    assert "\nacme-db\t" in local.text and "\npostgresql\t" not in local.text
    old = http.get(DOWNLOAD + ".json", params={"registry": "stack", "version": "1"})
    assert old.status_code == 200 and "immutable" in old.headers["cache-control"] and "acme-db" not in old.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"registry": "nope"}, 404),
        ({"registry": "no_pe"}, 400),
        ({"registry": "acme", "version": "1"}, 404),
        ({"registry": "iana", "profile": "local"}, 400),
        ({"registry": "<script>"}, 400),
    ],
)
def test_bad_downloads_are_pages_not_500s(http: Any, params: dict[str, str], status: int) -> None:
    answer = http.get(DOWNLOAD + ".services", params=params)
    assert answer.status_code == status and "<script>" not in answer.text


def test_the_registry_page_offers_the_documents_of_what_it_shows(http: Any) -> None:
    import lxml.html

    def links(path: str) -> dict[str, str]:
        doc = lxml.html.fromstring(http.get(path).text)
        return {a.text_content(): a.get("href") for a in doc.cssselect("dd.formats a")}

    stacked = links("/")  # a store with a local registry shows the stack by default
    assert stacked["CSV"] == DOWNLOAD + ".csv?registry=stack"
    assert stacked["services(5), local only"] == DOWNLOAD + ".services?profile=local"
    assert links("/?registry=acme")["CSV"] == DOWNLOAD + ".csv?registry=acme"
    iana = links("/?registry=iana")
    assert iana["CSV"] == DOWNLOAD + ".csv" and iana["services(5), small"] == DOWNLOAD + ".services?profile=small"
    for href in (stacked["CSV"], stacked["services(5), local only"]):
        assert http.get(href).status_code == 200

