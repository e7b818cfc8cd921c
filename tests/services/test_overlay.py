"""A local registry checked against the upstream one (``portreg registry check``):
the rules on small registries, then against the real registry in a store on SQLite
and PostgreSQL, including the day IANA assigns a port an organization already uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portreg.model import PortRange, Record, Registry, Text
from portreg.services.overlay import OwnedRange, collisions, parse_owned
from tests.support.cli import run
from tests.support.upstream import publishing


def rec(name: str | None, port: str | None, transport: str | None, description: str | None = None) -> Record:
    return Record(name=name, port=PortRange.parse(port) if port else None, transport=transport, description=Text.of(description))


def hits(*records: Record) -> list:
    from portreg.services.query import Hit

    return [Hit.make(i, r) for i, r in enumerate(records, start=1)]


UPSTREAM = hits(
    rec("http", "80", "tcp"),
    rec("www", "80", "tcp"),
    rec("ssh", "22", "tcp"),
    rec("ssh", "22", "udp"),
    rec("warmspotMgmt", "1074", "tcp"),
    rec(None, "1075", "tcp", "Reserved"),
    rec(None, "1076", None, "Reserved"),  # no transport: every transport
    rec(None, "1077-1090", None, "Unassigned"),
    rec("x11", "6000-6063", "tcp"),
    rec("dnp", "20000", "tcp"),
)


def kinds(local: list[Record], owns: tuple[OwnedRange, ...] = ()) -> list[tuple[str, str | None]]:
    found = collisions(UPSTREAM, Registry(title="local", records=tuple(local)), owns=owns)
    return [(f.kind, f.local.name if f.local else str(f.owned)) for f in found]


def test_a_port_upstream_assigns_to_another_service() -> None:
    assert kinds([rec("acme", "80", "tcp")]) == [("port", "acme")]
    assert kinds([rec("acme", "80", "udp")]) == []  # another transport
    assert kinds([rec("acme", "6010", "tcp")]) == [("port", "acme")]  # inside x11's range
    assert kinds([rec("acme", "5990-6001", "tcp")]) == [("port", "acme")]  # overlapping it
    assert kinds([rec("acme", "80", None)]) == [("port", "acme")]  # a local row without transport uses all


def test_reserved_ports_and_unassigned_ones() -> None:
    assert kinds([rec("acme", "1075", "tcp")]) == [("reserved", "acme")]
    assert kinds([rec("acme", "1076", "sctp")]) == [("reserved", "acme")]
    assert kinds([rec("acme", "1080", "tcp")]) == []


def test_names_are_one_namespace_ignoring_case() -> None:
    assert kinds([rec("SSH", "2222", "tcp")]) == [("name", "SSH")]
    assert kinds([rec("warmspotmgmt", "5000", "udp")]) == [("name", "warmspotmgmt")]
    assert kinds([rec("ssh", None, None)]) == [("name", "ssh")]  # a local name-only row


def test_upstream_s_own_assignment_is_a_note_and_its_aliases_no_collision() -> None:
    found = collisions(UPSTREAM, Registry(title="l", records=(rec("HTTP", "80", "tcp"), rec("ssh", "22", "udp"))), owns=(parse_owned("20000-20999"),))
    assert [(f.kind, f.collides) for f in found] == [("owned", True), ("same", False), ("same", False)]


def test_local_rows_that_name_no_service_use_nothing() -> None:
    assert kinds([rec(None, "80", "tcp", "Reserved"), rec(None, "1075", "tcp", "Unassigned")]) == []


def test_owned_ranges() -> None:
    owns = (parse_owned("20000-20999/tcp"), parse_owned("21000-21099"))
    assert kinds([rec("acme", "20500", "tcp"), rec("acme-u", "20500", "udp"), rec("acme-v", "21050", "udp")], owns) == [
        ("outside", "acme-u"),  # 20000-20999 is owned on tcp only
        ("owned", "20000-20999/tcp"),  # dnp
    ]
    assert kinds([rec("acme", "80", "tcp")], owns)[0] == ("port", "acme")
    assert ("outside", "acme") in kinds([rec("acme", "80", "tcp")], owns)


@pytest.mark.parametrize("text", ["20000", "20000-20999/tcp", "0-65535"])
def test_owned_ranges_parse(text: str) -> None:
    assert str(parse_owned(text)) == text


@pytest.mark.parametrize("text", ["", "20999-20000", "20000-70000", "20000-20999/quic", "a-b", "²"])
def test_bad_owned_ranges_name_the_parameter(text: str) -> None:
    from portreg.errors import InvalidQuery

    with pytest.raises(InvalidQuery) as info:
        parse_owned(text)
    assert info.value.parameter == "owns"


# --------------------------------------------------------------------------- against a store


ACME = "acme-db\t5432/tcp\nssh\t\t2222/tcp\nhttp\t\t80/tcp\t\twww\nacme-sync\t20100/tcp\nacme-old\t20012/tcp\n"


def test_check_against_the_real_registry(store_url: str, current_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from portreg.store import Store

    with Store.open(store_url) as store:
        store.import_registry(current_registry, source="iana")
    local = tmp_path / "acme.services"
    local.write_text(ACME)
    code, out, err = run(capsys, "--db", store_url, "registry", "check", str(local), "--owns", "20000-20999", "--json")
    assert code == 1, err
    data = json.loads(out)
    assert data["upstream"]["published"] == "2024-03-18" and data["owns"] == ["20000-20999"]
    assert data["counts"] == {"port": 2, "reserved": 1, "name": 1, "outside": 2, "owned": 1, "same": 2}
    port = next(f for f in data["findings"] if f["kind"] == "port" and f["local"]["name"] == "acme-db")
    assert [u["name"] for u in port["upstream"]] == ["postgresql"] and port["upstream"][0]["id"] is not None
    assert port["local"]["id"] is None and port["message"] == "acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql"
    owned = next(f for f in data["findings"] if f["kind"] == "owned")
    assert "dnp" in {u["name"] for u in owned["upstream"]}
    assert not any(f["local"] and f["local"]["name"] == "acme-sync" for f in data["findings"])  # 20100/tcp is free

    code, out, err = run(capsys, "--db", store_url, "registry", "check", str(local))
    assert code == 1 and "port\tacme-db 5432/tcp: upstream assigns 5432/tcp to postgresql" in out.splitlines()
    assert "6 records against version 1 (2024-03-18" in err and err.rstrip().endswith(": 4 collisions")


def test_a_sync_that_gives_away_a_local_port_is_reported(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Version 1: 20100/tcp unassigned, the local list agrees. Version 2 assigns it: now it collides."""
    from portreg.store import Store

    before = Registry(title="IANA", updated="2024-03-18", records=(rec("dnp", "20000", "tcp"), rec(None, "20001-20999", None, "Unassigned")))
    after = Registry(
        title="IANA",
        updated="2024-04-01",
        records=(rec("dnp", "20000", "tcp"), rec(None, "20001-20099", None, "Unassigned"), rec("newsvc", "20100", "tcp"), rec(None, "20101-20999", None, "Unassigned")),
    )
    local = tmp_path / "acme.services"
    local.write_text("acme-sync\t20100/tcp\nacme-dnp\t20000/tcp\n")  # 20000/tcp collides from the start
    with Store.open(store_url) as store:
        store.import_registry(before, source="iana")
    code, out, _ = run(capsys, "--db", store_url, "registry", "check", str(local), "--json")
    assert code == 1 and [f["local"]["name"] for f in json.loads(out)["findings"]] == ["acme-dnp"]
    code, out, _ = run(capsys, "--db", store_url, "registry", "check", str(local), "--since", "latest", "--json")
    assert code == 0 and json.loads(out)["findings"] == []  # nothing new since the current version
    with Store.open(store_url) as store:
        store.import_registry(after, source="iana")
    code, out, _ = run(capsys, "--db", store_url, "registry", "check", str(local), "--json")
    data = json.loads(out)
    assert code == 1 and data["upstream"]["number"] == 2 and data["since"] is None
    assert [(f["kind"], f["local"]["name"]) for f in data["findings"]] == [("port", "acme-sync"), ("port", "acme-dnp")]
    # what the sync brought: only the new assignment, not the collision the list always had
    code, out, err = run(capsys, "--db", store_url, "registry", "check", str(local), "--since", "1", "--json")
    data = json.loads(out)
    assert code == 1 and data["since"]["number"] == 1
    assert [(f["kind"], f["local"]["name"], [u["name"] for u in f["upstream"]]) for f in data["findings"]] == [
        ("port", "acme-sync", ["newsvc"])
    ]
    code, _, err = run(capsys, "--db", store_url, "registry", "check", str(local), "--since", "2024-03-18")
    assert code == 1 and "with what changed since version 1: 1 collision" in err
    code, _, err = run(capsys, "--db", store_url, "registry", "check", str(local), "--since", "9")
    assert code != 0 and "9" in err and "Traceback" not in err


