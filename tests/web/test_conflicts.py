"""``/api/v1/conflicts`` and ``/changes/conflicts.atom`` from a real ``portreg serve`` on loopback.

The store holds IANA's small BEFORE registry and local registry acme; the tests then
publish AFTER (IANA assigns acme-sync's port) from this process while the server runs,
resolve a conflict over the API as staff, and read the feed back with feedparser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.support.conflicts import ACME, AFTER, BEFORE
from tests.support.web import serving

feedparser = pytest.importorskip("feedparser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts, open_store
    from portreg.store import PortRange

    url = f"sqlite:///{tmp_path_factory.mktemp('conflicts') / 'store.db'}"
    tokens = {}
    with open_store(url) as store:
        store.import_registry(BEFORE, source="iana.xml")
        store.registries.create("acme", owns=(PortRange(20000, 20999),))
        store.scoped("acme").import_registry(ACME, source="acme.services")
        for role in ("staff", "requester"):
            account = accounts.create_account(store, email=f"{role}@example.org", name=role, roles={role})
            tokens[role] = accounts.new_token(store, account.id, name="tests").secret
    with serving(url) as (base, _):
        yield {"base": base, "url": url, "tokens": tokens}


def get(site: dict[str, Any], path: str, **options: Any) -> httpx.Response:
    return httpx.get(site["base"] + path, timeout=10, **options)


def post(site: dict[str, Any], path: str, body: Any, role: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {site['tokens'][role]}"} if role else {}
    return httpx.post(site["base"] + path, json=body, headers=headers, timeout=10)


def test_the_api_lists_the_conflicts_of_the_stack(site: dict[str, Any]) -> None:
    answer = get(site, "/api/v1/conflicts")
    assert answer.status_code == 200
    data = answer.json()
    assert data["counts"] == {"acme": {"open": 5, "resolved": 0}} and data["registry"] is None
    assert sorted(c["kind"] for c in data["conflicts"]) == ["name", "name", "outside", "outside", "port"]
    assert [c["id"] for c in data["conflicts"]] == sorted((c["id"] for c in data["conflicts"]), reverse=True)
    port = next(c for c in data["conflicts"] if c["kind"] == "port")
    assert port["message"] == "acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql"
    assert port["state"] == "open" and port["found_by"] == "import" and port["found_version"] == 2
    assert get(site, f"/api/v1/conflicts/{port['id']}").json() == port
    assert port["links"]["self"] == f"/api/v1/conflicts/{port['id']}"
    local = get(site, port["links"]["local_record"]).json()["record"]
    upstream = get(site, port["links"]["upstream_record"]).json()["record"]
    assert (local["source"], local["name"]) == ("acme", "acme-db")
    assert (upstream["source"], upstream["name"], upstream["port"]) == ("iana", "postgresql", "5432")
    assert len(get(site, "/api/v1/conflicts", params={"registry": "acme", "open": "true", "limit": 2}).json()["conflicts"]) == 2
    assert get(site, "/api/v1/conflicts", params={"registry": "stack"}).json()["counts"] == data["counts"]


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/api/v1/conflicts", {"registry": "Not A Name"}, 400, "registry"),
        ("/api/v1/conflicts", {"registry": "acne"}, 404, None),
        ("/api/v1/conflicts", {"open": "maybe"}, 400, "open"),
        ("/api/v1/conflicts", {"limit": "0"}, 400, "limit"),
        ("/api/v1/conflicts", {"limit": "9" * 40}, 400, "limit"),
        ("/api/v1/conflicts", {"colour": "red"}, 400, "colour"),
        ("/api/v1/conflicts/abc", {}, 400, "conflict_id"),
        ("/api/v1/conflicts/99999", {}, 404, None),
    ],
)
def test_bad_questions_are_4xx_naming_the_parameter(
    site: dict[str, Any], path: str, params: dict[str, str], status: int, parameter: str | None
) -> None:
    answer = get(site, path, params=params)
    assert answer.status_code == status, answer.text
    if parameter is not None:
        assert answer.json()["error"]["parameter"] == parameter


def test_a_sync_s_conflict_shows_and_staff_resolve_one(site: dict[str, Any]) -> None:
    from portreg.services import open_store

    with open_store(site["url"]) as store:
        store.import_registry(AFTER, source="https://iana.example/service-names-port-numbers.xml")
    found = get(site, "/api/v1/conflicts", params={"open": "true"}).json()["conflicts"]
    newest = found[0]
    assert (newest["kind"], newest["found_by"], newest["message"]) == (
        "port",
        "sync",
        "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc",
    )
    path = f"/api/v1/conflicts/{newest['id']}/resolve"
    assert post(site, path, {"reason": "moving"}).status_code == 401
    assert post(site, path, {"reason": "moving"}, "requester").status_code == 403
    refused = post(site, path, {"reason": "   "}, "staff")
    assert refused.status_code == 400 and refused.json()["error"]["parameter"] == "reason"
    done = post(site, path, {"reason": "acme-sync moves to 20101"}, "staff")
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["resolved_by"]) == ("resolved", "staff@example.org")
    assert post(site, path, {"reason": "again"}, "staff").status_code == 409
    counts = get(site, "/api/v1/conflicts").json()["counts"]
    assert counts == {"acme": {"open": 5, "resolved": 1}}


def test_the_feed_has_an_entry_per_conflict(site: dict[str, Any]) -> None:
    answer = get(site, "/changes/conflicts.atom")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.bozo_exception
    titles = [entry.title for entry in feed.entries]
    assert len(titles) == len(get(site, "/api/v1/conflicts").json()["conflicts"])
    assert "acme port: acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql" in titles
    resolved = [t for t in titles if t.startswith("Resolved: ")]
    assert resolved == ["Resolved: acme port: acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc"]
    assert all(entry.id.startswith(site["base"] + "/api/v1/conflicts/") for entry in feed.entries)
    same = feedparser.parse(get(site, "/changes/conflicts.atom", params={"registry": "acme"}).content)
    assert [e.id for e in same.entries] == [e.id for e in feed.entries]
    document = get(site, "/changes/conflicts.json").json()
    assert [item["title"] for item in document["items"]] == titles
    assert get(site, "/changes/conflicts.atom", params={"registry": "acne"}).status_code == 404
    assert get(site, "/changes/conflicts.atom", params={"registry": "<x>"}).status_code == 400
    assert get(site, "/changes/conflicts.rss").status_code == 404


def test_watching_a_registry_over_the_api(site: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {site['tokens']['requester']}"}
    made = httpx.post(
        site["base"] + "/api/v1/subscriptions", json={"kind": "registry", "key": "acme"}, headers=headers, timeout=10
    )
    assert made.status_code == 201 and made.json()["kind"] == "registry"
    unknown = httpx.post(
        site["base"] + "/api/v1/subscriptions", json={"kind": "registry", "key": "acne"}, headers=headers, timeout=10
    )
    assert unknown.status_code == 404


def test_the_pages_are_unchanged_without_local_registries(tmp_path: Path) -> None:
    """A store with IANA's registry alone: no conflicts, an empty feed, and nothing fails."""
    from fastapi.testclient import TestClient

    from portreg.services import open_store
    from portreg.web import create_app

    with open_store(f"sqlite:///{tmp_path / 'alone.db'}") as store:
        store.import_registry(BEFORE, source="iana.xml")
        with TestClient(create_app(store=store, log_key=tmp_path / "key.pem")) as client:
            assert client.get("/api/v1/conflicts").json()["conflicts"] == []
            assert feedparser.parse(client.get("/changes/conflicts.atom").content).entries == []
            assert client.get("/changes/1..1").status_code in (200, 404)  # the diff route still answers


