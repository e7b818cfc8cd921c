"""The query service on the real 2024-03-18 registry: ports, names, search, people, free ports, stats.

Both lookup paths are checked against each other: the store's indexed SQL reads and the
in-memory LookupIndex must give the same answers.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Iterator

import pytest

from tests.support.stores import BACKENDS, filled_store_url
from portreg.errors import NotFound
from portreg.model import PortRange, Record, Text
from portreg.services.query import (
    EMPTY_STORE,
    Hit,
    NameAnswer,
    PortAnswer,
    Query,
    RangeAnswer,
    free_ports,
    parse_lookup,
    unauthorized_ports,
)
from portreg.rules import range_class, record_state


@pytest.fixture(scope="module", params=BACKENDS)
def filled_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> Iterator[Any]:
    from portreg.store import Store

    with Store.open(filled_store_url(request, tmp_path_factory, current_registry)) as store:
        yield store


@pytest.fixture
def empty_store(store_url: str) -> Iterator[Any]:
    from portreg.store import Store

    with Store.open(store_url) as store:
        yield store


@pytest.fixture(scope="module")
def query(filled_store: Any) -> Query:
    return Query(filled_store)


@pytest.fixture(scope="module")
def index(query: Query) -> Any:
    return query.index()


# ------------------------------------------------------------------ by port


def test_a_port_inside_a_range_finds_the_range(query: Query) -> None:
    answer = query.port(6010)
    assert isinstance(answer, PortAnswer)
    assert [(h.record.name, str(h.record.port), h.record.transport) for h in answer.hits] == [
        ("x11", "6000-6063", "tcp"),
        ("x11", "6000-6063", "udp"),
    ]
    assert answer.range_class == "user"
    assert answer.states == {"tcp": "assigned", "udp": "assigned", "sctp": "unassigned", "dccp": "unassigned"}


def test_port_states_cover_every_transport(query: Query) -> None:
    assert query.port(0).states == {"tcp": "reserved", "udp": "reserved", "sctp": "unassigned", "dccp": "unassigned"}
    assert query.port(80).states["sctp"] == "assigned"
    assert set(query.port(49151).states.values()) == {"reserved"}  # a row without transport speaks for all
    dynamic = query.port(65535)
    assert (dynamic.range_class, dynamic.found, set(dynamic.states.values())) == ("dynamic", False, {"unassigned"})


def test_a_transport_narrows_the_answer(query: Query) -> None:
    answer = query.port(5432, transport="udp")
    assert [(h.record.name, h.record.transport) for h in answer.hits] == [("postgresql", "udp")]
    assert answer.states == {"udp": "assigned"}


def test_hits_carry_state_and_range_class(query: Query) -> None:
    (unassigned,) = query.port(11711).hits
    assert (str(unassigned.record.port), unassigned.state, unassigned.range_class) == ("11624-11719", "unassigned", "user")


def test_a_range_finds_every_overlapping_record(query: Query, index: Any) -> None:
    answer = query.ports(6000, 6010)
    assert isinstance(answer, RangeAnswer)
    names = {h.record.name for h in answer.hits}
    assert "x11" in names
    assert all(h.record.port.low <= 6010 and h.record.port.high >= 6000 for h in answer.hits)
    assert [h.id for h in index.ports(6000, 6010).hits] == [h.id for h in answer.hits]


# ------------------------------------------------------------------ by name


def test_names_ignore_case_and_link_aliases(query: Query) -> None:
    www = query.name("WWW")
    assert isinstance(www, NameAnswer)
    assert {h.record.name for h in www.hits} == {"www"}
    assert www.preferred == "http"
    assert {"http", "www-http"} <= set(www.aliases)
    http = query.name("http")
    assert {"www", "www-http"} <= set(http.legacy)
    assert http.preferred is None


def test_legacy_names_link_both_ways(query: Query) -> None:
    old = query.name("sql*net")
    assert old.preferred == "sql-net"
    new = query.name("sql-net")
    assert "sql*net" in new.legacy and new.preferred is None
    assert {str(h.record.port) for h in new.hits} == {"66", "150"}  # two services, one name


def test_an_unknown_name_is_not_found(query: Query) -> None:
    answer = query.lookup("no-such-service")
    assert not answer.found and answer.hits == ()


# ------------------------------------------------------------------ both paths agree


def test_the_index_answers_ports_as_the_store_does(query: Query, index: Any, current_registry: Any) -> None:
    edges = {p for r in current_registry.records if r.port for p in (r.port.low, r.port.high, r.port.high + 1)}
    rng = random.Random(6335)
    sample = sorted(p for p in edges | {rng.randrange(65536) for _ in range(200)} if p <= 65535)
    for port in rng.sample(sample, 400):
        assert index.port(port) == query.port(port), port
    assert index.port(5432, transport="tcp") == query.port(5432, transport="tcp")


def test_the_index_answers_names_as_the_store_does(query: Query, index: Any) -> None:
    names = sorted(index.names())
    rng = random.Random(165)
    for name in ["www", "http", "sql*net", "sql-net", "x11", "Apple Remote Desktop (Net Assistant)", *rng.sample(names, 150)]:
        assert index.name(name) == query.name(name), name
        assert index.name(name.upper()) == query.name(name.upper()), name


def test_the_index_is_reused_within_a_version(query: Query, index: Any) -> None:
    assert query.index() is index


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5432", 5432), (" 80 ", 80), ("6000-6010", PortRange(6000, 6010)), ("http", "http"), ("sql*net", "sql*net")],
)
def test_parse_lookup(text: str, expected: object) -> None:
    assert parse_lookup(text) == expected


@pytest.mark.parametrize("text", ["65536", "10-5", "", "  "])
def test_parse_lookup_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lookup(text)


# ------------------------------------------------------------------ free ports


def test_unauthorized_use_names_ports_inside_the_row() -> None:
    def row(ports: str, text: str) -> Record:
        return Record(port=PortRange.parse(ports), description=Text.of("Unassigned"), unauthorized=Text.of(text))

    assert unauthorized_ports(row("11624-11719", "Unauthorized Use Known on port 11711")) == (PortRange.single(11711),)
    assert unauthorized_ports(row("4489-4499", "Known UNAUTHORIZED USE: Ports 4490 and 4491")) == (
        PortRange.single(4490),
        PortRange.single(4491),
    )
    assert unauthorized_ports(row("33436-33655", "Known Unauthorized Use on ports 33436-33534")) == (
        PortRange(33436, 33534),
    )
    assert unauthorized_ports(row("8010", "yes")) == (PortRange.single(8010),)  # names no port: the whole row


def test_free_ports_skip_what_is_used_reserved_or_storied(query: Query, index: Any) -> None:
    everything = query.free(count=65536)
    assert 11711 not in everything  # inside Unassigned 11624-11719, but used without authorization
    assert {11710, 11712} <= set(everything)
    assert 1895 not in everything  # "Microsoft (unoffically) using 1895"
    assert everything == sorted(everything) and all(1024 <= p <= 49151 for p in everything)
    for port in everything[:: max(1, len(everything) // 300)]:
        answer = index.port(port)
        assert answer.states["tcp"] == answer.states["udp"] == "unassigned"
        assert "reserved" not in answer.states.values()
        assert not any(port in used for h in answer.hits for used in unauthorized_ports(h.record))
        assert not any(h.record.notes for h in answer.hits if h.state == "unassigned")


def test_free_ports_count_range_and_transports(query: Query) -> None:
    first = query.free(count=3)
    assert len(first) == 3
    assert query.free(count=3) == first  # deterministic: lowest first
    system = query.free(range_class="system", count=5)
    assert all(p <= 1023 for p in system)
    sctp = set(query.free(transports=("sctp",), count=65536))
    tcp_udp = set(query.free(count=65536))
    assert 5432 in sctp - tcp_udp  # postgresql holds tcp and udp only, and reserves nothing
    assert 5090 in tcp_udp - sctp  # car holds sctp only


def test_free_ports_refuse_the_dynamic_range(query: Query) -> None:
    with pytest.raises(ValueError, match="dynamic"):
        query.free(range_class="dynamic")


def test_free_ports_is_pure() -> None:
    hits = [Hit(1, Record(name="a", port=PortRange(1024, 1025), transport="tcp"), "assigned", "user")]
    assert free_ports(hits, count=2) == [1026, 1027]
    assert free_ports(hits, transports=("udp",), count=2) == [1024, 1025]


# ------------------------------------------------------------------ search, people, stats


def test_search_ranks_and_filters(query: Query) -> None:
    result = query.search("postgresql")
    assert result.total >= 2
    assert result.hits[0].record.name == "postgresql"
    sctp = query.search("http", transport="sctp")
    # Records without a transport speak for every transport (as a port lookup says).
    assert sctp.hits and all(h.record.transport in ("sctp", None) for h in sctp.hits)
    assert any(h.record.transport == "sctp" for h in sctp.hits)
    reserved = query.search(None, state="reserved", range_class="system", limit=20)
    assert reserved.total > 0 and all(h.state == "reserved" and h.range_class == "system" for h in reserved.hits)


def test_search_filters_by_person_and_dates(query: Query) -> None:
    postel = query.search(None, person="Jon_Postel", limit=500)
    assert postel.total > 10 and all("Jon_Postel" in h.record.person_ids() for h in postel.hits)
    recent = query.search(None, registered_after="2023-01-01", limit=500)
    assert recent.total > 0 and all(h.record.registered >= "2023-01-01" for h in recent.hits)


def test_search_refuses_bad_filters(query: Query) -> None:
    from portreg.errors import InvalidQuery

    with pytest.raises(InvalidQuery, match="date"):
        query.search("x", registered_after="yesterday")
    with pytest.raises(InvalidQuery, match="transport"):
        query.search("x", transport="quic")


def test_a_person_and_their_records(query: Query, current_registry: Any) -> None:
    (answer,) = query.people("Jon_Postel")
    assert answer.person.id == "Jon_Postel"
    expected = sum(1 for r in current_registry.records if "Jon_Postel" in r.person_ids())
    assert len(answer.hits) == expected
    assert query.people("Postel")  # words of a name find people too


def test_stats_count_the_registry(query: Query, current_registry: Any) -> None:
    stats = query.stats()
    records = current_registry.records
    assert stats.records == len(records) == 14444
    assert stats.by_state == dict(Counter(record_state(r) for r in records))
    assert sum(stats.by_transport.values()) == len(records)
    assert stats.by_transport["tcp"] == sum(r.transport == "tcp" for r in records)
    assert stats.by_range_class["system"] == sum(1 for r in records if r.port and range_class(r.port.low) == "system")
    assert sum(stats.by_year.values()) == len(records)


def test_as_json_is_plain(query: Query) -> None:
    import json

    doc = query.port(80).as_json()
    assert json.loads(json.dumps(doc)) == doc
    http = next(r for r in doc["records"] if r["name"] == "http" and r["transport"] == "tcp")
    assert http["port"] == "80" and http["state"] == "assigned" and http["range_class"] == "system"
    assert {"type": "rfc", "data": "rfc9110", "text": None, "label": "RFC9110"} in http["references"]


# ------------------------------------------------------------------ an empty store


def test_an_empty_store_says_how_to_fill_it(empty_store: Any) -> None:
    query = Query(empty_store)
    for ask in (lambda: query.lookup("5432"), lambda: query.lookup("http"), query.stats, query.free, query.index):
        with pytest.raises(NotFound, match="portreg sync"):
            ask()
    assert "portreg import" in EMPTY_STORE
