"""``/changes``, its Atom and JSON feeds, and the watches: in process, on a small real history.

Four versions cut from the real registry: a record's description changes in the second,
records are added in each, one is removed in the fourth; the feeds are parsed back with
feedparser (a strict, independent reader of Atom) and every feed answers 304 to its ETag.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from portreg.model import Registry, Text
from portreg.store import Store

feedparser = pytest.importorskip("feedparser")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def history(registry: Registry) -> list[Registry]:
    base = dataclasses.replace(registry, records=registry.records[:60], people=registry.people[:30])
    out = []
    for i in range(4):
        records = list(base.records[: 40 + i])
        if i >= 1:
            records[5] = dataclasses.replace(records[5], description=Text.of("Changed in version 2"))
        if i >= 3:
            del records[10]
        out.append(dataclasses.replace(base, records=tuple(records), updated=f"2024-0{i + 1}-15"))
    return out


@pytest.fixture(scope="module")
def versions(current_registry: Registry) -> list[Registry]:
    return history(current_registry)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, versions: list[Registry]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    directory = tmp_path_factory.mktemp("feeds")
    with Store.open(f"sqlite:///{directory / 'store.db'}") as store:
        for i, registry in enumerate(versions):
            store.import_registry(registry, source=f"v{i + 1}.xml", actor="tester")
        with TestClient(create_app(store=store, log_key=directory / "key.pem"), raise_server_exceptions=False) as test_client:
            yield test_client


def test_the_changes_page_lists_versions_newest_first_with_diff_links(client: Any, versions: list[Registry]) -> None:
    page = client.get("/changes")
    assert page.status_code == 200
    text = page.text
    assert text.index("Version 4") < text.index("Version 3") < text.index("Version 2") < text.index("Version 1")
    assert 'href="/changes/3..4"' in text and 'href="/changes/1..2"' in text
    changed = versions[1].records[5]
    assert f"{changed.name} {changed.port}/{changed.transport}" in text and "description" in text
    assert 'href="/changes"' in client.get("/").text  # the registry page links here


def test_since_keeps_versions_published_on_or_after_it(client: Any) -> None:
    text = client.get("/changes", params={"since": "2024-03"}).text
    assert "Version 4" in text and "Version 3" in text and "Version 2" not in text
    feed = feedparser.parse(client.get("/changes.atom", params={"since": "2024-03-15"}).content)
    assert [e.title.split(":")[0] for e in feed.entries] == ["Version 4 (2024-04-15)", "Version 3 (2024-03-15)"]


def test_paging_past_the_end_is_empty_not_an_error(client: Any) -> None:
    page = client.get("/changes", params={"page": "9"})
    assert page.status_code == 200 and "No version" in page.text


@pytest.mark.parametrize("query", [{"since": "2024-13"}, {"since": "yesterday"}, {"page": "0"}, {"page": "²"}])
def test_bad_parameters_are_400_pages(client: Any, query: dict[str, str]) -> None:
    assert client.get("/changes", params=query).status_code == 400
    if "since" in query:
        assert client.get("/changes.atom", params=query).status_code == 400


def test_the_atom_feed_is_valid_and_links_each_diff(client: Any) -> None:
    response = client.get("/changes.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "portreg: changes to the registry"
    assert [e.link for e in feed.entries] == [
        "http://testserver/changes/3..4",
        "http://testserver/changes/2..3",
        "http://testserver/changes/1..2",
        "http://testserver/changes?since=2024-01-15",
    ]
    assert "1 added, 1 removed" in feed.entries[0].title
    assert feed.entries[2].summary.startswith("1 added, 1 changed.")
    assert len({e.id for e in feed.entries}) == 4


def test_the_json_feed_follows_json_feed_1_1(client: Any) -> None:
    response = client.get("/changes.json")
    assert response.headers["content-type"].startswith("application/feed+json")
    body = response.json()
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert body["feed_url"] == "http://testserver/changes.json"
    items = body["items"]
    assert [item["url"] for item in items][:3] == [f"http://testserver/changes/{n - 1}..{n}" for n in (4, 3, 2)]
    for item in items:
        assert {"id", "url", "title", "content_text", "date_published"} <= item.keys()
    kinds = {c["kind"] for c in items[0]["_portreg"]["changes"]}
    assert kinds == {"added", "removed"}


def test_a_port_feed_has_only_the_versions_that_touched_it(client: Any, versions: list[Registry]) -> None:
    changed = versions[1].records[5]
    feed = feedparser.parse(client.get(f"/port/{changed.port}/changes.atom").content)
    assert not feed.bozo
    assert [e.link.rsplit("/", 1)[-1] for e in feed.entries] == ["1..2", "changes?since=2024-01-15"]
    assert all(str(changed.port) in e.summary for e in feed.entries)
    removed = versions[2].records[10]
    assert removed.port is not None
    body = client.get(f"/port/{removed.port.low}/changes.json").json()
    assert body["items"][0]["_portreg"]["changes"][0]["kind"] == "removed"


def test_range_service_and_person_feeds(client: Any, versions: list[Registry]) -> None:
    added = versions[3].records[-1]
    assert added.port is not None and added.name
    span = f"{added.port.low}-{added.port.low + 1}"
    body = client.get(f"/port/{span}/changes.json").json()
    assert body["title"] == f"portreg: changes to ports {span}"
    assert body["items"][0]["_portreg"]["version"] == 4
    body = client.get(f"/service/{added.name}/changes.json").json()
    assert [i["_portreg"]["version"] for i in body["items"]] == [4]
    person = next(iter(versions[1].records[5].assignees), None) or versions[0].people[0].id
    feed = feedparser.parse(client.get(f"/person/{person}/changes.atom").content)
    assert not feed.bozo and feed.entries


@pytest.mark.parametrize(
    "path", ["/changes.atom", "/changes.json", "/port/2/changes.atom", "/port/1-10/changes.json", "/service/ftp/changes.atom"]
)
def test_every_feed_answers_304_to_its_etag(client: Any, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200 and first.headers.get("etag")
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_wide_watch_lists_a_bounded_first_version(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from portreg.services import feeds

    monkeypatch.setattr(feeds, "LISTED", 10)  # a store's first version holds 14,000 records, this one 40
    body = client.get("/port/0-65535/changes.json").json()
    first = body["items"][-1]
    assert first["_portreg"]["version"] == 1 and len(first["_portreg"]["changes"]) == 10
    assert "- … and 30 more" in first["content_text"]


@pytest.mark.parametrize(
    "path", ["/service/%01x/changes.atom", "/person/a%0Ab/changes.json", "/port/70000/changes.atom", "/port/9-1/changes.json", "/port/x/changes.atom", "/changes.rss", "/port/80/changes.rss"]
)
def test_bad_watches_are_4xx(client: Any, path: str) -> None:
    assert client.get(path).status_code in (400, 404)


def test_port_service_and_person_pages_show_their_timeline(client: Any, versions: list[Registry]) -> None:
    changed = versions[1].records[5]
    page = client.get(f"/port/{changed.port}").text
    assert f"Changes to port {changed.port}" in page
    assert 'href="/changes/1..2"' in page and f'href="/port/{changed.port}/changes.atom"' in page
    page = client.get(f"/service/{changed.name}").text
    assert f"Changes to service {changed.name}" in page and 'href="/changes/1..2"' in page
    assert 'href="/changes/2" title="What version 2 changed"' in page  # the record card's own history
    step = client.get("/changes/2", follow_redirects=False)  # to the diff against its registry's version before
    assert step.status_code == 302 and step.headers["location"] == "/changes/1..2"
    person = versions[0].people[0].id
    page = client.get(f"/person/{person}").text
    assert f"Changes to person {person}" in page


def test_a_feed_of_an_empty_store_is_a_503_saying_how_to_fill_it(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    with Store.open(f"sqlite:///{tmp_path / 'empty.db'}") as store:
        client = TestClient(create_app(store=store, log_key=tmp_path / "key.pem"), raise_server_exceptions=False)
        assert client.get("/changes.atom").status_code == 503
        json.dumps(client.get("/changes").status_code)
