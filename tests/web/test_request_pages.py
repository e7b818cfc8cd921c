"""The assignment process's pages over real HTTP: a real ``portreg serve`` on loopback,
driven as a browser without JavaScript would (forms, CSRF tokens, redirects)."""

from __future__ import annotations

import html
import os
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.support.web import real_store_file, serving, sqlite_url
from tests.web.test_accounts import Browser


def errors_of(page: httpx.Response) -> dict[str, str]:
    """The message beside each field (``id="e-FIELD"``), markup stripped."""
    found = re.findall(r'<p class="(?:field-error|problem|finding [a-z]+)"[^>]* id="e-([a-z0-9_]+)">(.*?)</p>', page.text)
    return {k: html.unescape(re.sub(r"<[^>]+>", "", v)).strip() for k, v in found}

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"
ROLES = {
    "requester": ({"requester"}, set()),
    "other": ({"requester"}, set()),
    "expert": ({"expert"}, {"tcp-udp"}),
    "sctp": ({"expert"}, {"sctp"}),
    "staff": ({"staff"}, set()),
    "iesg": ({"iesg"}, set()),
    "admin": ({"admin"}, set()),
}
FORM = {
    "service_name": "pagetest",
    "transports": ["tcp"],
    "assignee_name": "Rita Requester",
    "assignee_email": "rita@example.com",
    "contact_name": "Rita Requester",
    "contact_email": "rita@example.com",
    "description": "Page test protocol",
    "reference": "https://example.com/pagetest (unicast only)",
    "port": "2194",
    "justification": "devices are found without discovery, so a dynamic port cannot be known",
    "do": "file",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts as A
    from portreg.store import Store

    url = sqlite_url(real_store_file(tmp_path_factory.mktemp("request-pages")))
    with Store.open(url) as store:
        for role, (roles, groups) in ROLES.items():
            A.create_account(
                store, email=f"{role}@example.com", name=role.title(), password=PASSWORD, roles=roles, groups=groups
            )
    os.environ["PORTREG_RUNS_REGISTRY"] = "1"
    try:
        with serving(url, "--init-from", "none") as (base, _):
            yield {"base": base, "url": url}
    finally:
        os.environ.pop("PORTREG_RUNS_REGISTRY", None)


def signed_in(site: dict[str, Any], role: str | None) -> Browser:
    me = Browser(site["base"])
    me.get("/account/signin")
    if role is not None:
        page = me.submit("/account/signin", {"email": f"{role}@example.com", "password": PASSWORD, "next": "/requests"})
        assert page.status_code == 200, page.text[:300]
    return me


def _count(site: dict[str, Any]) -> int:
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        return len(store.workflow().requests(limit=100000))


def _file(me: Browser, **fields: Any) -> int:
    me.get("/requests/new")
    response = me.post("/requests/new", {**FORM, **fields})
    assert response.status_code == 303, response.text[:500]
    found = re.fullmatch(r"/requests/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _act(me: Browser, request_id: int, action: str, reason: str = "", **extra: str) -> httpx.Response:
    page = me.get(f"/requests/{request_id}")
    etag = re.search(r'name="etag" value="(\d+)"', page.text)
    assert etag, page.text[:2000]
    return me.submit(
        f"/requests/{request_id}/act", {"action": action, "etag": etag.group(1), "reason": reason, **extra}
    )


def test_the_form_checks_files_and_shows_each_problem_beside_its_field(site: dict[str, Any]) -> None:
    me = signed_in(site, "requester")
    page = me.get("/requests/new")
    assert page.status_code == 200 and "Request an assignment" in page.text and "§5.1" in page.text
    before = _count(site)
    page = me.submit("/requests/new", {**FORM, "service_name": "bad--name", "contact_email": "nope", "do": "check"})
    found = errors_of(page)
    assert "service_name" in found and "contact_email" in found, found
    assert "RFC 6335 §5.1" in page.text and "Nothing was filed" in page.text
    assert 'value="bad--name"' in page.text and "Page test protocol" in page.text  # the values stay
    page = me.submit("/requests/new", {**FORM, "service_name": "bad--name"})  # filing refuses it the same way
    assert "service_name" in errors_of(page) and _count(site) == before
    page = me.submit("/requests/new", {**FORM, "do": "check"})
    assert "found no error" in page.text and _count(site) == before
    request_id = _file(me)
    page = me.get(f"/requests/{request_id}")
    assert page.status_code == 200 and "is filed" in page.text and "New" in page.text
    assert "rita@example.com" in page.text and "Withdraw" in page.text
    mine = me.get("/requests")
    assert f"/requests/{request_id}" in mine.text and "staff" in mine.text

    # Another requester asking for the same port hears at once that an open request holds it.
    other = signed_in(site, "other")
    page = other.submit("/requests/new", {**FORM, "service_name": "pagetest2", "do": "check"})
    assert "an open request holds port 2194/tcp" in errors_of(page)["port"], errors_of(page)


def test_a_request_page_shows_its_public_part_to_anyone_and_the_rest_to_its_people(site: dict[str, Any]) -> None:
    request_id = _file(signed_in(site, "requester"), service_name="pubpriv", port="2195")
    for role in (None, "other", "sctp"):
        page = signed_in(site, role).get(f"/requests/{request_id}")
        assert page.status_code == 200 and "pubpriv" in page.text and "New" in page.text, role
        assert "rita@example.com" not in page.text and "Add a comment" not in page.text, role
    for role in ("staff", "admin", "iesg"):
        page = signed_in(site, role).get(f"/requests/{request_id}")
        assert "rita@example.com" in page.text, role
    assert signed_in(site, None).get("/requests/999999").status_code == 404


def test_the_process_through_the_pages(site: dict[str, Any]) -> None:
    rita = signed_in(site, "requester")
    request_id = _file(rita, service_name="flowtest", port="2196")
    staff = signed_in(site, "staff")
    expert = signed_in(site, "expert")
    assert f"#{request_id}" in staff.get("/requests/dashboard").text
    _act(staff, request_id, "validate")
    page = _act(staff, request_id, "route")
    assert "Expert Review" in page.text
    queue = expert.get("/requests/queue/tcp-udp")
    assert queue.status_code == 200 and f"#{request_id} flowtest" in queue.text
    page = _act(expert, request_id, "reject")
    assert errors_of(page)["reason"].startswith("reject needs a reason")
    page = expert.get("/requests/queue/tcp-udp")
    etag = re.search(rf'id="request-{request_id}".*?name="etag" value="(\d+)"', page.text, re.S).group(1)  # type: ignore[union-attr]
    page = expert.submit(
        f"/requests/{request_id}/act",
        {"action": "ask", "etag": etag, "reason": "Which devices use it?", "back": "/requests/queue/tcp-udp"},
    )
    assert "The tcp-udp queue" in page.text and "With Requester" in page.text  # back to the queue, said done
    assert f"#{request_id} flowtest" not in page.text
    page = rita.get(f"/requests/{request_id}")
    assert "Which devices use it?" in page.text and "an expert" in page.text  # the expert's words, unsigned
    page = _act(rita, request_id, "answer", "Frobnitz lamps.")
    assert "Expert Review" in page.text
    page = _act(expert, request_id, "approve", group="tcp-udp")
    assert "Assignable" in page.text
    page = _act(staff, request_id, "assign")
    assert "Assigned" in page.text
    assert "flowtest" in httpx.get(site["base"] + "/port/2196", timeout=10).text
    stats = httpx.get(site["base"] + "/requests/statistics", timeout=10)
    assert stats.status_code == 200 and "assignment" in stats.text and "tcp-udp" in stats.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "<script>alert(1)</script>", "must not contain markup (a < followed by a letter)"),
        ("description", "A" * 1_000_000, "is far too long (at most 4,000 characters)"),
        ("service_name", "nul\x00name", "must not contain control characters"),
        ("contact_name", "<b>Rita</b>", "must not contain markup (a < followed by a letter)"),
    ],
)
def test_hostile_input_is_refused_beside_its_field(site: dict[str, Any], field: str, value: str, message: str) -> None:
    me = signed_in(site, "other")
    me.get("/requests/new")
    before = _count(site)
    page = me.submit("/requests/new", {**FORM, "service_name": "hostile", field: value})
    assert errors_of(page)[field] == message
    assert "<script>" not in page.text and "<b>Rita" not in page.text
    assert _count(site) == before


