"""``/api/v1/requests`` over real HTTP: a real ``portreg serve`` on loopback, real tokens."""

from __future__ import annotations

import json
from typing import Any, Iterator

import httpx
import pytest

from tests.support.web import serving, sqlite_url
from tests.support.workflow import ACCOUNTS, template

API = "/api/v1"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small: Any) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts
    from portreg.store import Store

    url = sqlite_url(tmp_path_factory.mktemp("requests-api") / "store.db")
    tokens = {}
    with Store.open(url) as store:
        store.import_registry(small, source="small")
        for key, account in sorted(ACCOUNTS.items(), key=lambda item: item[1].id):
            made = accounts.create_account(store, email=account.email, name=account.name, roles=account.roles, groups=account.groups)
            tokens[key] = accounts.new_token(store, made.id, name="test").secret
    with serving(url) as (base, _), httpx.Client(base_url=base + API, timeout=30) as client:
        yield {"client": client, "tokens": tokens, "url": url}


def call(site: dict[str, Any], method: str, path: str, who: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if who is not None:
        headers["Authorization"] = f"Bearer {site['tokens'][who]}"
    return site["client"].request(method, path, headers=headers, **kwargs)


def move(site: dict[str, Any], who: str, request_id: int, action: str, **body: Any) -> httpx.Response:
    etag = call(site, "GET", f"/requests/{request_id}", "sam").headers["ETag"]
    return call(site, "POST", f"/requests/{request_id}/transitions", who, json={"action": action, **body}, headers={"If-Match": etag})


def test_every_operation_needs_an_account(site: dict[str, Any]) -> None:
    for method, path in (
        ("GET", "/requests"),
        ("POST", "/requests"),
        ("POST", "/requests/check"),
        ("GET", "/requests/1"),
        ("GET", "/requests/1/events"),
        ("POST", "/requests/1/transitions"),
        ("POST", "/requests/1/comments"),
        ("POST", "/requests/1/votes"),
        ("GET", "/audit"),
    ):
        body = {"json": {}} if method == "POST" and path.endswith(("/requests", "check")) else {}
        if path.endswith("transitions"):
            body = {"json": {"action": "validate"}, "headers": {"If-Match": '"1"'}}
        if path.endswith("comments"):
            body = {"json": {"text": "x"}, "headers": {"If-Match": '"1"'}}
        if path.endswith("votes"):
            body = {"json": {"position": "yes"}, "headers": {"If-Match": '"1"'}}
        answer = call(site, method, path, **body)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "unauthorized"


def test_a_request_is_filed_checked_and_walked_to_assigned(site: dict[str, Any]) -> None:
    checked = call(site, "POST", "/requests/check", "alice", json=template(service_name="apifrob", port=2194))
    assert checked.status_code == 200 and checked.json() == {"ok": True, "findings": []}
    refused = call(site, "POST", "/requests", "alice", json=template(service_name="ftp", port=50000))
    assert refused.status_code == 422
    findings = refused.json()["error"]["findings"]
    assert {(f["field"], f["section"]) for f in findings} >= {("service_name", "8.1.1"), ("port", "6")}
    filed = call(site, "POST", "/requests", "alice", json=template(service_name="apifrob", port=2194))
    assert filed.status_code == 201 and filed.headers["ETag"] == '"1"'
    request_id = filed.json()["id"]
    assert filed.headers["Location"] == f"{API}/requests/{request_id}"
    for who, action in (("sam", "validate"), ("sam", "route"), ("eve", "approve"), ("sam", "assign")):
        answer = move(site, who, request_id, action)
        assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["state"] == "assigned" and done["published_version"] >= 2
    import time

    deadline = time.monotonic() + 10  # the server looks for a new version once a second
    while "apifrob" not in (port := call(site, "GET", "/ports/2194")).text and time.monotonic() < deadline:
        time.sleep(0.2)
    assert port.json()["registry"]["version"] == done["published_version"]
    assert [r["name"] for r in port.json()["records"]][:2] == ["apifrob", "apifrob"]


def test_if_match_guards_every_write(site: dict[str, Any]) -> None:
    filed = call(site, "POST", "/requests", "alice", json=template(service_name="guarded", port=2195)).json()
    path = f"/requests/{filed['id']}/transitions"
    missing = call(site, "POST", path, "sam", json={"action": "validate"})
    assert missing.status_code == 428 and missing.json()["error"]["parameter"] == "If-Match"
    ok = call(site, "POST", path, "sam", json={"action": "validate"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = call(site, "POST", path, "sam", json={"action": "route"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "precondition_failed"
    comment = call(site, "POST", f"/requests/{filed['id']}/comments", "alice", json={"text": "thanks"}, headers={"If-Match": '"1"'})
    assert comment.status_code == 412


def test_another_requesters_request_is_not_found_and_a_wrong_role_is_forbidden(site: dict[str, Any]) -> None:
    filed = call(site, "POST", "/requests", "alice", json=template(service_name="private", port=2196, transports=["sctp"])).json()
    request_id = filed["id"]
    missing = call(site, "GET", "/requests/99999", "bob")
    for who in ("bob", "eve"):  # another requester; an expert of another group
        hidden = call(site, "GET", f"/requests/{request_id}", who)
        assert hidden.status_code == 404
        assert hidden.json()["error"]["message"].replace(str(request_id), "N") == missing.json()["error"]["message"].replace("99999", "N")
    assert call(site, "GET", f"/requests/{request_id}/events", "bob").status_code == 404
    assert request_id not in [r["id"] for r in call(site, "GET", "/requests", "bob").json()["items"]]
    forbidden = call(
        site, "POST", f"/requests/{request_id}/transitions", "alice", json={"action": "validate"}, headers={"If-Match": f'"{filed["etag"]}"'}
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert call(site, "GET", "/audit", "alice").status_code == 403
    audit = call(site, "GET", "/audit", "sam")
    assert audit.status_code == 200 and audit.json()["ok"] is True


def test_the_requester_reads_the_experts_question_unsigned(site: dict[str, Any]) -> None:
    filed = call(site, "POST", "/requests", "alice", json=template(service_name="asked", port=2693)).json()
    for who, action in (("sam", "validate"), ("sam", "route")):
        move(site, who, filed["id"], action)
    assert move(site, "eve", filed["id"], "ask", reason="Which devices use it?").status_code == 200
    seen = call(site, "GET", f"/requests/{filed['id']}/events", "alice").json()["events"][-1]
    assert seen["actor"] == "an expert" and seen["reason"] == "Which devices use it?"
    shown = call(site, "GET", f"/requests/{filed['id']}", "alice").json()
    assert shown["turn"] == "requester" and [n["action"] for n in shown["next"]] == ["answer", "withdraw"]


def test_the_openapi_document_describes_the_workflow(site: dict[str, Any]) -> None:
    doc = call(site, "GET", "/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/requests", "/api/v1/requests/check", "/api/v1/requests/{request_id}", "/api/v1/requests/{request_id}/transitions",
                 "/api/v1/requests/{request_id}/comments", "/api/v1/requests/{request_id}/votes", "/api/v1/requests/{request_id}/events",
                 "/api/v1/requests/transitions", "/api/v1/audit"):
        assert path in paths, path
    assert "412" in paths["/api/v1/requests/{request_id}/transitions"]["post"]["responses"]
    table = call(site, "GET", "/requests/transitions", "alice").json()
    assert {"action": "assign", "from": "assignable", "to": "assigned"}.items() <= next(t for t in table["transitions"] if t["action"] == "assign").items()




def test_bad_input_is_a_4xx_never_a_500(site: dict[str, Any]) -> None:
    bodies: list[Any] = [
        None, [], "x", 7, {"port": "²"}, {"port": -1}, {"port": 10**30}, {"port": True}, {"transports": "tcp,xyz"},
        {"transports": [1, 2]}, {"assignee": 5}, {"assignee": {"name": "x", "phone": "1"}}, {"kind": "steal"},
        {"service_name": "a" * 100000}, {"service_name": "\x00"}, {"changes": "all"}, {"changes": {"assignee": 3}},
        {"transfer_from": "one"}, {"transfer_from": -4}, {"community_call": {"started": "yesterday"}},
        {"service_code": "SC:" + "\u00e9" * 4, "transports": ["dccp"]}, {"whatever": 1},
    ]
    for body in bodies:
        for path in ("/requests", "/requests/check"):
            answer = call(site, "POST", path, "alice", content=json.dumps(body) if body is not None else b"{", headers={"Content-Type": "application/json"})
            if path.endswith("check") and answer.status_code == 200:  # checked: the findings say what is wrong
                assert answer.json()["ok"] is False
                continue
            assert 400 <= answer.status_code < 500, (path, body, answer.status_code, answer.text[:200])
            assert answer.json()["error"]["code"]
    filed = call(site, "POST", "/requests", "alice", json=template(service_name="badinput", port=2794)).json()
    for body, if_match in (({"action": "fly"}, '"1"'), ({"action": "validate", "port": "x"}, '"1"'), ({"action": "validate"}, "soon"),
                           ({"action": "validate"}, '"99999999999999"'), ({}, '"1"')):
        answer = call(site, "POST", f"/requests/{filed['id']}/transitions", "sam", json=body, headers={"If-Match": if_match})
        assert 400 <= answer.status_code < 500, (body, if_match, answer.text[:200])
    for path in ("/requests/0", "/requests/abc", "/requests/99999999999", "/requests?state=nowhere", "/requests?page=0", "/requests?scope=all"):
        answer = call(site, "GET", path, "alice")
        assert 400 <= answer.status_code < 500, (path, answer.text[:200])
