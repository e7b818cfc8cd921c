"""The JSON API, in process, on a store holding the real 2024-03-18 registry.

Every operation, its shapes, its version stamp, and what it does with bad input: a 4xx
with a JSON body naming the parameter, never a 500.
"""

from __future__ import annotations

from tests.support.data import ROOT as ROOT_DIR

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.data import CURRENT_XML

httpx = pytest.importorskip("httpx")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


# ------------------------------------------------------------------ fixtures


def build_app(store: Any) -> Any:
    """The whole web app, as ``portreg serve`` runs it: the API must hold up among the pages."""
    from portreg.web import create_app

    return create_app(store=store)


@contextmanager
def filled_store(directory: Path, *more: Any, real: bool = True) -> Iterator[Any]:
    """A SQLite store in ``directory``: the 2024-03-18 registry as version 1 (unless
    ``real`` is false), then each registry of ``more`` as one more version."""
    from tests.support.web import real_store_file, sqlite_url

    from portreg.store import Store

    path = real_store_file(directory) if real else directory / "store.db"
    with Store.open(sqlite_url(path)) as store:
        for number, registry in enumerate(more, 2 if real else 1):
            store.import_registry(registry, source=f"test version {number}")
        yield store


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with filled_store(tmp_path_factory.mktemp("api")) as store:
        yield build_app(store)