def test_the_account_page_offers_to_watch_a_registry(tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from portreg.services import accounts, open_store, subscriptions
    from portreg.store import PortRange
    from portreg.web import create_app

    password = "correct horse battery staple"
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.import_registry(BEFORE, source="iana.xml")
        store.registries.create("acme", owns=(PortRange(20000, 20999),))
        ann = accounts.create_account(store, email="ann@example.org", name="Ann", password=password).id
        with TestClient(create_app(store=store, log_key=tmp_path / "key.pem"), raise_server_exceptions=False) as client:

            def token(page: str) -> str:
                found = re.search(r'name="csrftoken" value="([^"]+)"', page)
                assert found
                return found.group(1)

            signin = client.get("/account/signin").text
            client.post("/account/signin", data={"csrftoken": token(signin), "email": "ann@example.org", "password": password})
            offer = client.get("/account/subscriptions?kind=registry&key=acme")
            assert offer.status_code == 200 and "Mail me changes to the conflicts of registry acme" in offer.text
            followed = client.post("/account/subscriptions", data={"csrftoken": token(offer.text), "kind": "registry", "key": "acme"})
            assert "You will be mailed the conflicts of registry acme" in followed.text
            assert [(s.kind, s.key) for s in subscriptions.subscriptions(store, ann)] == [("registry", "acme")]
            refused = client.post("/account/subscriptions", data={"csrftoken": token(followed.text), "kind": "registry", "key": "acne"})
            assert refused.status_code == 200 and "Not followed: the store holds no registry &#39;acne&#39;" in refused.text


def test_the_conflicts_page(site: dict[str, Any]) -> None:
    page = get(site, "/conflicts")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql" in page.text
    counts = get(site, "/api/v1/conflicts").json()["counts"]["acme"]
    assert 'href="/changes/conflicts.atom"' in page.text
    assert f"({counts['open']} open, {counts['resolved']} resolved)" in page.text
    assert page.text.count("resolved by ") == counts["resolved"]
    still = get(site, "/conflicts", params={"registry": "acme", "open": "true"})
    assert still.status_code == 200 and "resolved by " not in still.text and "<strong>open</strong>" in still.text
    assert 'href="/changes/conflicts.atom?registry=acme"' in still.text
    assert get(site, "/conflicts", params={"registry": "acne"}).status_code == 404
    assert get(site, "/conflicts", params={"registry": "<b>"}).status_code == 400
    assert get(site, "/conflicts", params={"open": "maybe"}).status_code == 400


def test_names_are_escaped_on_the_page_and_in_the_feed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from portreg.model import Registry
    from portreg.services import open_store
    from portreg.store import PortRange
    from portreg.web import create_app
    from tests.support.conflicts import rec

    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.import_registry(BEFORE, source="iana.xml")
        store.registries.create("acme", owns=(PortRange(20000, 20999),))
        hostile = Registry(title="acme", records=(rec("x<script>alert(1)</script>", "5432", "tcp"),))
        store.scoped("acme").import_registry(hostile, source="acme")
        with TestClient(create_app(store=store, log_key=tmp_path / "key.pem")) as client:
            page = client.get("/conflicts").text
            assert "<script>alert" not in page and "x&lt;script&gt;alert(1)&lt;/script&gt; 5432/tcp" in page
            feed = feedparser.parse(client.get("/changes/conflicts.atom").content)
            assert not feed.bozo and feed.entries[0].title.startswith("acme ")


def test_port_and_service_pages_show_their_open_conflicts(site: dict[str, Any]) -> None:
    port = get(site, "/port/5432")
    assert port.status_code == 200 and "Conflicts with the upstream registry" in port.text
    assert "port: acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql" in port.text
    assert "outside: acme-db 5432/tcp is outside the ranges" in port.text
    named = get(site, "/service/acme-db")
    assert named.status_code == 200 and "upstream assigns 5432/tcp to postgresql" in named.text
    ssh = get(site, "/port/22")  # IANA's ssh: the name conflict with acme's ssh shows beside it too
    assert "the name ssh on 22/tcp" in ssh.text
    quiet = get(site, "/port/20000")  # dnp: no conflict
    assert quiet.status_code == 200 and "dnp" in quiet.text and "with the upstream registry" not in quiet.text
