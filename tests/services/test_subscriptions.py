"""Mail subscriptions: who follows what, and the outbox after a new version (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from portreg.errors import InvalidQuery, NotFound
from portreg.model import Registry, Text
from portreg.services import accounts, mail, subscriptions
from portreg.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def versions(registry: Registry) -> list[Registry]:
    """Two versions: the second changes record 5's description and adds record 40."""
    base = dataclasses.replace(registry, records=registry.records[:41], people=registry.people[:30])
    first = dataclasses.replace(base, records=base.records[:40], updated="2024-01-01")
    records = list(base.records)
    records[5] = dataclasses.replace(records[5], description=Text.of("Changed"))
    return [first, dataclasses.replace(base, records=tuple(records), updated="2024-02-01")]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def _account(store: Store, email: str) -> int:
    return accounts.create_account(store, email=email, name=email.split("@")[0]).id


def test_a_new_version_mails_each_subscriber_whose_watch_it_touched_once(store: Store, current_registry: Registry) -> None:
    first, second = versions(current_registry)
    changed, added = second.records[5], second.records[40]
    assert changed.port is not None and changed.name and added.port is not None
    store.import_registry(first, source="v1")
    ann, bob, cat, dan, eve = (_account(store, f"{n}@example.org") for n in ("ann", "bob", "cat", "dan", "eve"))
    subscriptions.subscribe(store, ann, "port", str(changed.port.low))
    subscriptions.subscribe(store, bob, "service", changed.name.upper())  # names compare without case
    subscriptions.subscribe(store, cat, "all")
    subscriptions.subscribe(store, dan, "port", "65000-65100")  # untouched
    subscriptions.subscribe(store, eve, "range", f"{added.port.low}-{added.port.low + 5}")
    assert subscriptions.notify(store) == 0  # the first run starts from now: no mail about the past
    accounts.disable_account(store, eve)
    store.import_registry(second, source="v2")
    assert subscriptions.notify(store, base_url="https://ports.example") == 3
    sent = {entry.recipients[0]: entry for entry in mail.outbox(store)}
    assert set(sent) == {"ann@example.org", "bob@example.org", "cat@example.org"}
    assert "https://ports.example/changes/1..2" in sent["ann@example.org"].body
    assert f"{changed.name}" in sent["ann@example.org"].body and "description" in sent["ann@example.org"].body
    assert str(added.port) not in sent["ann@example.org"].body
    assert str(added.port) in sent["cat@example.org"].body
    assert subscriptions.notify(store) == 0  # announced once
    assert len(mail.outbox(store)) == 3


def test_subscribing_is_idempotent_checked_and_undone(store: Store) -> None:
    ann = _account(store, "ann@example.org")
    one = subscriptions.subscribe(store, ann, "port", "80-80")
    assert (one.kind, one.key) == ("port", "80")
    assert subscriptions.subscribe(store, ann, "port", "80") == one
    ranged = subscriptions.subscribe(store, ann, "port", "6000-6063")
    assert ranged.kind == "range"
    for kind, key in (("port", "70000"), ("port", "x"), ("planet", "mars"), ("service", "")):
        with pytest.raises(InvalidQuery):
            subscriptions.subscribe(store, ann, kind, key)
    subscriptions.unsubscribe(store, ann, one.id)
    assert [s.id for s in subscriptions.subscriptions(store, ann)] == [ranged.id]
    with pytest.raises(NotFound):
        subscriptions.unsubscribe(store, ann, one.id)
    other = _account(store, "bob@example.org")
    with pytest.raises(NotFound):  # nobody removes someone else's
        subscriptions.unsubscribe(store, other, ranged.id)


def test_the_api_needs_an_account_and_follows_its_owner(tmp_path: Any, current_registry: Registry) -> None:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.import_registry(versions(current_registry)[0], source="v1")
        ann = _account(store, "ann@example.org")
        token = accounts.new_token(store, ann, name="test").secret
        client = TestClient(create_app(store=store, log_key=tmp_path / "key.pem"), raise_server_exceptions=False)
        assert client.get("/api/v1/subscriptions").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        made = client.post("/api/v1/subscriptions", json={"kind": "port", "key": "5432"}, headers=auth)
        assert made.status_code == 201, made.text
        bad = client.post("/api/v1/subscriptions", json={"kind": "port", "key": "99999"}, headers=auth)
        assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "key"
        listed = client.get("/api/v1/subscriptions", headers=auth).json()["subscriptions"]
        assert [(s["kind"], s["key"]) for s in listed] == [("port", "5432")]
        assert client.delete(f"/api/v1/subscriptions/{made.json()['id']}", headers=auth).status_code == 204
        assert client.delete(f"/api/v1/subscriptions/{made.json()['id']}", headers=auth).status_code == 404
        assert client.get("/api/v1/subscriptions", headers=auth).json()["subscriptions"] == []


def test_the_pages_offer_mail_and_the_account_page_follows_and_unfollows(tmp_path: Any, current_registry: Registry) -> None:
    import re

    from fastapi.testclient import TestClient

    from portreg.web import create_app

    password = "correct horse battery staple"
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.import_registry(versions(current_registry)[0], source="v1")
        accounts.create_account(store, email="ann@example.org", name="Ann", password=password)
        client = TestClient(create_app(store=store, log_key=tmp_path / "key.pem"), raise_server_exceptions=False)
        port_page = client.get("/port/5").text
        assert 'href="/account/subscriptions?kind=port&amp;key=5"' in port_page
        offer = client.get("/account/subscriptions?kind=port&key=5", follow_redirects=False)
        assert offer.status_code == 303 and offer.headers["location"].startswith("/account/signin")

        def token(page: str) -> str:
            found = re.search(r'name="csrftoken" value="([^"]+)"', page)
            assert found
            return found.group(1)

        signin = client.get("/account/signin").text
        done = client.post(
            "/account/signin", data={"csrftoken": token(signin), "email": "ann@example.org", "password": password}, follow_redirects=False
        )
        assert done.status_code == 303
        offer = client.get("/account/subscriptions?kind=port&key=5")
        assert offer.status_code == 200 and offer.headers["cache-control"] == "no-store"
        assert "Mail me changes to port 5" in offer.text
        followed = client.post("/account/subscriptions", data={"csrftoken": token(offer.text), "kind": "port", "key": "5"})
        assert "You will be mailed changes to port 5" in followed.text and "port 5" in followed.text
        ann = accounts.find_account(store, "ann@example.org").id
        [subscription] = subscriptions.subscriptions(store, ann)
        forged = client.post(f"/account/subscriptions/{subscription.id}/delete", data={"csrftoken": "forged"}, follow_redirects=False)
        assert forged.status_code in (400, 403)
        page = client.post(f"/account/subscriptions/{subscription.id}/delete", data={"csrftoken": token(followed.text)})
        assert "Unsubscribed." in page.text
        assert subscriptions.subscriptions(store, ann) == []
