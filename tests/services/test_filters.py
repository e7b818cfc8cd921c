"""One RecordFilter, one meaning: in memory and in SQL, on SQLite and PostgreSQL, and the
same answers from /api/v1/records, /api/v1/search, the registry page and ``portreg search``."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.support.stores import BACKENDS, filled_store_url

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: Each filter alone, and a few together: every field, every kind of bound.
GRID: list[dict[str, Any]] = [
    {},
    {"transport": "tcp"},
    {"transport": "dccp"},
    {"range_class": "system"},
    {"range_class": "dynamic"},
    {"state": "reserved"},
    {"state": "unassigned"},
    {"person": "iesg"},
    {"person": "IESG"},
    {"person": "Jon_Postel"},
    {"person": "postel"},
    {"person": "Tom Lane"},
    {"person": "no such person anywhere"},
    {"year": "2005"},
    {"registered_after": "2005", "registered_before": "2005"},
    {"registered_after": "2005-08", "registered_before": "2005-08"},
    {"registered_after": "2010-06-15"},
    {"registered_before": "1999"},
    {"modified_after": "2020-01", "modified_before": "2021-12-31"},
    {"transport": "udp", "state": "assigned", "range_class": "user", "registered_after": "2008"},
    {"person": "iesg", "transport": "tcp", "modified_after": "2017"},
]


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> Iterator[Any]:
    from portreg.services import open_store

    with open_store(filled_store_url(request, tmp_path_factory, current_registry)) as opened:
        yield opened


@pytest.fixture(scope="module")
def hits(store: Any) -> list[Any]:
    from portreg.services.query import Hit

    return [Hit.of(s) for s in store.records()]


@pytest.fixture(scope="module")
def people(store: Any) -> dict[str, Any]:
    return {p.id: p for p in store.people()}


def _in_memory(where: Any, hits: list[Any], people: dict[str, Any]) -> list[int]:
    keep = where.matcher(people)
    return [h.id for h in hits if keep is None or keep(h)]


@pytest.mark.parametrize("fields", GRID, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_memory_and_sql_agree(store: Any, hits: list[Any], people: dict[str, Any], fields: dict[str, Any]) -> None:
    from portreg.services.filters import RecordFilter

    where = RecordFilter.parse(**fields)
    expected = _in_memory(where, hits, people)
    page = store.search(None, **where.sql(people), limit=20_000, version=None)
    assert [s.id for s in page.items] == expected
    assert page.total == len(expected)


def test_the_grid_tells_filters_apart(hits: list[Any], people: dict[str, Any]) -> None:
    """A grid whose filters all let everything through, or nothing, would prove nothing."""
    from portreg.services.filters import RecordFilter

    sizes = {tuple(f.items()): len(_in_memory(RecordFilter.parse(**f), hits, people)) for f in GRID}
    assert sizes[()] == len(hits)
    assert sum(0 < n < len(hits) for n in sizes.values()) >= len(GRID) - 3


def test_filters_mean_what_they_say(hits: list[Any], people: dict[str, Any]) -> None:
    from portreg.services.filters import RecordFilter

    by_id = {h.id: h for h in hits}
    in_2005 = _in_memory(RecordFilter.parse(registered_after="2005", registered_before="2005"), hits, people)
    assert in_2005 and all(by_id[i].record.registered.startswith("2005") for i in in_2005)
    assert in_2005 == _in_memory(RecordFilter.parse(year="2005"), hits, people)
    iesg = _in_memory(RecordFilter.parse(person="iesg"), hits, people)
    assert iesg == _in_memory(RecordFilter.parse(person="IESG"), hits, people)
    assert all("IESG" in by_id[i].record.person_ids() for i in iesg)
    tcp = _in_memory(RecordFilter.parse(transport="tcp"), hits, people)
    assert {by_id[i].record.transport for i in tcp} == {"tcp", None}


@pytest.mark.parametrize(
    "fields,parameter",
    [
        ({"transport": "icmp"}, "transport"),
        ({"range_class": "private"}, "range_class"),
        ({"registered_after": "2005-13"}, "registered_after"),
        ({"modified_before": "²⁰⁰⁵"}, "modified_before"),
        ({"year": "05"}, "year"),
    ],
)
def test_bad_filters_name_their_parameter(fields: dict[str, Any], parameter: str) -> None:
    from portreg.errors import InvalidQuery
    from portreg.services.filters import RecordFilter

    with pytest.raises(InvalidQuery) as caught:
        RecordFilter.parse(**fields)
    assert caught.value.parameter == parameter


# ------------------------------------------------------------------ the interfaces agree


@pytest.fixture(scope="module")
def client(store: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    with TestClient(create_app(store=store)) as test_client:
        yield test_client


def _ids(client: Any, path: str, **params: Any) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        response = client.get("/api/v1" + path, params={**params, "page": page, "page_size": 500})
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [r["id"] for r in body["items"]]
        if len(ids) >= body["total"]:
            return ids
        page += 1


API_GRID = [
    {"registered_after": "2005", "registered_before": "2005"},
    {"assignee": "iesg"},
    {"assignee": "postel", "transport": "udp"},
    {"year": "2011", "state": "assigned", "range": "user"},
    {"modified_after": "2019-05", "transport": "sctp"},
]


@pytest.mark.parametrize("params", API_GRID, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_records_and_search_filter_alike(client: Any, params: dict[str, Any]) -> None:
    """The filters cut /search's ranked answers and /records' answers down the same way."""
    passing = set(_ids(client, "/records", **params))
    assert passing
    for q in ("http", "sql", "trap"):
        assert set(_ids(client, "/search", q=q, **params)) == set(_ids(client, "/search", q=q)) & passing
        assert set(_ids(client, "/records", q=q, **params)) == set(_ids(client, "/records", q=q)) & passing


def test_the_issue_examples(client: Any) -> None:
    """Once 433 records against 0, and 9 against 0: the filters found nothing in /search."""
    in_2005 = {"registered_after": "2005", "registered_before": "2005"}
    assert len(_ids(client, "/records", **in_2005)) > 400
    assert set(_ids(client, "/search", q="http", **in_2005)) > set()
    assert set(_ids(client, "/records", q="http", assignee="iesg")) <= set(_ids(client, "/search", q="http", assignee="iesg"))


def test_a_bad_filter_is_a_400_naming_it(client: Any) -> None:
    for path in ("/records", "/search"):
        response = client.get("/api/v1" + path, params={"q": "http", "registered_after": "2005-02-30"})
        assert response.status_code == 400 and response.json()["error"]["parameter"] == "registered_after"


def test_the_page_and_the_cli_filter_alike(client: Any, store: Any, capsys: Any) -> None:
    from tests.support.cli import run

    from lxml import html as lxml_html

    filters = {"person": "iesg", "year": "2016"}
    expected = set(_ids(client, "/records", assignee=filters["person"], year=filters["year"]))
    assert len(expected) > 1
    names = sorted(r["name"] or "" for r in client.get(
        "/api/v1/records", params={"assignee": "iesg", "year": "2016", "page_size": 500}
    ).json()["items"])
    page = client.get("/", params={**filters, "page_size": "all"})
    assert page.status_code == 200
    rows = lxml_html.fromstring(page.text).cssselect("table.records tbody tr")
    assert sorted(" ".join(tr.findall("td")[0].text_content().split()) for tr in rows) == names
    code, out, err = run(capsys, "--db", store.url, "search", "--person", "iesg", "--year", "2016", "--json", "--limit", "10000")
    assert code == 0, err
    import json

    assert {r["id"] for r in json.loads(out)["records"]} == expected
