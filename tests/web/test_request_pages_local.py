"""The request form's registry choice and a local registry's queue, over real HTTP: a real
``portreg serve`` on loopback, driven as a browser without JavaScript would."""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

import pytest

from tests.support.web import serving, sqlite_url
from tests.web.test_accounts import Browser
from tests.web.test_request_pages import FORM, PASSWORD, errors_of

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small: Any) -> Iterator[dict[str, Any]]:
    from portreg.services import accounts as A
    from portreg.store import PortRange, Store

    url = sqlite_url(tmp_path_factory.mktemp("request-pages-local") / "store.db")
    with Store.open(url) as store:
        store.import_registry(small, source="small")
        store.registries.create("acme", title="ACME Corp.", owns=(PortRange(20000, 20999),))
        for email, roles, groups in (
            ("rita@example.com", {"requester"}, set()),
            ("sam@example.com", {"staff"}, set()),
            ("ace@acme.example", {"expert"}, {"acme"}),
        ):
            A.create_account(store, email=email, name=email.split("@")[0].title(), password=PASSWORD, roles=roles, groups=groups)
    os.environ["PORTREG_RUNS_REGISTRY"] = "1"
    try:
        with serving(url, "--init-from", "none") as (base, _):
            yield {"base": base, "url": url}
    finally:
        os.environ.pop("PORTREG_RUNS_REGISTRY", None)


def signed_in(site: dict[str, Any], email: str) -> Browser:
    me = Browser(site["base"])
    me.get("/account/signin")
    page = me.submit("/account/signin", {"email": email, "password": PASSWORD, "next": "/requests"})
    assert page.status_code == 200, page.text[:300]
    return me


def test_the_form_asks_which_registry_and_a_local_request_reaches_its_own_queue(site: dict[str, Any]) -> None:
    me = signed_in(site, "rita@example.com")
    page = me.get("/requests/new")
    radios = re.findall(r'<input type="radio" name="registry" value="([a-z-]+)"( checked)?>', page.text)
    assert radios == [("acme", " checked"), ("iana", "")], radios  # the registry this instance operates first
    assert "20000-20999" in page.text

    local = {**FORM, "registry": "acme", "service_name": "acme-page"}
    page = me.submit("/requests/new", {**local, "port": "21000", "do": "check"})
    assert "outside the ranges acme allocates from" in errors_of(page)["port"]
    assert re.search(r'value="acme" checked', page.text)  # the choice stays
    page = me.submit("/requests/new", {**local, "registry": "nosuch", "do": "check"})
    assert "holds no registry 'nosuch'" in errors_of(page)["registry"]

    filed = me.post("/requests/new", {**local, "port": "20100"})
    assert filed.status_code == 303
    request_id = int(filed.headers["location"].rsplit("/", 1)[1])
    page = me.get(f"/requests/{request_id}")
    assert re.search(r"<dt>Registry</dt><dd>acme</dd>", page.text)

    from portreg.services import accounts, workflow
    from portreg.store import Store

    with Store.open(site["url"]) as store:
        sam = accounts.find_account(store, "sam@example.com")
        workflow.act(store, sam, request_id, "validate")
        workflow.act(store, sam, request_id, "route")
    ace = signed_in(site, "ace@acme.example")
    queues = ace.get("/requests/queue")
    assert "/requests/queue/acme" in queues.text and "/requests/queue/tcp-udp" not in queues.text
    queue = ace.get("/requests/queue/acme")
    assert queue.status_code == 200 and f"/requests/{request_id}" in queue.text
    assert re.search(rf'#{request_id} acme-page</a> <span class="source-badge">acme</span>', queue.text)
    mine = me.get("/requests")
    assert re.search(rf'#{request_id}</a> <span class="source-badge">acme</span>', mine.text)
    assert ace.get("/requests/queue/nosuch").status_code == 404
