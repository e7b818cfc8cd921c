"""``/changes/A..B`` and ``/api/v1/changes/A..B``: one diff as a page and as JSON, in process.

Three small versions cut from the real registry (a rename, a move, an edit, an addition
and a removal between 1 and 2; a hostile record added in 3), so that every section of
the page shows, escaped, and the JSON is the service's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.web import HOSTILE
from portreg.model import PortRange, Record, Registry, Text
from portreg.services import history
from portreg.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def versions(registry: Registry) -> list[Registry]:
    records = list(registry.records[:250])
    first = dataclasses.replace(
        registry, records=tuple(records), people=registry.referenced_people(tuple(records)), updated="2024-01-15"
    )
    names = [(r.name, r.transport) for r in records]
    telnet, finger, ftp = names.index(("telnet", "tcp")), names.index(("finger", "tcp")), names.index(("ftp", "tcp"))
    second = list(records)
    second[telnet] = dataclasses.replace(records[telnet], name="telnet-two")
    second[finger] = dataclasses.replace(records[finger], port=PortRange.single(1079))
    second[ftp] = dataclasses.replace(records[ftp], description=Text.of("File Transfer, edited"))
    del second[3]
    second.append(Record(name="brand-new", port=PortRange.single(4999), transport="tcp", description=Text.of("New")))
    v2 = dataclasses.replace(first, records=tuple(second), updated="2024-02-15")
    evil = Record(name="evil", port=PortRange.single(5000), transport="tcp", description=Text.of(HOSTILE))
    v3 = dataclasses.replace(v2, records=(*second, evil), updated="2024-03-15", expert=f"TCP/UDP: {HOSTILE}")
    return [first, v2, v3]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, current_registry: Registry) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    directory = tmp_path_factory.mktemp("diff")
    with Store.open(f"sqlite:///{directory / 'store.db'}") as store:
        for i, registry in enumerate(versions(current_registry)):
            store.import_registry(registry, source=f"v{i + 1}.xml")
        with TestClient(
            create_app(store=store, log_key=directory / "key.pem"), raise_server_exceptions=False
        ) as test_client:
            test_client.store = store
            yield test_client


def test_the_diff_page_shows_each_kind_of_change(client: Any) -> None:
    page = client.get("/changes/1..2")
    assert page.status_code == 200, page.text
    text = page.text
    assert "From version 1 to version 2" in text and "1 added, 1 removed, 1 renamed, 1 moved, 1 changed" in text
    for section in ('id="added"', 'id="removed"', 'id="renamed"', 'id="moved"', 'id="changed"'):
        assert section in text
    assert '<del>telnet</del> → <a href="/service/telnet-two">telnet-two</a>' in text
    assert "<del>File Transfer Protocol [Control]</del> → <ins>File Transfer, edited</ins>" in text
    assert 'href="/changes/2..3"' in text and 'href="/api/v1/changes/1..2"' in text  # next diff, its JSON


def test_dates_and_latest_redirect_to_the_numbers(client: Any) -> None:
    found = client.get("/changes/2024-01-20..latest", follow_redirects=False)
    assert found.status_code == 302 and found.headers["location"] == "/changes/1..3"
    page = client.get("/changes/3..2")  # backwards: what 3 has that 2 has not is removed
    assert page.status_code == 200 and 'id="removed"' in page.text and 'id="added"' not in page.text


def test_hostile_text_is_escaped(client: Any) -> None:
    text = client.get("/changes/2..3").text
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize(
    ("span", "status"),
    [
        ("1x", 400),
        ("1..", 400),
        ("..2", 400),
        ("x..2", 400),
        ("1..9", 404),
        ("2019-01-01..2", 404),
        ("1..2024-13-01", 400),
    ],
)
def test_bad_spans_are_4xx_pages_and_4xx_json(client: Any, span: str, status: int) -> None:
    page = client.get(f"/changes/{span}")
    assert page.status_code == status and "<html" in page.text.lower()
    api = client.get(f"/api/v1/changes/{span}")
    assert api.status_code == status
    error = api.json()["error"]
    assert error["code"] == ("not_found" if status == 404 else "invalid_parameter")
    if status == 400:
        assert error["parameter"] in ("versions", "from", "to")


def test_a_version_alone_is_what_it_changed(client: Any) -> None:
    """``/changes/N`` redirects to N's diff against the version before it (a page only)."""
    found = client.get("/changes/3", follow_redirects=False)
    assert found.status_code == 302 and found.headers["location"] == "/changes/2..3"
    assert client.get("/changes/1", follow_redirects=False).headers["location"] == "/changes"
    assert client.get("/changes/9").status_code == 404
    assert client.get("/api/v1/changes/1").status_code == 400


def test_the_json_is_the_services_and_numbers_are_immutable(client: Any) -> None:
    answer = client.get("/api/v1/changes/1..2")
    assert answer.status_code == 200
    assert answer.json() == history.diff(client.store, 1, 2).as_json()
    assert "immutable" in answer.headers["cache-control"]
    moving = client.get("/api/v1/changes/1..latest")
    assert moving.json()["to"]["number"] == 3 and "immutable" not in moving.headers["cache-control"]