def test_check_on_an_empty_store_says_how_to_fill_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = tmp_path / "acme.services"
    local.write_text(ACME)
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "registry", "check", str(local))
    assert code != 0 and "portreg sync" in err and "Traceback" not in err


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = run(capsys, "--db", db, "registry", "check", str(tmp_path / "absent.services"))
    assert code != 0 and "absent.services" in err and len(err.strip().splitlines()) == 1
    local = tmp_path / "acme.services"
    local.write_text(ACME)
    code, _, err = run(capsys, "--db", db, "registry", "check", str(local), "--owns", "20999-20000")
    assert code != 0 and "owns" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- portreg sync --check


def published(updated: str, *records: Record) -> bytes:
    from portreg.formats import to_bytes

    return to_bytes(Registry(title="Service Name and Transport Protocol Port Number Registry", updated=updated, records=records), "xml")


BEFORE = published("2024-03-18", rec("postgresql", "5432", "tcp"), rec("dnp", "20000", "tcp"), rec(None, "20004", None, "Unassigned"))
AFTER = published("2024-04-01", rec("postgresql", "5432", "tcp"), rec("dnp", "20000", "tcp"), rec("newsvc", "20004", "tcp", "New"))


@pytest.fixture
def iana() -> Any:
    """A loopback HTTP server standing for IANA; set ``.body`` to publish another registry."""
    with publishing(BEFORE) as published:
        yield published