def test_the_registry_points_to_this_form(site: dict[str, Any]) -> None:
    page = httpx.get(site["base"] + "/", timeout=30)
    assert 'href="/requests/new"' in page.text and "iana.org/protocols/apply" not in page.text


# --------------------------------------------------------------------------- who may do what, CSRF

CALLERS = ["anonymous", *ROLES]
#: What each POST sends: enough to reach the service, never enough to change anything
#: (a stale version), so that every caller meets the same request in the same state.
POSTS = {
    "/requests/new": {"service_name": "prtmatrix2", "do": "check"},
    "/requests/{request_id}/act": {"action": "validate", "etag": "999"},
    "/requests/{request_id}/comment": {"text": "hello", "etag": "999"},
    "/requests/{request_id}/vote": {"position": "yes", "etag": "999"},
}


def _expected(role: str, method: str, path: str) -> int:
    """The status each caller must get on a New request filed by ``requester``: the matrix, written out once."""
    if path in ("/requests/{request_id}", "/requests/statistics"):
        return 200
    if role == "anonymous":
        return 303  # to the sign-in page
    sees = role in ("requester", "staff", "iesg", "admin")  # its requester, and those who see every request
    if path == "/requests/{request_id}/act":
        if not sees:
            return 404
        return 303 if role == "staff" else 403  # validate is staff's (staff meet the stale version: back to the page)
    if path == "/requests/{request_id}/comment":
        return 303 if sees else 404
    if path == "/requests/{request_id}/vote":
        if not sees:
            return 404
        return 303 if role == "iesg" else 403
    if method == "POST" or path in ("/requests", "/requests/new"):
        return 303 if method == "POST" else 200
    allowed = {
        "/requests/queue": {"expert", "sctp", "staff", "admin"},
        "/requests/queue/{group}": {"expert", "staff", "admin"},  # the tcp-udp queue: not the sctp expert's
        "/requests/dashboard": {"staff", "admin"},
        "/requests/iesg": {"iesg", "staff", "admin"},
    }[path]
    return 200 if role in allowed else 403


