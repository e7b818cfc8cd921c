"""Ranked search on the real 2024-03-18 registry: does the record people mean come first?

Each query names the record a person typing it is after; the suite asks the first hit
on SQLite and on PostgreSQL, and that both databases give the same hits in the same
order (the ranking is the service's, not each database's).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.support.data import CURRENT_XML

from portreg.model import PortRange
from portreg.services.query import Query
from portreg.services.search import SearchIndex, parse_port_query, words

#: (what someone types, the name of the record that must come first[, its port]).
FIRST: list[tuple[str, str] | tuple[str, str, str]] = [
    # the exact name, in any case, before longer names holding it
    ("ssh", "ssh", "22"),
    ("SSH", "ssh", "22"),
    ("ldap", "ldap", "389"),
    ("http", "http", "80"),
    ("Http", "http", "80"),
    ("HTTPS", "https", "443"),
    ("kerberos", "kerberos", "88"),
    ("KERBEROS", "kerberos", "88"),
    ("pop3", "pop3", "110"),
    ("POP3S", "pop3s", "995"),
    ("ldaps", "ldaps", "636"),
    ("imaps", "imaps", "993"),
    ("smtp", "smtp", "25"),
    ("submission", "submission", "587"),
    ("domain", "domain", "53"),
    ("ntp", "ntp", "123"),
    ("snmp", "snmp", "161"),
    ("snmptrap", "snmptrap", "162"),
    ("bgp", "bgp", "179"),
    ("telnet", "telnet", "23"),
    ("ftp", "ftp", "21"),
    ("ftp-data", "ftp-data", "20"),
    ("tftp", "tftp", "69"),
    ("nfs", "nfs", "2049"),
    ("radius", "radius", "1812"),
    ("postgresql", "postgresql", "5432"),
    ("PostgreSQL", "postgresql", "5432"),
    ("mysql", "mysql", "3306"),
    ("mongodb", "mongodb", "27017"),
    ("rsync", "rsync", "873"),
    ("ms-sql-s", "ms-sql-s", "1433"),
    ("x11", "x11", "6000-6063"),
    ("sip", "sip", "5060"),
    ("sips", "sips", "5061"),
    ("rtsp", "rtsp", "554"),
    ("irc", "irc", "194"),
    ("mqtt", "mqtt", "1883"),
    ("amqp", "amqp", "5672"),
    ("redis", "redis", "6379"),
    ("memcache", "memcache", "11211"),
    ("git", "git", "9418"),
    ("svn", "svn", "3690"),
    ("cvspserver", "cvspserver", "2401"),
    ("epmd", "epmd", "4369"),
    ("sunrpc", "sunrpc", "111"),
    ("netbios-ssn", "netbios-ssn", "139"),
    ("microsoft-ds", "microsoft-ds", "445"),
    ("isakmp", "isakmp", "500"),
    ("openvpn", "openvpn", "1194"),
    ("l2tp", "l2tp", "1701"),
    ("ipp", "ipp", "631"),
    ("printer", "printer", "515"),
    ("nicname", "nicname", "43"),
    # words joined by hyphens or run together are the name
    ("ms sql s", "ms-sql-s", "1433"),
    ("ms wbt server", "ms-wbt-server", "3389"),
    ("netbios ns", "netbios-ns", "137"),
    ("xmpp client", "xmpp-client", "5222"),
    ("my sql", "mysql", "3306"),
    # legacy names and their replacements: the one typed first, the other next
    ("www", "www", "80"),
    ("www-http", "www-http", "80"),
    ("sql*net", "sql*net", "66"),
    ("sql-net", "sql-net", "66"),
    ("whois++", "whois++", "63"),
    ("whoispp", "whoispp", "63"),
    ("z39.50", "z39.50", "210"),
    ("z39-50", "z39-50", "210"),
    # the start of a name
    ("postgres", "postgresql", "5432"),
    ("postgre", "postgresql", "5432"),
    ("postgresq", "postgresql", "5432"),
    ("mongo", "mongodb", "27017"),
    ("memcached", "memcache", "11211"),
    # typos
    ("kerbros", "kerberos", "88"),
    ("kereberos", "kerberos", "88"),
    ("mongdb", "mongodb", "27017"),
    ("telent", "telnet", "23"),
    ("rsnyc", "rsync", "873"),
    ("snmptrp", "snmptrap", "162"),
    ("postgersql", "postgresql", "5432"),
    ("postgress", "postgresql", "5432"),
    ("htps", "https", "443"),
    # ports and ranges
    ("5432", "postgresql", "5432"),
    ("80", "http", "80"),
    ("443", "https", "443"),
    ("22", "ssh", "22"),
    ("6010", "x11", "6000-6063"),
    ("6000-6063", "x11", "6000-6063"),
    ("3389", "ms-wbt-server", "3389"),
    ("27017", "mongodb", "27017"),
    ("8080", "http-alt", "8080"),
    ("53/udp", "domain", "53"),
    # a name and a port together
    ("ssh 22", "ssh", "22"),
    ("x11 6010", "x11", "6000-6063"),
    ("domain 53", "domain", "53"),
    ("snmp 162", "snmptrap", "162"),
    ("http 8080", "http-alt", "8080"),
    # people
    ("Tom Lane", "postgresql", "5432"),
    ("tom lane", "postgresql", "5432"),
    # words of descriptions
    ("secure shell", "ssh", "22"),
    ("network time protocol", "ntp", "123"),
    ("trivial file transfer", "tftp", "69"),
    ("lightweight directory access", "ldap", "389"),
    ("kerberos administration", "kerberos-adm", "749"),
    ("network file system", "nfs", "2049"),
    ("border gateway protocol", "bgp", "179"),
    ("microsoft sql", "ms-sql-s", "1433"),
    ("domain name", "domain", "53"),
]


@pytest.fixture(scope="module")
def queries(tmp_path_factory: pytest.TempPathFactory, current_registry: Any, postgres_server: Any) -> Iterator[dict[str, Query]]:
    """The real registry in a SQLite store and in a PostgreSQL one, each behind a Query."""
    from portreg.store import Store

    urls = {
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('relevance') / 'store.sqlite3'}",
        "postgresql": postgres_server.create_database(),
    }
    stores = {}
    for backend, url in urls.items():
        stores[backend] = Store.open(url)
        stores[backend].import_registry(current_registry, source=str(CURRENT_XML))
    yield {backend: Query(store) for backend, store in stores.items()}
    for store in stores.values():
        store.close()


def _key(hit: Any) -> tuple[str | None, str | None, str | None]:
    record = hit.record
    return record.name, None if record.port is None else str(record.port), record.transport


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("case", FIRST, ids=[c[0] for c in FIRST])
def test_first_hit(queries: dict[str, Query], backend: str, case: tuple[str, ...]) -> None:
    text, name, *port = case
    result = queries[backend].search(text, limit=5)
    assert result.hits, f"{text!r} found nothing"
    first = result.hits[0].record
    assert first.name == name, f"{text!r}: {[_key(h) for h in result.hits]}"
    if port:
        assert str(first.port) == port[0]


def test_the_suite_is_large_enough() -> None:
    assert len(FIRST) >= 60


def test_both_databases_rank_alike(queries: dict[str, Query]) -> None:
    """Not only the first hit: the same records in the same order, and the same totals."""
    for text, *_ in [*FIRST, ("unassigned",), ("IESG",), ("Postel",), ("remote",), ("tcp",)]:
        sqlite, pg = (queries[b].search(text, limit=40) for b in ("sqlite", "postgresql"))
        assert sqlite.total == pg.total, text
        assert [_key(h) for h in sqlite.hits] == [_key(h) for h in pg.hits], text


def test_the_exact_name_then_its_links_then_longer_names(queries: dict[str, Query]) -> None:
    query = queries["sqlite"]
    names = [h.record.name for h in query.search("http", limit=30).hits]
    assert names[:3] == ["http"] * 3  # tcp, udp, sctp
    assert {"www", "www-http"} <= set(names[3:7])  # the legacy names pointing at it
    assert names.index("https") < names.index("http-alt")  # shorter names starting with it first
    assert names.index("http-alt") < names.index("gss-http")  # names holding it, after
    pop3 = [h.record.name for h in query.search("pop3").hits]
    assert pop3[:4] == ["pop3", "pop3", "pop3s", "pop3s"]
    ssh = [h.record.name for h in query.search("ssh", limit=50).hits]
    assert ssh.index("ssh") < ssh.index("netconf-ssh")


def test_filters_narrow_a_ranked_search(queries: dict[str, Query]) -> None:
    query = queries["postgresql"]
    sctp = query.search("http", transport="sctp")
    # Records without a transport speak for every transport (services/filters.py).
    assert sctp.hits[0].record.name == "http" and all(h.record.transport in ("sctp", None) for h in sctp.hits)
    assigned = query.search("kerberos", state="assigned", limit=100)
    assert assigned.total and all(h.state == "assigned" for h in assigned.hits)
    user = query.search("http", range_class="user", limit=100)
    assert all(h.range_class == "user" for h in user.hits) and user.hits[0].record.name.startswith("http")
    lane = query.search("postgresql", person="Tom_Lane")
    assert [h.record.transport for h in lane.hits] == ["tcp", "udp"]
    old = query.search("http", registered_before="2005", limit=500)
    # A bound is as precise as written: 2005-05 is "before 2005" inclusive; undated records are out.
    assert old.hits and all(h.record.registered and h.record.registered[:4] <= "2005" for h in old.hits)


def test_pages_of_a_ranked_search(queries: dict[str, Query]) -> None:
    query = queries["sqlite"]
    whole = query.search("ftp", limit=100)
    pages = [query.search("ftp", limit=5, offset=o) for o in range(0, whole.total, 5)]
    assert [h.id for p in pages for h in p.hits] == [h.id for h in whole.hits]
    assert {p.total for p in pages} == {whole.total}


def test_nothing_is_nothing(queries: dict[str, Query]) -> None:
    query = queries["sqlite"]
    assert query.search("zzqxjv").total == 0  # no word near enough to be a typo
    assert query.search("qzx").total == 0  # short words are never corrected
    assert query.search("http OR ftp").total < query.search("http").total  # words, not operators
    assert query.search("!!!").total == 0


def test_port_queries() -> None:
    assert parse_port_query("5432") == (PortRange(5432, 5432), None)
    assert parse_port_query(" 6000 - 6063 ") == (PortRange(6000, 6063), None)
    assert parse_port_query("53/UDP") == (PortRange(53, 53), "udp")
    assert parse_port_query("65536") is None and parse_port_query("10-5") is None
    assert parse_port_query("x11") is None
    assert words("Tom_Lane, sql*net") == ["tom", "lane", "sql", "net"]


def test_an_index_of_a_few_records() -> None:
    """The tiers on records made by hand: nothing here depends on the registry's data."""
    from portreg.model import Record, Text
    from portreg.services.query import Hit

    def hit(i: int, name: str, port: int, description: str, notes: str | None = None) -> Hit:
        record = Record(name=name, port=PortRange(port, port), transport="tcp", description=Text((description,)),
                        notes=None if notes is None else Text((notes,)))
        return Hit(i, record, "assigned", "user")

    hits = [
        hit(1, "alpha-beta", 2000, "the beta service"),
        hit(2, "beta", 2001, "plain"),
        hit(3, "betamax", 2002, "tapes"),
        hit(4, "gamma", 2003, "talks to beta"),
        hit(5, "old-beta", 2004, "legacy", 'This entry is an alias to "beta".'),
    ]
    index = SearchIndex(1, hits, {})
    assert [h.id for h in index.search("beta").hits] == [2, 5, 3, 1, 4]
    assert [h.id for h in index.search("betta").hits][:1] == [2]  # a typo of a word that exists
    assert [h.id for h in index.search("2003").hits] == [4]