def test_sync_reports_the_new_assignments_that_collide(iana: Any, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where a PostgreSQL store's sync validators go
    local = tmp_path / "acme.services"
    local.write_text("acme-db\t5432/tcp\nacme-mon\t20004/tcp\n")  # 5432 collides from the start; 20004 is free
    code, out, err = run(capsys, "--db", store_url, "sync", "--url", iana.url, "--check", str(local))
    assert code == 1, err  # the first sync brings everything: postgresql on 5432
    assert out.splitlines()[1:] == [
        f"{local}: 1 collision with what the sync brought",
        "port\tacme-db 5432/tcp: upstream assigns 5432/tcp to postgresql",
    ]
    code, out, _ = run(capsys, "--db", store_url, "sync", "--url", iana.url, "--check", str(local), "--json")
    data = json.loads(out)
    assert code == 0 and data["changed"] is False and data["collisions"] == []  # nothing new
    iana.body = AFTER  # IANA assigns 20004/tcp
    code, out, _ = run(capsys, "--db", store_url, "sync", "--url", iana.url, "--check", str(local), "--owns", "20000-20999", "--json")
    data = json.loads(out)
    assert code == 1 and data["changed"] is True and data["version"]["number"] == 2
    assert [(f["kind"], f["local"] and f["local"]["name"], [u["name"] for u in f["upstream"]]) for f in data["collisions"]] == [
        ("port", "acme-mon", ["newsvc"]),
        ("owned", None, ["newsvc"]),  # dnp on 20000 was there before: not reported
    ]
    code, _, err = run(capsys, "--db", store_url, "sync", "--url", iana.url, "--owns", "20000-20999")
    assert code == 2 and "--check" in err


# --------------------------------------------------------------------------- the API: GET /api/v1/collisions


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app
    from tests.support.web import real_store_file, sqlite_url

    path = real_store_file(tmp_path_factory.mktemp("collisions"))
    with Store.open(sqlite_url(path)) as store, TestClient(create_app(store=store)) as client:
        yield client


def test_the_api_answers_as_the_command_does(api: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = api.get("/api/v1/collisions", params={"name": "acme-db", "port": "5432", "transport": "tcp", "owns": "20000-20999"})
    assert answer.status_code == 200
    data = answer.json()
    assert data["collides"] is True and data["upstream"]["published"] == "2024-03-18"
    local = tmp_path / "one.services"
    local.write_text("acme-db\t5432/tcp\n")
    db = api.app.state.registry_service.store.url
    _, out, _ = run(capsys, "--db", db, "registry", "check", str(local), "--owns", "20000-20999", "--json")
    assert [f["message"] for f in data["findings"]] == [f["message"] for f in json.loads(out)["findings"]]
    assert [f["kind"] for f in data["findings"]] == ["port", "outside", "owned"]


def test_the_api_on_free_and_own_ports(api: Any) -> None:
    free = api.get("/api/v1/collisions", params={"name": "acme-sync", "port": "20100", "transport": "tcp"}).json()
    assert free["collides"] is False and free["findings"] == []
    same = api.get("/api/v1/collisions", params={"name": "HTTP", "port": "80", "transport": "tcp"}).json()
    assert same["collides"] is False and [f["kind"] for f in same["findings"]] == ["same"]
    name = api.get("/api/v1/collisions", params={"name": "SSH"}).json()
    assert name["collides"] is True and [f["kind"] for f in name["findings"]] == ["name"]
    everywhere = api.get("/api/v1/collisions", params={"port": "5432"}).json()  # no transport: every transport
    assert {u["transport"] for f in everywhere["findings"] for u in f["upstream"]} == {"tcp", "udp"}


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({}, "name"),
        ({"port": "70000"}, "port"),
        ({"port": "²"}, "port"),
        ({"port": "9-1"}, "port"),
        ({"name": "x", "transport": "quic"}, "transport"),
        ({"name": "x" * 64}, "name"),
        ({"name": "x", "owns": "20999-20000"}, "owns"),
        ({"name": "x", "owns": "1-2/quic"}, "owns"),
    ],
)
def test_the_api_names_a_bad_parameter(api: Any, query: dict[str, str], parameter: str) -> None:
    answer = api.get("/api/v1/collisions", params=query)
    assert answer.status_code == 400 and answer.json()["error"]["parameter"] == parameter


_text = st.one_of(st.none(), st.text(max_size=30), st.from_regex(r"\A[0-9]{1,6}(-[0-9]{1,6})?\Z"))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=_text, port=_text, transport=st.one_of(st.none(), st.sampled_from(["tcp", "udp", "sctp", "dccp", "", "TCP"])), owns=st.lists(_text.filter(lambda t: t is not None), max_size=3))
def test_no_query_reaches_a_server_error(api: Any, name: str | None, port: str | None, transport: str | None, owns: list[str]) -> None:
    query: dict[str, Any] = {key: value for key, value in (("name", name), ("port", port), ("transport", transport)) if value is not None}
    if owns:
        query["owns"] = owns
    answer = api.get("/api/v1/collisions", params=query)
    assert answer.status_code in (200, 400), (query, answer.text[:200])
    if answer.status_code == 400:
        assert answer.json()["error"]["parameter"] in {"name", "port", "transport", "owns"}
    else:
        assert isinstance(answer.json()["collides"], bool)