def test_every_request_route_for_every_role(site: dict[str, Any]) -> None:
    from fastapi.routing import APIRoute

    from portreg.web.pages import requests as request_pages

    routes = {
        (method, route.path.replace(":int", ""))
        for route in request_pages.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert {p for m, p in routes if m == "POST"} == set(POSTS)
    request_id = _file(signed_in(site, "requester"), service_name="prtmatrix", port="2693")
    callers = {role: signed_in(site, None if role == "anonymous" else role) for role in CALLERS}
    for method, path in sorted(routes):
        concrete = path.replace("{request_id}", str(request_id)).replace("{group}", "tcp-udp")
        for role in CALLERS:
            caller = callers[role]
            if method == "GET":
                response = caller.client.get(concrete)
            else:
                response = caller.post(concrete, POSTS[path])
            assert response.status_code == _expected(role, method, path), (role, method, path, response.text[:300])
            if role == "anonymous" and response.status_code == 303:
                assert response.headers["location"].startswith("/account/signin")
    page = callers["staff"].get(f"/requests/{request_id}")
    assert "New" in page.text  # nothing above changed the request


@pytest.mark.parametrize("path", sorted(POSTS))
def test_csrf_refused_on_every_request_form_without_a_token(site: dict[str, Any], path: str) -> None:
    request_id = _file(signed_in(site, "requester"), service_name=f"prtcsrf{sorted(POSTS).index(path)}", port="")
    me = signed_in(site, "staff")
    concrete = path.replace("{request_id}", str(request_id))
    data = {**POSTS[path], "etag": "1"} if "etag" in POSTS[path] else POSTS[path]
    refused = me.post(concrete, data, token=False)
    assert refused.status_code == 403 and "This form was refused" in refused.text
    forged = me.post(concrete, {**data, "csrftoken": "forged." + me.token[7:]}, token=False)
    assert forged.status_code == 403
    assert httpx.post(site["base"] + concrete, data=data, timeout=10).status_code == 403  # another site's form
    assert "New" in me.get(f"/requests/{request_id}").text  # not validated by any of them


def test_the_iesg_votes_on_its_ballots_page(site: dict[str, Any]) -> None:
    rita, staff, iesg = signed_in(site, "requester"), signed_in(site, "staff"), signed_in(site, "iesg")
    request_id = _file(rita, service_name="sysporttest", port="system")
    _act(staff, request_id, "validate")
    page = _act(staff, request_id, "escalate")
    assert "IESG Escalation" in page.text
    ballots = iesg.get("/requests/iesg")
    assert ballots.status_code == 200 and f"#{request_id} sysporttest" in ballots.text
    page = iesg.get(f"/requests/{request_id}")
    etag = re.search(r'name="etag" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    page = iesg.submit(f"/requests/{request_id}/vote", {"position": "discuss", "text": "", "etag": etag})
    assert errors_of(page)["text"] == "a discuss position needs its text"
    page = iesg.submit(f"/requests/{request_id}/vote", {"position": "yes", "text": "Fine by me.", "etag": etag})
    assert "Your position" in page.text and "Fine by me." in page.text
    assert "Fine by me." in iesg.get("/requests/iesg").text
    page = _act(iesg, request_id, "approve")
    assert "Assignable" in page.text


def test_percentiles_are_values_that_occurred() -> None:
    from portreg.services.workflow.overview import _percentile

    assert _percentile(list(range(1, 11)), 0.5) == 5
    assert _percentile(list(range(1, 11)), 0.9) == 9
    assert _percentile([7], 0.9) == 7
    assert _percentile([30, 10, 20], 0.5) == 20


def test_statistics_split_the_time_to_a_decision_by_whose_turn_it_was(site: dict[str, Any]) -> None:
    from portreg.services.workflow import overview
    from portreg.store import Store

    rita, staff = signed_in(site, "requester"), signed_in(site, "staff")
    request_id = _file(rita, service_name="statstest", port="")
    _act(staff, request_id, "validate")
    _act(staff, request_id, "reject", "not needed")
    with Store.open(site["url"]) as store:
        stats = overview.statistics(store)
    assert stats["decided"] >= 1 and sum(stats["per_month"].values()) == stats["filed"]
    kind = stats["by_kind"]["assignment"]
    assert kind["count"] >= 1 and kind["median"] <= kind["p90"]
    assert set(kind["net"]) == {"requester", "staff", "expert", "iesg"}
    page = httpx.get(site["base"] + "/requests/statistics", timeout=10)
    assert f'<strong id="filed">{stats["filed"]}</strong>; decided: <strong id="decided">{stats["decided"]}</strong>' in page.text


@pytest.mark.parametrize(
    ("path", "field", "value", "message"),
    [
        ("comment", "text", "<img src=x onerror=alert(1)>", "must not contain markup (a < followed by a letter)"),
        ("comment", "text", "hello\x00there", "must not contain control characters"),
        ("comment", "text", "B" * 1_000_000, "is far too long (at most 4,000 characters)"),
        ("act", "reason", "<script>alert(1)</script>", "must not contain markup (a < followed by a letter)"),
        ("vote", "text", "x\x00", "must not contain control characters"),
    ],
)
def test_hostile_input_on_a_request_page_is_refused_beside_its_field(
    site: dict[str, Any], path: str, field: str, value: str, message: str
) -> None:
    from portreg.store import Store

    rita = signed_in(site, "requester")
    request_id = _file(rita, service_name=f"hostile{abs(hash((path, value))) % 10_000}", port="")
    with Store.open(site["url"]) as store:
        before = len(store.workflow().events(request_id))
    me = signed_in(site, "iesg" if path == "vote" else "requester")
    page = me.get(f"/requests/{request_id}")
    etag = re.search(r'name="etag" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {"etag": etag, field: value, "action": "withdraw", "position": "yes"}
    response = me.post(f"/requests/{request_id}/{path}", data)
    assert response.status_code == 303
    page = me.get(response.headers["location"])
    if path == "vote":  # the vote form shows only while a request is before the IESG: the message is in the flash
        assert message in page.text
    else:
        assert errors_of(page)[field] == message
    assert "<script>" not in page.text and "<img src=x" not in page.text
    with Store.open(site["url"]) as store:
        assert len(store.workflow().events(request_id)) == before
        assert store.workflow().request(request_id)["state"] == "new"  # type: ignore[index]


def test_drafts_are_taken_once_and_bounded() -> None:
    from portreg.web.pages.requests import Drafts

    drafts = Drafts()
    drafts.SIZE = 3
    keys = [drafts.put({"n": i}) for i in range(5)]
    assert drafts.take(keys[0]) is None  # the oldest went when the fourth came
    assert drafts.take(keys[4]) == {"n": 4}
    assert drafts.take(keys[4]) is None  # once
    assert drafts.take(None) is None and drafts.take(12) is None