@pytest.fixture(scope="module")
def client(api_app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(api_app, raise_server_exceptions=False) as test_client:
        yield test_client


def get(client: Any, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1" + path, params=params)
    assert response.status_code == status, (path, params, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def bad(client: Any, path: str, parameter: str, status: int = 400, **params: Any) -> dict[str, Any]:
    """A request that must fail with ``status`` and name ``parameter``."""
    body = get(client, path, status, **params)
    error = body["error"]
    assert error["parameter"] == parameter, body
    assert error["message"], body
    return error


def names(records: list[dict[str, Any]]) -> set[str | None]:
    return {r["name"] for r in records}


# ------------------------------------------------------------------ versions on every answer


def test_every_answer_names_its_version(client: Any) -> None:
    for path, params in [
        ("/ports/80", {}),
        ("/ports/6000-6010", {}),
        ("/services/http", {}),
        ("/records", {"q": "http"}),
        ("/search", {"q": "http"}),
        ("/people", {"q": "Postel"}),
        ("/stats", {}),
        ("/free", {}),
        ("/versions", {}),
    ]:
        response = client.get("/api/v1" + path, params=params)
        assert response.status_code == 200, path
        assert response.json()["registry"] == {"version": 1, "updated": "2024-03-18"}, path
        assert response.headers["x-registry-version"] == "1"
        assert response.headers["x-registry-updated"] == "2024-03-18"
        assert response.headers["access-control-allow-origin"] == "*"


def test_versions_lists_the_import(client: Any) -> None:
    body = get(client, "/versions")
    [only] = body["versions"]
    assert only["version"] == 1 and only["updated"] == "2024-03-18" and only["records"] == 14444
    assert only["source"] == str(CURRENT_XML)
    assert get(client, "/ports/80", version=1)["registry"]["version"] == 1
    error = bad(client, "/ports/80", "version", status=404, version=99)
    assert "versions" in error["message"]
    bad(client, "/ports/80", "version", version=0)
    bad(client, "/ports/80", "version", version="latest")


# ------------------------------------------------------------------ ports


def test_port_80_is_http_on_tcp_and_udp(client: Any) -> None:
    body = get(client, "/ports/80")
    assert body["port"] == 80 and body["range_class"] == "system"
    assert body["states"] == {"tcp": "assigned", "udp": "assigned", "sctp": "assigned", "dccp": "unassigned"}
    assert {"http", "www", "www-http"} <= names(body["records"])
    http_tcp = next(r for r in body["records"] if r["name"] == "http" and r["transport"] == "tcp")
    assert http_tcp["port"] == "80" and http_tcp["state"] == "assigned" and http_tcp["range_class"] == "system"
    assert http_tcp["links"]["self"] == f"/api/v1/records/{http_tcp['id']}"
    assert http_tcp["links"]["service"] == "/api/v1/services/http"
    assert any(ref["label"] == "RFC9110" for ref in http_tcp["references"])
    people = {p["id"] for p in body["people"]}
    assert set(http_tcp["assignee"]) <= people


def test_a_port_inside_a_range_finds_the_range(client: Any) -> None:
    body = get(client, "/ports/6010")
    x11 = [r for r in body["records"] if r["name"] == "x11"]
    assert x11 and all(r["port"] == "6000-6063" for r in x11)
    assert body["range_class"] == "user"
    assert body["states"]["tcp"] == "assigned"
    assert x11[0]["links"]["port"] == "/api/v1/ports/6000-6063"


def test_transport_narrows_a_port(client: Any) -> None:
    body = get(client, "/ports/80", transport="udp")
    assert body["states"] == {"udp": "assigned"}
    assert {r["transport"] for r in body["records"]} <= {"udp", None}
    bad(client, "/ports/80", "transport", transport="icmp")


def test_an_unlisted_port_is_unassigned_not_missing(client: Any) -> None:
    body = get(client, "/ports/60000")
    assert body["range_class"] == "dynamic"
    assert set(body["states"].values()) == {"unassigned"}
    assert body["records"] == [] and body["people"] == []


def test_repeated_lookups_answer_the_same_bytes(client: Any) -> None:
    first = client.get("/api/v1/ports/5432")
    second = client.get("/api/v1/ports/5432")
    assert first.content == second.content
    assert "postgresql" in names(first.json()["records"])


@pytest.mark.parametrize("port", ["-1", "70000", "65536", "abc", "80.5", "1e3", "99999999999999999999999"])
def test_bad_ports_are_400_naming_the_port(client: Any, port: str) -> None:
    error = bad(client, f"/ports/{port}", "port")
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith("port must be an integer from 0 to 65535, got ")


def test_port_edges(client: Any) -> None:
    assert get(client, "/ports/0")["range_class"] == "system"
    assert get(client, "/ports/65535")["range_class"] == "dynamic"
    error = bad(client, "/ports/70000", "port")
    assert error["message"] == "port must be an integer from 0 to 65535, got 70000"


def test_port_range(client: Any) -> None:
    body = get(client, "/ports/6000-6010")
    assert body["low"] == 6000 and body["high"] == 6010
    assert "x11" in names(body["records"])
    single = get(client, "/ports/161-162", transport="udp")
    assert {"snmp", "snmptrap"} <= names(single["records"])
    assert {r["transport"] for r in single["records"]} <= {"udp", None}
    error = bad(client, "/ports/6010-6000", "high")
    assert "at least" in error["message"]
    bad(client, "/ports/6000-70000", "high")


# ------------------------------------------------------------------ services


def test_service_names_ignore_case(client: Any) -> None:
    body = get(client, "/services/HTTP")
    assert body["name"] == "http"
    assert {"www", "www-http"} <= set(body["aliases"])
    assert {r["port"] for r in body["records"]} == {"80"}


def test_aliases_and_legacy_names_link(client: Any) -> None:
    www = get(client, "/services/www")
    assert www["preferred"] == "http"
    legacy = get(client, "/services/sql*net")
    assert legacy["preferred"] == "sql-net"
    assert "sql*net" in get(client, "/services/sql-net")["legacy"]


def test_unknown_service_is_404_with_suggestions(client: Any) -> None:
    error = bad(client, "/services/htpp", "name", status=404)
    assert error["code"] == "not_found"
    assert "http" in error["suggestions"]
    assert bad(client, "/services/zzzzzzzzzzzzzzzz", "name", status=404)["suggestions"] == []
    bad(client, "/services/" + "a" * 201, "name")


# ------------------------------------------------------------------ search


def test_records_search_like_the_registry_page(client: Any) -> None:
    body = get(client, "/records", q="162", page_size=500)
    assert body["page"] == 1 and body["page_size"] == 500
    shown = {(r["name"], r["port"]) for r in body["items"]}
    assert {("snmptrap", "162"), ("health-trap", "1162"), (None, "31621-31684")} <= shown
    inside = get(client, "/records", q="6010")
    assert "x11" in names(inside["items"])
    assert get(client, "/records")["total"] == 14444


def test_records_agree_with_the_page(client: Any) -> None:
    """The same parameters give the same rows as the registry page's table."""
    from portreg.services.table import TableData, TableQuery, select

    snap = client.app.state.registry_service.current()
    data = TableData(snap.hits, snap.index, snap.people)
    view, problems = TableQuery.from_params({"search": "trap", "transport": "udp", "sort": "-port", "page_size": "25"})
    assert not problems
    expected = [data.hits[i].id for i in select(data, view).rows]
    body = get(client, "/records", q="trap", transport="udp", sort="-port", page_size=25)
    assert [r["id"] for r in body["items"]] == expected


def test_sorting(client: Any) -> None:
    ports = [r["port_low"] for r in get(client, "/records", q="http", sort="port", page_size=100)["items"]]
    assert ports == sorted(p for p in ports if p is not None) + [None] * ports.count(None)
    newest = get(client, "/records", sort="-registered", page_size=5)["items"]
    assert newest[0]["registered"] >= newest[-1]["registered"]


def test_ranked_search(client: Any) -> None:
    body = get(client, "/search", q="postgresql")
    assert body["total"] >= 2 and body["items"][0]["name"] == "postgresql"
    bad(client, "/search", "q")
    assert "transport=udp" in get(client, "/search", q="trap", transport="udp", page_size=1)["links"]["next"]


def test_filters_combine(client: Any) -> None:
    body = get(client, "/records", transport="udp", state="reserved", range="system", page_size=500)
    assert body["total"] > 0
    for record in body["items"]:
        assert record["transport"] in ("udp", None)
        assert record["state"] == "reserved"
        assert record["range_class"] == "system"
    dated = get(client, "/records", registered_after="2023-01-01", page_size=100)
    assert dated["total"] > 0
    assert all(r["registered"] and r["registered"] >= "2023-01-01" for r in dated["items"])
    postel = get(client, "/records", assignee="Jon_Postel", page_size=200)
    assert postel["total"] > 0
    assert all("Jon_Postel" in r["assignee"] + r["contact"] for r in postel["items"])


def test_pagination_keeps_every_parameter(client: Any) -> None:
    first = get(client, "/records", transport="tcp", page_size=20)
    assert first["total"] > 40 and len(first["items"]) == 20
    links = first["links"]
    assert links["prev"] is None
    assert links["next"].startswith("/api/v1/records?")
    assert "transport=tcp" in links["next"] and "page_size=20" in links["next"] and "page=2" in links["next"]
    second = client.get(links["next"]).json()
    assert second["page"] == 2
    assert {r["id"] for r in second["items"]}.isdisjoint(r["id"] for r in first["items"])
    last_page = -(-first["total"] // 20)
    last = get(client, "/records", transport="tcp", page_size=20, page=last_page)
    assert last["links"]["next"] is None and last["items"]
    beyond = get(client, "/records", transport="tcp", page_size=20, page=last_page + 5)
    assert beyond["items"] == [] and beyond["links"]["next"] is None


INJECTIONS = ['"', "*", "NEAR(", "http OR", "OR", "AND NOT", "'; DROP TABLE records; --", 'a"b', "(", ")", "^", "-",
              "%", "_", "x" * 200, "\\", "NEAR(http ftp, 2)", "http*", "{", "col:val", "\u0000", "🔥", "1 OR 1=1"]


@pytest.mark.parametrize("path", ["/records", "/search"])
@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_just_text(client: Any, path: str, text: str) -> None:
    body = get(client, path, q=text)
    assert body["total"] >= 0
    assert get(client, "/stats")["records"] == 14444  # and nothing was dropped


def test_search_syntax_is_not_interpreted(client: Any) -> None:
    """FTS operators are words: "http OR ftp" is not every http record plus every ftp one."""
    either = get(client, "/search", q="http OR ftp")["total"]
    assert either < get(client, "/search", q="http")["total"]
    assert get(client, "/records", q="%")["total"] == get(client, "/records", q="%")["total"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page_size": 501}, "page_size"),
        ({"page_size": 10**9}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": -3}, "page"),
        ({"page": "two"}, "page"),
        ({"transport": "tcp6"}, "transport"),
        ({"state": "taken"}, "state"),
        ({"range": "private"}, "range"),
        ({"registered_after": "yesterday"}, "registered_after"),
        ({"registered_after": "2024-13-01"}, "registered_after"),
        ({"modified_before": "2024-02-30"}, "modified_before"),
        ({"q": "x" * 201}, "q"),
        ({"sort": "colour"}, "sort"),
        ({"year": "05"}, "year"),
        ({"registerd_after": "2020"}, "registerd_after"),
    ],
)
def test_bad_search_parameters_are_named(client: Any, params: dict[str, Any], parameter: str) -> None:
    error = bad(client, "/records", parameter, **params)
    assert parameter in error["message"]


def test_page_size_cap_is_explained(client: Any) -> None:
    error = bad(client, "/records", "page_size", page_size=10000)
    assert error["message"] == "page_size must be an integer from 1 to 500, got 10000"


# ------------------------------------------------------------------ records, people


def test_record_by_id(client: Any) -> None:
    found = get(client, "/search", q="postgresql")["items"]
    record = next(r for r in found if r["name"] == "postgresql")
    body = get(client, f"/records/{record['id']}")
    assert body["record"] == record
    assert {p["id"] for p in body["people"]} >= set(record["assignee"])
    bad(client, "/records/0", "record_id")
    bad(client, "/records/abc", "record_id")
    bad(client, f"/records/{2**40}", "record_id")
    assert bad(client, "/records/2000000000", "record_id", status=404)["code"] == "not_found"


def test_people(client: Any) -> None:
    body = get(client, "/people", q="Postel")
    postel = next(p for p in body["items"] if p["id"] == "Jon_Postel")
    assert postel["records"] and postel["links"]["self"] == "/api/v1/people/Jon_Postel"
    one = get(client, "/people/Jon_Postel")
    assert one["person"]["name"] == "Jon Postel"
    assert sorted(r["id"] for r in one["records"]) == sorted(postel["records"])
    assert all("Jon_Postel" in r["assignee"] + r["contact"] or r["notes"] or r["description"] for r in one["records"])
    error = bad(client, "/people/Jon_Postle", "person_id", status=404)
    assert "Jon_Postel" in error["suggestions"]
    bad(client, "/people", "q")
    bad(client, "/people", "limit", q="a", limit=501)


# ------------------------------------------------------------------ stats, free ports


def test_stats(client: Any) -> None:
    body = get(client, "/stats")
    assert body["records"] == 14444 and body["people"] == 5554
    assert sum(body["by_state"].values()) == 14444
    assert body["by_range_class"]["system"] > 0


def test_free_ports_are_free(client: Any) -> None:
    body = get(client, "/free", proto="tcp,udp", range="user", count=5)
    assert body["transports"] == ["tcp", "udp"] and body["range"] == "user" and len(body["ports"]) == 5
    for port in body["ports"]:
        assert 1024 <= port <= 49151
        states = get(client, f"/ports/{port}")["states"]
        assert states["tcp"] == states["udp"] == "unassigned"
    service = client.app.state.registry_service
    for proto, range_class in (("tcp,udp", "user"), ("sctp", "system"), ("dccp,tcp", "user")):
        cli = service.query.free(transports=proto.split(","), range_class=range_class, count=50)
        assert get(client, "/free", proto=proto, range=range_class, count=50)["ports"] == cli  # as portreg free says
    bad(client, "/free", "proto", proto="tcp,icmp")
    bad(client, "/free", "proto", proto=",")
    bad(client, "/free", "count", count=0)
    bad(client, "/free", "count", count=1001)
    bad(client, "/free", "range", range="dynamic")


# ------------------------------------------------------------------ documents, HTTP


def test_openapi_document(client: Any) -> None:
    doc = get(client, "/openapi.json")
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ["/api/v1/ports/{port}", "/api/v1/ports/{low}-{high}", "/api/v1/services/{name}", "/api/v1/records", "/api/v1/search",
                 "/api/v1/records/{record_id}", "/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/stats",
                 "/api/v1/free", "/api/v1/versions"]:
        assert path in paths, path
        responses = paths[path]["get"]["responses"]
        assert "422" not in responses and "400" in responses
    port = next(p for p in paths["/api/v1/ports/{port}"]["get"]["parameters"] if p["name"] == "port")
    assert port["schema"]["minimum"] == 0 and port["schema"]["maximum"] == 65535
    assert not any(p.startswith("/api/v1/docs") or "openapi" in p for p in paths)


def test_docs_page_is_self_contained(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert "/api/v1/ports/{port}" in page and "page_size" in page and "RecordOut" in page


def test_the_api_root_says_where_it_is_described(client: Any) -> None:
    body = get(client, "/")
    assert body["docs"] == "/api/v1/docs" and body["openapi"] == "/api/v1/openapi.json"
    assert body["operations"]["/ports/{port}"] == "Everything about one port"
    assert client.get("/api/v1", follow_redirects=False).headers["location"].endswith("/api/v1/")


def test_errors_outside_routes_are_json(client: Any) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.post("/api/v1/ports/80")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_cors_preflight(client: Any) -> None:
    response = client.options(
        "/api/v1/ports/80", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


def test_http_validators_head_and_gzip(client: Any) -> None:
    first = client.get("/api/v1/ports/80")
    etag = first.headers["etag"]
    assert first.headers["last-modified"]
    again = client.get("/api/v1/ports/80", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    head = client.head("/api/v1/ports/80")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    zipped = client.get("/api/v1/ports/80", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.json() == first.json()
    # The slow path (a query string) gives the same bytes as the fast one.
    assert client.get("/api/v1/ports/80", params={"version": 1}).content == first.content


# ------------------------------------------------------------------ history, versions side by side, empty store


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> Iterator[tuple[Any, Any]]:
    """A store with the real registry as version 1 and, as version 2, the same with the
    http/tcp description changed and the snmptrap/udp record gone."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from portreg.model import Text

    records = []
    for record in current_registry.records:
        if record.name == "http" and record.transport == "tcp":
            record = replace(record, description=Text.of("World Wide Web HTTP, changed"))
        if record.name == "snmptrap" and record.transport == "udp":
            continue
        records.append(record)
    changed = replace(current_registry, records=tuple(records), updated="2024-03-19")
    with filled_store(tmp_path_factory.mktemp("versions"), changed) as store:
        with TestClient(build_app(store), raise_server_exceptions=False) as test_client:
            yield test_client, store


def test_older_versions_stay_readable(two_versions: tuple[Any, Any]) -> None:
    client, _ = two_versions
    assert [v["version"] for v in get(client, "/versions")["versions"]] == [1, 2]
    now = get(client, "/ports/80", transport="tcp")
    then = get(client, "/ports/80", transport="tcp", version=1)
    assert now["registry"] == {"version": 2, "updated": "2024-03-19"}
    assert then["registry"] == {"version": 1, "updated": "2024-03-18"}
    http_now = next(r for r in now["records"] if r["name"] == "http")
    http_then = next(r for r in then["records"] if r["name"] == "http")
    assert http_now["id"] == http_then["id"]  # one record, two states
    assert http_now["description"] == "World Wide Web HTTP, changed"
    assert http_then["description"] == "World Wide Web HTTP"
    assert get(client, "/ports/162", transport="udp")["states"] == {"udp": "unassigned"}
    assert get(client, "/ports/162", transport="udp", version=1)["states"] == {"udp": "assigned"}
    assert get(client, "/stats", version=1)["records"] == get(client, "/stats")["records"] + 1
    gone = next(r for r in get(client, "/records", q="snmptrap", version=1)["items"] if r["transport"] == "udp")
    error = bad(client, f"/records/{gone['id']}", "record_id", status=404)
    assert error["message"].endswith("in version 2")
    assert get(client, f"/records/{gone['id']}", version=1)["record"] == gone


def test_a_new_version_replaces_cached_answers(tmp_path: Any, current_registry: Any) -> None:
    """Answers are cached per version: publishing one makes the next lookups read it."""
    import time
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from portreg.model import Text

    records = tuple(
        replace(r, description=Text.of("PostgreSQL, version 2")) if r.name == "postgresql" else r
        for r in current_registry.records
    )
    with filled_store(tmp_path) as store, TestClient(build_app(store)) as live:
        before = live.get("/api/v1/ports/5432")
        assert before.headers["x-registry-version"] == "1"
        store.import_registry(replace(current_registry, records=records), source="test version 2")
        time.sleep(live.app.state.registry_service._check_every + 0.1)  # the server looks once a second
        after = live.get("/api/v1/ports/5432")
        assert after.headers["x-registry-version"] == "2" and after.headers["etag"] != before.headers["etag"]
        assert {r["description"] for r in after.json()["records"]} == {"PostgreSQL, version 2"}
        assert live.get("/api/v1/ports/5432", params={"version": 1}).content == before.content


def test_record_history(two_versions: tuple[Any, Any]) -> None:
    client, _ = two_versions
    http = next(r for r in get(client, "/services/http")["records"] if r["transport"] == "tcp")
    body = get(client, f"/records/{http['id']}/history")
    assert [(h["first"], h["last"]) for h in body["history"]] == [(1, 1), (2, None)]
    assert body["history"][-1]["record"] == http
    assert bad(client, "/records/2000000000/history", "record_id", status=404)["code"] == "not_found"


def test_an_empty_store_says_how_to_fill_it(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    with filled_store(tmp_path, real=False) as store, TestClient(build_app(store), raise_server_exceptions=False) as empty:
        for path in ["/ports/80", "/ports/80?transport=tcp", "/services/http", "/records", "/search?q=x",
                     "/people?q=x", "/stats", "/free", "/versions", "/records/1"]:
            response = empty.get("/api/v1" + path)
            assert response.status_code == 503, path
            assert "portreg sync" in response.json()["error"]["message"]


def test_hostile_text_is_data(tmp_path: Any) -> None:
    """A record full of markup comes back as the same text, in JSON that no browser sniffs as HTML."""
    from tests.support.web import HOSTILE, hostile_registry
    from fastapi.testclient import TestClient

    with filled_store(tmp_path, hostile_registry(), real=False) as store, TestClient(build_app(store)) as hostile:
        response = hostile.get("/api/v1/ports/4242")
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        [record] = response.json()["records"]
        assert record["description"] == HOSTILE
        assert response.json()["people"][0]["id"] == "Mallory<x>"
        assert hostile.get(record["links"]["self"]).json()["record"] == record
        assert hostile.get("/api/v1/people/Mallory%3Cx%3E").status_code == 200


# ------------------------------------------------------------------ the documentation's examples


def documented_requests() -> list[tuple[str, int]]:
    """Each ``GET /api/v1/... STATUS`` of docs/api.md (the status may sit on the next line)."""
    lines = (ROOT_DIR / "docs" / "api.md").read_text().splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("GET /api/v1/"):
            words = line.split()
            status = words[2] if len(words) > 2 else lines[i + 1].split()[0]
            found.append((words[1], int(status)))
    return found


def test_the_documented_examples_answer_as_documented(client: Any) -> None:
    examples = documented_requests()
    assert len(examples) >= 20
    http = next(r for r in get(client, "/services/http")["records"] if r["transport"] == "tcp")
    for path, status in examples:
        response = client.get(path.replace("{id}", str(http["id"])))
        assert response.status_code == status, (path, response.text[:300])


# ------------------------------------------------------------------ the same API on PostgreSQL


@pytest.fixture(scope="module")
def pg_client(postgres_server: Any, current_registry: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store

    with Store.open(postgres_server.create_database()) as store:
        store.import_registry(current_registry, source=str(CURRENT_XML))
        with TestClient(build_app(store), raise_server_exceptions=False) as test_client:
            yield test_client


@pytest.mark.slow
def test_the_api_answers_the_same_on_postgresql(pg_client: Any, client: Any) -> None:
    """Full-text search, people and counts come from the database: both must agree."""
    for path, params in [
        ("/ports/6010", {}),
        ("/services/www", {}),
        ("/records", {"q": "162", "page_size": 500}),
        ("/people", {"q": "Postel"}),
        ("/people/Jon_Postel", {}),
        ("/stats", {}),
        ("/free", {"count": 20}),
    ]:
        on_pg, on_sqlite = get(pg_client, path, **params), get(client, path, **params)
        assert _without_ids(on_pg) == _without_ids(on_sqlite), path
    for params in ({"q": "postgresql"}, {"q": "trap", "transport": "udp"}, {"q": "kerberos", "state": "assigned"}):
        # The same matches in the same order: the ranking is the service's, not each database's.
        found = [get(c, "/search", page_size=500, **params) for c in (pg_client, client)]
        assert found[0]["total"] == found[1]["total"] > 0, params
        keys = [[(r["name"], r["port"], r["transport"]) for r in f["items"]] for f in found]
        assert keys[0] == keys[1], params
    for text in INJECTIONS:
        assert get(pg_client, "/search", q=text)["total"] >= 0
    bad(pg_client, "/ports/70000", "port")


def _without_ids(value: Any) -> Any:
    """The same answer with store ids left out (each database numbers records itself)."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "self", "records") or not _is_ids(v)}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _is_ids(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.startswith("/api/v1/records/")) or (
        isinstance(value, list) and all(isinstance(v, int) for v in value)
    )


def test_a_person_id_in_another_case_redirects_as_the_page_does(client: Any) -> None:
    api = client.get("/api/v1/people/jon_postel", follow_redirects=False)
    page = client.get("/person/jon_postel", follow_redirects=False)
    assert api.status_code == page.status_code == 301
    assert api.headers["location"] == "/api/v1/people/Jon_Postel"
    assert get(client, "/people/jon_postel")["person"]["id"] == "Jon_Postel"
    missing = client.get("/api/v1/people/Jon_Postal").json()["error"]
    assert "Jon_Postel" in missing["suggestions"]
