"""The website's pages, in process, on a store holding the real 2024-03-18 registry.

Each page is read as a user reads it (parsed HTML: headings, table rows, links) and
checked against the registry itself: the seed's search for 162, the query layer's
states and ranges, the people records name, the published documents byte for byte.
"""

from __future__ import annotations

from tests.support.data import ROOT as ROOT_DIR

import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.web import HOSTILE, hostile_registry, real_store_file, sqlite_url
from tests.support.data import SHARED, need_shared

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
lxml_html = pytest.importorskip("lxml.html")

SEED_162 = SHARED / "seeds" / "000_df3b8ab6f4bdc6eb.txt"


# ------------------------------------------------------------------ fixtures and reading pages


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store_file(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[Any]:
    from portreg.store import Store

    with Store.open(sqlite_url(store_path)) as opened:
        yield opened


@pytest.fixture(scope="module")
def client(store: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    with TestClient(create_app(store=store), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def snapshot(client: Any) -> Any:
    return client.app.state.registry_service.current()


def page(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == status, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return lxml_html.fromstring(response.text)


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


def record_rows(doc: Any) -> list[list[str]]:
    """The records table as lists of cell texts."""
    return [[text(td) for td in tr.findall("td")] for tr in doc.cssselect("table.records tbody tr")]


def head_fields(doc: Any) -> dict[str, Any]:
    """The registry head's ``dt`` -> ``dd`` pairs."""
    return {text(dt): dd for dt, dd in zip(doc.cssselect("dl.head > dt"), doc.cssselect("dl.head > dd"))}


def link(doc: Any, label: str) -> str:
    for a in doc.iter("a"):
        if text(a) == label:
            return a.get("href")
    raise AssertionError(f"no link {label!r}")


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# ------------------------------------------------------------------ the registry page


def test_the_head_is_ianas(client: Any, current_registry: Any) -> None:
    doc = page(client, "/")
    assert text(doc.cssselect("h1")[0]) == "Service Name and Transport Protocol Port Number Registry"
    facts = {text(d.find("dt")): text(d.find("dd")) for d in doc.cssselect("dl.facts > div")}
    assert facts["Last Updated"] == "2024-03-18"
    assert facts["Records"] == "14,444" and facts["People"] == "5,554"
    assert facts["Reference"] == "[RFC6335]"
    head = head_fields(doc)
    assert list(head) == ["Expert(s)", "Note", "Request an Assignment", "Available Formats"]
    experts = [text(li) for li in head["Expert(s)"].iter("li")]
    assert experts[0].startswith("TCP/UDP: Joe Touch") and experts[0].endswith("and Michael Scharf")
    assert experts[1:] == ["SCTP: Michael Tuexen", "DCCP: Eddie Kohler and Yoshifumi Nishida"]
    assert "ENDORSEMENT OF AN APPLICATION" in text(head["Note"])
    assert [a.get("href") for a in head["Request an Assignment"].iter("a")] == ["https://www.iana.org/protocols/apply"]
    formats = {text(a): a.get("href") for a in head["Available Formats"].iter("a")}
    assert list(formats)[:4] == ["CSV", "XML", "HTML", "Plain text"]
    for href in formats.values():
        assert client.get(href).status_code == 200, href


def test_first_page_is_the_registry_in_order(client: Any, current_registry: Any) -> None:
    doc = page(client, "/")
    rows = record_rows(doc)
    assert len(rows) == 100
    assert [r[:3] for r in rows[:4]] == [["", "0", "tcp"], ["", "0", "udp"], ["tcpmux", "1", "tcp"], ["tcpmux", "1", "udp"]]
    assert [th.text_content().strip() for th in doc.cssselect("table.records thead th")] == [
        "Service Name", "Port Number", "Transport Protocol", "Description", "Assignee", "Contact",
        "Registration Date", "Modification Date", "Reference", "Service Code",
        "Unauthorized Use Reported", "Assignment Notes",
    ]  # fmt: skip
    assert "of 14,444 records" in text(doc.get_element_by_id("result-count"))


def _seed_ports() -> list[str]:
    """The port (or range) of each row of the seed's search for 162, in its order.

    The seed lost empty leading cells, so a row's port is its first cell that is a port
    or a range, wherever it landed.
    """
    body = need_shared(SEED_162).read_text().split("|---|", 1)[1]
    ports = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found = next((c for c in cells if re.fullmatch(r"\d+(-\d+)?", c)), None)
        if found:
            ports.append(found)
    return ports


def test_search_162_shows_the_seed(client: Any) -> None:
    rows = record_rows(page(client, "/?search=162&page_size=all"))
    expected = _seed_ports()
    assert len(expected) == 53
    assert [r[1] for r in rows] == expected
    assert ["snmptrap", "162", "tcp", "SNMPTRAP", "[Marshall_Rose]", "[Marshall_Rose]"] == rows[0][:6]
    assert rows[-1][:4] == ["", "31621-31684", "", "Unassigned"]


def test_search_for_a_port_finds_the_range_holding_it(client: Any) -> None:
    rows = record_rows(page(client, "/?search=6010"))
    assert ["x11", "6000-6063", "tcp"] == rows[0][:3]
    assert ["x11", "6000-6063", "udp"] in [r[:3] for r in rows]


def test_search_is_case_blind_and_reads_descriptions(client: Any) -> None:
    rows = record_rows(page(client, "/?search=POSTGRES"))
    assert ["postgresql", "5432", "tcp"] in [r[:3] for r in rows]
    assert all("postgres" in (r[0] + r[3]).lower() for r in rows)


def test_filters_agree_with_the_query_layer(client: Any, snapshot: Any) -> None:
    from portreg.services.query import STATES

    for state in STATES:
        doc = page(client, f"/?state={state}&page_size=all")
        expected = [h for h in snapshot.hits if h.state == state]
        assert len(doc.cssselect(f"table.records tbody tr.{state}")) == len(expected) > 0
        assert not doc.cssselect("table.records tbody tr:not(." + state + ")")
    rows = record_rows(page(client, "/?transport=sctp&range=system&page_size=all"))
    expected = [
        h for h in snapshot.hits if h.record.transport in ("sctp", None) and h.range_class == "system"
    ]
    assert len(rows) == len(expected) and all(r[2] in ("sctp", "") and int(r[1].split("-")[0]) < 1024 for r in rows)


def test_person_filter_by_id_or_name(client: Any) -> None:
    by_id = record_rows(page(client, "/?person=Jon_Postel&page_size=all"))
    assert by_id and all("[Jon_Postel]" in r[4] + r[5] for r in by_id)
    by_name = record_rows(page(client, "/?person=jon%20postel&page_size=all"))
    assert by_name == by_id
    doc = page(client, "/?person=nobody-at-all")
    assert not record_rows(doc) and "No records match" in text(doc)


def test_sorting_by_columns(client: Any) -> None:
    rows = record_rows(page(client, "/?search=http&sort=-registered&page_size=all"))
    dates = [r[6] for r in rows]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated  # blanks last
    rows = record_rows(page(client, "/?search=http&sort=name&page_size=all"))
    names = [r[0].casefold() for r in rows if r[0]]
    assert names == sorted(names)
    doc = page(client, "/?search=http&sort=name")
    header = doc.cssselect('th[aria-sort="ascending"] a')[0]
    assert query_of(header.get("href"))["sort"] == ["-name"]  # a second click reverses


def test_pages_keep_every_parameter(client: Any) -> None:
    url = "/?search=trap&transport=udp&sort=-port&page_size=25"
    first = page(client, url)
    total = int(re.search(r"of ([\d,]+) records", text(first)).group(1).replace(",", ""))
    assert total > 25
    next_href = first.cssselect('a[rel="next"]')[0].get("href")
    assert query_of(next_href) == {
        "search": ["trap"], "transport": ["udp"], "sort": ["-port"], "page_size": ["25"], "page": ["2"]
    }  # fmt: skip
    second = page(client, next_href)
    assert f"Showing 26–{min(50, total)} of {total}" in text(second)
    all_rows = record_rows(page(client, "/?search=trap&transport=udp&sort=-port&page_size=all"))
    assert record_rows(second) == all_rows[25:50]
    assert len(all_rows) == total


def test_the_filter_form_redirects_to_a_clean_link(client: Any) -> None:
    response = client.get("/?search=162&transport=&range=&state=&person=&page_size=100", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/?search=162"


def test_bad_parameters_are_explained_not_fatal(client: Any) -> None:
    doc = page(client, "/?transport=carrier-pigeon&page=-3&sort=colour")
    problems = [text(p) for p in doc.cssselect(".problem")]
    assert len(problems) == 3 and any(p.startswith("transport=") for p in problems)
    assert len(record_rows(doc)) == 100


def test_full_registry_on_one_page(client: Any, current_registry: Any) -> None:
    doc = page(client, "/?page_size=all")
    assert len(doc.cssselect("table.records tbody tr")) == 14444
    contacts = doc.cssselect("table.contacts tbody tr")
    assert [tr.get("id") for tr in contacts] == [p.id for p in current_registry.referenced_people()]


def test_contacts_are_the_people_of_the_rows_shown(client: Any, current_registry: Any) -> None:
    doc = page(client, "/?search=162")
    shown = {pid for r in record_rows(doc) for pid in re.findall(r"\[([^\]]+)\]", r[4] + r[5])}
    listed = [text(tr.find("td")).strip("[]") for tr in doc.cssselect("table.contacts tbody tr")]
    assert set(listed) == shown and "Marshall_Rose" in listed
    order = [p.id for p in current_registry.people]
    assert listed == sorted(listed, key=order.index)


# ------------------------------------------------------------------ one service, port, person


def fields(card: Any) -> dict[str, str]:
    return {text(dt): text(dd) for dt, dd in zip(card.cssselect("dl.fields > dt"), card.cssselect("dl.fields > dd"))}


def test_service_page_shows_every_field(client: Any) -> None:
    doc = page(client, "/service/http")
    assert text(doc.cssselect("h1")[0]) == "http"
    cards = doc.cssselect("article.record")
    assert len(cards) == 3
    tcp = fields(cards[0])
    assert tcp["Port Number"] == "80" and tcp["Transport Protocol"] == "tcp"
    assert tcp["Description"] == "World Wide Web HTTP"
    assert tcp["Reference"] == "[RFC9110]"
    assert "u=<username>" in tcp["Assignment Notes"]
    assert tcp["Range class"] == "System Ports (0–1023)"
    assert tcp["State by transport"] == "tcp assigned udp assigned sctp assigned dccp unassigned"
    assert {"Service Name", "Assignee", "Contact", "Registration Date", "Modification Date", "Service Code",
            "Unauthorized Use Reported", "Assignment Notes"} <= set(tcp)  # fmt: skip
    links = {text(a) for a in doc.cssselect("dl.links a")}
    assert {"www", "www-http"} <= links
    people = [text(h) for h in doc.cssselect("section.people h3")]
    assert people and all(p for p in people)


def test_service_names_ignore_case_and_link_legacy_names(client: Any) -> None:
    assert text(page(client, "/service/HTTP").cssselect("h1")[0]) == "http"
    doc = page(client, "/service/www")
    assert link(doc, "http") == "/service/http"


def test_port_page(client: Any) -> None:
    doc = page(client, "/port/5432")
    assert text(doc.cssselect("h1")[0]) == "Port 5432"
    states = [text(td) for td in doc.cssselect("table.states-table td")]
    assert states == ["assigned", "assigned", "unassigned", "unassigned"]
    assert [text(a) for a in doc.cssselect("article.record h2 a")][:1] == ["postgresql"]
    assert "user range" in text(doc.cssselect(".badges")[0])


def test_port_inside_a_range(client: Any) -> None:
    doc = page(client, "/port/6010")
    assert {text(a) for a in doc.cssselect("article.record h2 a")} >= {"x11", "6000-6063"}


def test_dynamic_port_is_a_page_not_a_404(client: Any) -> None:
    doc = page(client, "/port/50000")
    assert "dynamic range" in text(doc) and "Never assigned" in text(doc)
    assert [text(td) for td in doc.cssselect("table.states-table td")] == ["unassigned"] * 4


def test_port_range_page(client: Any) -> None:
    rows = record_rows(page(client, "/port/6000-6063"))
    assert ["x11", "6000-6063", "tcp"] in [r[:3] for r in rows]


@pytest.mark.parametrize("path", ["/port/70000", "/port/10-5", "/port/-1"])
def test_impossible_ports_are_404(client: Any, path: str) -> None:
    assert "Ports run from 0 to 65535" in text(page(client, path, 404)) or path == "/port/-1"


def test_port_path_with_a_name_goes_to_the_service(client: Any) -> None:
    response = client.get("/port/http", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/service/http"


def test_person_page(client: Any, snapshot: Any) -> None:
    doc = page(client, "/person/Jon_Postel")
    assert text(doc.cssselect("h1")[0]) == "Jon Postel"
    rows = record_rows(doc)
    expected = [h for h in snapshot.hits if "Jon_Postel" in h.record.person_ids()]
    assert len(rows) == len(expected) > 40 and all("[Jon_Postel]" in r[4] + r[5] for r in rows)
    response = client.get("/person/jon_postel", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/person/Jon_Postel"


def test_people_links_in_rows_resolve(client: Any) -> None:
    doc = page(client, "/?search=162")
    hrefs = {a.get("href") for a in doc.cssselect("table.records a") if a.get("href").startswith("/person/")}
    assert len(hrefs) > 10
    for href in sorted(hrefs)[:10]:
        assert client.get(href).status_code == 200, href


# ------------------------------------------------------------------ not found


def test_unknown_service_suggests_near_names(client: Any) -> None:
    doc = page(client, "/service/htp", 404)
    suggestions = [text(a) for a in doc.cssselect("ul.suggestions a")]
    assert "http" in suggestions[:4]
    assert any("search the registry" in s for s in suggestions)


def test_unknown_path_suggests_the_port_or_service(client: Any) -> None:
    assert "/port/5432" in [a.get("href") for a in page(client, "/ports/5432", 404).cssselect("ul.suggestions a")]
    assert "/service/postgresql" in [
        a.get("href") for a in page(client, "/postgresql", 404).cssselect("ul.suggestions a")
    ]


def test_unknown_person_suggests_near_ids(client: Any) -> None:
    doc = page(client, "/person/Jon_Postell", 404)
    assert "Jon_Postel" in [text(a) for a in doc.cssselect("ul.suggestions a")]


# ------------------------------------------------------------------ the map


def test_map_overview(client: Any, snapshot: Any) -> None:
    doc = page(client, "/map")
    cells = doc.cssselect("svg.portmap a")
    assert len(cells) == 256
    assert cells[0].get("href") == "/map?block=0" and cells[-1].get("href") == "/map?block=255"
    assert doc.cssselect("svg.portmap rect.dynamic") and doc.cssselect("svg.portmap rect.system")
    totals = {
        text(tr.find("th")): [int(text(td).replace(",", "")) for td in tr.findall("td")]
        for tr in doc.cssselect(".totals tbody tr")
    }
    # The same counts from the query layer's answer for each port: its strongest state on any transport.
    expected = {cls: [0, 0, 0] for cls in ("system", "user", "dynamic")}
    column = {"assigned": 0, "reserved": 1, "unassigned": 2}
    for port in range(65536):
        answer = snapshot.index.port(port)
        expected[answer.range_class][min(column[s] for s in answer.states.values())] += 1
    assert totals == expected
    assert totals["dynamic"] == [0, 0, 16384]
    bars = doc.cssselect("svg.chart rect.bar")
    assert len(bars) > 20
    dated = sum(1 for h in snapshot.hits if h.record.registered)
    shown = sum(int(re.search(r": (\d+) registrations", text(b)).group(1)) for b in bars)
    assert shown == dated


def test_map_zooms_down_to_a_port(client: Any) -> None:
    doc = page(client, "/map?block=21")  # 5376-5631, which holds 5432
    ports = doc.cssselect("svg.portmap a")
    assert len(ports) == 256 and ports[0].get("href") == "/port/5376"
    postgres = [a for a in ports if a.get("href") == "/port/5432"][0]
    assert "postgresql" in text(postgres) and postgres.cssselect("rect.assigned")
    assert "postgresql" in {r[0] for r in record_rows(doc)}
    assert page(client, "/map?block=256", 404) is not None


def test_year_bars_link_to_that_years_records(client: Any) -> None:
    doc = page(client, "/map")
    href = doc.cssselect("svg.chart a")[-1].get("href")
    year = query_of(href)["year"][0]
    rows = record_rows(page(client, href + "&page_size=all"))
    assert rows and all(r[6].startswith(year) for r in rows)


# ------------------------------------------------------------------ downloads


@pytest.mark.parametrize("extension", ["xml", "csv", "html", "txt", "services", "json"])
def test_downloads_are_what_export_writes(
    client: Any, store_path: Path, tmp_path: Path, capsys: Any, extension: str
) -> None:
    from tests.support.cli import run

    target = tmp_path / f"export.{extension}"
    code, _, err = run(capsys, "--db", sqlite_url(store_path), "export", "--format", extension, "-o", str(target))
    assert code == 0, err
    response = client.get(f"/assignments/service-names-port-numbers/service-names-port-numbers.{extension}")
    assert response.status_code == 200
    assert response.content == target.read_bytes()


def test_unknown_download_format_is_404(client: Any) -> None:
    assert client.get("/assignments/service-names-port-numbers/service-names-port-numbers.pdf").status_code == 404


# ------------------------------------------------------------------ versions, history, first start


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> Iterator[Any]:
    """The real registry as version 1; version 2 changes http's description and drops a record."""
    import dataclasses

    from fastapi.testclient import TestClient

    from portreg.model import Text
    from portreg.store import Store
    from portreg.web import create_app

    records = []
    for record in current_registry.records:
        if record.name == "http" and record.transport == "tcp":
            record = dataclasses.replace(record, description=Text.of("World Wide Web HTTP, revised"), modified="2024-03-19")
        if record.name == "snmptrap" and record.transport == "udp":
            continue
        records.append(record)
    changed = dataclasses.replace(current_registry, records=tuple(records), updated="2024-03-19")
    path = real_store_file(tmp_path_factory.mktemp("two"))
    with Store.open(sqlite_url(path)) as store:
        store.import_registry(changed, source="test version 2")
        with TestClient(create_app(store=store)) as test_client:
            yield test_client


def test_record_history(two_versions: Any) -> None:
    doc = page(two_versions, "/service/http")
    card = doc.cssselect("article.record")[0]
    history = [[text(td) for td in tr.findall("td")] for tr in card.cssselect("details.history tbody tr")]
    assert history[0][0] == "2–now"
    assert "Description World Wide Web HTTP → World Wide Web HTTP, revised" in history[0][2]
    assert history[1][0] == "1" and history[1][2] == "first seen"


def test_older_versions_download(two_versions: Any, tmp_path: Path, capsys: Any) -> None:
    from tests.support.cli import run

    path = "/assignments/service-names-port-numbers/service-names-port-numbers.xml"
    old = two_versions.get(path, params={"version": 1})
    target = tmp_path / "v1.xml"
    url = two_versions.app.state.registry_service.store.url
    code, _, err = run(capsys, "--db", url, "export", "--format", "xml", "--version", "1", "-o", str(target))
    assert code == 0, err
    assert old.status_code == 200 and old.content == target.read_bytes()
    assert b"revised" not in old.content
    assert "immutable" in old.headers["cache-control"]
    new = two_versions.get(path)
    assert b"revised" in new.content and new.headers["cache-control"] == "no-cache"
    assert two_versions.get(path, params={"version": 9}).status_code == 404
    assert two_versions.get(path, params={"version": "x"}).status_code == 400
    footer = text(page(two_versions, "/").cssselect("footer")[0])
    assert "Registry version 2, published 2024-03-19" in footer


def test_first_start_from_a_file_shows_where_it_came_from(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from portreg.services.first_start import first_start
    from portreg.store import Store
    from portreg.web import create_app

    services = tmp_path / "services"
    services.write_text("http\t\t80/tcp\t\twww\t# WorldWideWeb HTTP\nssh\t\t22/tcp\n")
    with Store.open(sqlite_url(tmp_path / "first.db")) as store:
        notice = first_start(store, str(services))
        assert notice is not None and str(services) in notice and "3 records" in notice
        assert first_start(store, "iana") is None  # a filled store is left alone
        with TestClient(create_app(store=store, notice=notice)) as client:
            doc = page(client, "/")
            assert notice in text(doc.cssselect(".notice")[0])
            assert {r[0] for r in record_rows(doc)} == {"ssh", "http", "www"}


def test_first_start_none_leaves_the_store_empty(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from portreg.services.first_start import first_start
    from portreg.store import Store
    from portreg.web import create_app

    with Store.open(sqlite_url(tmp_path / "empty.db")) as store:
        notice = first_start(store, "none")
        assert store.current_version() is None
        with TestClient(create_app(store=store, notice=notice)) as client:
            doc = page(client, "/", 503)
            assert "portreg sync" in text(doc)


# ------------------------------------------------------------------ escaping


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    with Store.open(sqlite_url(path)) as store:
        store.import_registry(hostile_registry(), source="hostile")
        with TestClient(create_app(store=store)) as test_client:
            yield test_client


@pytest.mark.parametrize(
    "url",
    ["/", "/?search=script", "/?page_size=all", "/service/evil", "/port/4242", "/port/4243", "/port/4242-4250",
     "/person/Mallory%3Cx%3E", "/map", "/map?block=16", "/service/%3Cscript%3E", "/nowhere%3Cscript%3E"],
)  # fmt: skip
def test_registry_text_is_escaped_everywhere(hostile: Any, url: str) -> None:
    response = hostile.get(url)
    assert response.status_code in (200, 404), url
    body = response.text
    assert "<script" not in body.lower()
    assert "javascript:" not in re.findall(r'href="([^"]*)"', body.lower()).__str__()
    assert ' onmouseover="' not in body
    doc = lxml_html.fromstring(body)
    assert not doc.cssselect("script") and not doc.xpath("//*[@onmouseover]")
    if url == "/service/evil":
        assert HOSTILE in text(doc)  # shown as text, not dropped


def test_not_found_suggests_the_range_holding_a_port(client: Any) -> None:
    for url in ("/6010", "/service/6010"):
        suggestions = {a.get("href"): text(a) for a in page(client, url, 404).cssselect("ul.suggestions a")}
        assert suggestions["/port/6010"] == "port 6010"
        assert "x11" in suggestions["/port/6000-6063"] and "6000-6063" in suggestions["/port/6000-6063"]


# ------------------------------------------------------------------ the guide's examples


def _guide_examples() -> list[tuple[str, int]]:
    guide = ROOT_DIR / "docs" / "web.md"
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"^GET (\S+)\s+(\d{3})\b", guide.read_text(), re.M)]


@pytest.mark.parametrize(("url", "status"), _guide_examples())
def test_the_guide_says_what_the_site_does(client: Any, url: str, status: int) -> None:
    assert client.get(url, follow_redirects=False).status_code == status


@pytest.mark.parametrize("url", ["/?search=exp", "/service/exp1", "/port/1021", "/port/1000-1023", "/map?block=3"])
def test_footnote_links_land_on_the_footnote(client: Any, url: str) -> None:
    doc = page(client, url)
    hrefs = {a.get("href") for a in doc.iter("a") if (a.get("href") or "").startswith("#footnote-")}
    assert hrefs == {"#footnote-1"}
    assert "explicitly- configured experiments" in text(doc.get_element_by_id("footnote-1").getnext())


def test_a_new_version_is_served_without_a_restart(tmp_path: Path, current_registry: Any) -> None:
    """Another process publishes a version (portreg sync from cron); the running site picks it up."""
    import dataclasses
    import time

    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    path = real_store_file(tmp_path)
    with Store.open(sqlite_url(path)) as store, TestClient(create_app(store=store)) as client:
        assert "Registry version 1," in text(page(client, "/").cssselect("footer")[0])
        with Store.open(sqlite_url(path)) as other:
            other.import_registry(dataclasses.replace(current_registry, updated="2024-03-20"), source="cron")
        time.sleep(1.2)  # the site asks the store at most once a second
        doc = page(client, "/")
        assert "Registry version 2, published 2024-03-20" in text(doc.cssselect("footer")[0])
        assert len(record_rows(doc)) == 100
