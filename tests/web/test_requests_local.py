"""Requests to a local registry over real HTTP: ``"registry": "acme"`` in the body, its rules at
``/api/v1/registries/acme/rules``, on a real ``portreg serve`` on loopback with real tokens."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from tests.support.web import serving, sqlite_url
from tests.support.workflow import ACCOUNTS, template

API = "/api/v1"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small: Any) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts
    from portreg.services.workflow import local
    from portreg.store import PortRange, Store

    url = sqlite_url(tmp_path_factory.mktemp("requests-local") / "store.db")
    tokens = {}
    with Store.open(url) as store:
        store.import_registry(small, source="small")
        store.registries.create("acme", title="ACME Corp.", owns=(PortRange(20000, 20999),))
        local.add_exception(store, "acme", 1433, "tcp", "the SQL gateway", actor="ops")
        people = sorted(ACCOUNTS.items(), key=lambda item: item[1].id)
        for key, account in people:
            made = accounts.create_account(store, email=account.email, name=account.name, roles=account.roles, groups=account.groups)
            tokens[key] = accounts.new_token(store, made.id, name="test").secret
        ace = accounts.create_account(store, email="ace@acme.example", name="Ace Acme", roles={"expert"}, groups={"acme"})
        tokens["ace"] = accounts.new_token(store, ace.id, name="test").secret
    with serving(url) as (base, _), httpx.Client(base_url=base + API, timeout=30) as client:
        yield {"client": client, "tokens": tokens}


def call(site: dict[str, Any], method: str, path: str, who: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if who is not None:
        headers["Authorization"] = f"Bearer {site['tokens'][who]}"
    return site["client"].request(method, path, headers=headers, **kwargs)


def asked(**fields: Any) -> dict[str, Any]:
    return template(**{"registry": "acme", "service_name": "acme-api", "port": 20300, **fields})


def test_a_local_request_over_http_from_check_to_publication(site: dict[str, Any]) -> None:
    checked = call(site, "POST", "/requests/check", "alice", json=asked(port=21000)).json()
    assert not checked["ok"] and {(f["field"], f["section"]) for f in checked["findings"] if f["level"] == "error"} == {("port", "local")}
    refused = call(site, "POST", "/requests", "alice", json=asked(port=1491))
    assert refused.status_code == 422 and refused.json()["error"]["parameter"] == "port"
    filed = call(site, "POST", "/requests", "alice", json=asked())
    assert filed.status_code == 201 and filed.json()["registry"] == "acme"
    request_id = filed.json()["id"]
    for who, action in (("sam", "validate"), ("sam", "route"), ("ace", "approve"), ("sam", "assign")):
        etag = call(site, "GET", f"/requests/{request_id}", "sam").headers["ETag"]
        moved = call(site, "POST", f"/requests/{request_id}/transitions", who, json={"action": action}, headers={"If-Match": etag})
        assert moved.status_code == 200, (who, action, moved.text)
    done = moved.json()
    assert done["state"] == "assigned" and done["reviews"][0]["group"] == "acme" and done["published_version"]
    # The tcp-udp expert never sees it; acme's expert and staff do, and can narrow to acme.
    assert call(site, "GET", f"/requests/{request_id}", "eve").status_code == 404
    mine = call(site, "GET", "/requests", "sam", params={"registry": "acme"}).json()["items"]
    assert [r["id"] for r in mine] == [request_id] and {r["registry"] for r in mine} == {"acme"}
    upstream = call(site, "GET", "/requests", "sam", params={"registry": "iana"}).json()["items"]
    assert request_id not in {r["id"] for r in upstream}


def test_a_request_to_a_registry_the_store_lacks_names_the_field(site: dict[str, Any]) -> None:
    for body in (asked(registry="nosuch"), asked(registry="Not A Name"), asked(registry=7)):
        answer = call(site, "POST", "/requests", "alice", json=body)
        assert answer.status_code in (400, 422) and answer.json()["error"]["parameter"] == "registry", answer.text
    assert call(site, "GET", "/requests", "alice", params={"registry": "BAD!"}).json()["error"]["parameter"] == "registry"


def test_the_rules_of_a_local_registry_are_public(site: dict[str, Any]) -> None:
    rules = call(site, "GET", "/registries/acme/rules")
    assert rules.status_code == 200
    body = rules.json()
    assert body["ranges"] == ["20000-20999"] and body["review_group"] == "acme" and body["relaxed"] == []
    assert [(e["port"], e["transport"], e["reason"]) for e in body["exceptions"]] == [(1433, "tcp", "the SQL gateway")]
    assert call(site, "GET", "/registries/iana/rules").status_code == 400
    assert call(site, "GET", "/registries/nosuch/rules").status_code == 404


def test_staff_change_the_rules_and_exceptions_over_http_nobody_else(site: dict[str, Any]) -> None:
    change = {"relax": ["justification"], "review_group": "acme"}
    assert call(site, "PUT", "/registries/acme/rules", json=change).status_code == 401
    assert call(site, "PUT", "/registries/acme/rules", "alice", json=change).status_code == 403
    assert call(site, "PUT", "/registries/acme/rules", "ace", json=change).status_code == 403
    changed = call(site, "PUT", "/registries/acme/rules", "sam", json=change)
    assert changed.status_code == 200 and changed.json()["relaxed"] == ["justification"]
    assert changed.json()["updated_by"] == "sam@registry.example"
    bad = call(site, "PUT", "/registries/acme/rules", "sam", json={"relax": ["port"]})
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "relax"
    assert call(site, "PUT", "/registries/iana/rules", "sam", json={}).status_code == 400
    # Now a request to acme without a justification passes with a warning.
    checked = call(site, "POST", "/requests/check", "alice", json=asked(service_name="acme-nojust", port=20400, justification=None))
    assert checked.json()["ok"] and any("acme relaxes justification" in f["message"] for f in checked.json()["findings"])

    body = {"port": 1491, "transport": "udp", "reason": "lab gear"}
    assert call(site, "POST", "/registries/acme/exceptions", "alice", json=body).status_code == 403
    added = call(site, "POST", "/registries/acme/exceptions", "sam", json=body)
    assert added.status_code == 201 and added.json()["created_by"] == "sam@registry.example"
    assert call(site, "POST", "/registries/acme/exceptions", "sam", json=body).status_code == 409
    listed = call(site, "GET", "/registries/acme/rules").json()["exceptions"]
    assert [(e["port"], e["transport"]) for e in listed] == [(1433, "tcp"), (1491, "udp")]
    assert call(site, "DELETE", "/registries/acme/exceptions/1491/udp", "alice").status_code == 403
    assert call(site, "DELETE", "/registries/acme/exceptions/1491/udp", "sam").status_code == 204
    assert call(site, "DELETE", "/registries/acme/exceptions/1491/udp", "sam").status_code == 404
    call(site, "PUT", "/registries/acme/rules", "sam", json={"enforce": ["justification"]})
